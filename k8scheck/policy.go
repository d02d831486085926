package k8scheck

import (
	"errors"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// CheckPolicies applies the project's rules to a rendered overlay and
// reports every violation. The rules tie the manifests to the code and to
// the local Dapr resources, so that neither can change without the other.
func CheckPolicies(objs []*unstructured.Unstructured, ref *Reference) error {
	m, err := NewManifest(objs)
	if err != nil {
		return err
	}
	var errs []error
	errs = append(errs, checkNamespace(m)...)
	errs = append(errs, checkWorkloads(m)...)
	errs = append(errs, checkApps(m, ref)...)
	errs = append(errs, checkDaprResources(m, ref)...)
	errs = append(errs, checkSecrets(m)...)
	errs = append(errs, checkRedisAuth(m)...)
	errs = append(errs, checkPostgres(m)...)
	errs = append(errs, checkNetworkPolicies(m)...)
	return errors.Join(errs...)
}

// Namespace is where everything of the saga lives.
const Namespace = "order-saga"

func checkNamespace(m *Manifest) []error {
	var errs []error
	if len(m.Namespaces) != 1 || m.Namespaces[0].Name != Namespace {
		errs = append(errs, errors.New("the manifests must create exactly the namespace "+Namespace))
	}
	for _, obj := range m.Objects {
		if obj.GetKind() != "Namespace" && obj.GetNamespace() != Namespace {
			errs = append(errs, errors.New(ID(obj)+": not in namespace "+Namespace))
		}
	}
	return errs
}
