package k8scheck

import (
	"errors"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Manifest is a rendered overlay, indexed by kind, with the Kubernetes
// objects decoded into their types and the Dapr resources left as they are.
type Manifest struct {
	Objects         []*unstructured.Unstructured
	Namespaces      []*corev1.Namespace
	Deployments     []*appsv1.Deployment
	StatefulSets    []*appsv1.StatefulSet
	Services        map[string]*corev1.Service
	ServiceAccounts map[string]*corev1.ServiceAccount
	Secrets         map[string]*corev1.Secret
	ConfigMaps      map[string]*corev1.ConfigMap
	PDBs            []*policyv1.PodDisruptionBudget
	NetworkPolicies []*networkingv1.NetworkPolicy
	// Dapr maps "Kind/name" to a Dapr resource.
	Dapr map[string]*unstructured.Unstructured
}

// Workload is a pod template with the object that owns it.
type Workload struct {
	ID       string
	Template *corev1.PodTemplateSpec
}

// NewManifest decodes objs strictly; any object that does not decode is an
// error, and so is a kind the checks do not know.
func NewManifest(objs []*unstructured.Unstructured) (*Manifest, error) {
	m := &Manifest{
		Objects:         objs,
		Services:        map[string]*corev1.Service{},
		ServiceAccounts: map[string]*corev1.ServiceAccount{},
		Secrets:         map[string]*corev1.Secret{},
		ConfigMaps:      map[string]*corev1.ConfigMap{},
		Dapr:            map[string]*unstructured.Unstructured{},
	}
	var errs []error
	for _, obj := range objs {
		if obj.GroupVersionKind().Group == DaprGroup {
			m.Dapr[obj.GetKind()+"/"+obj.GetName()] = obj
			continue
		}
		typed, err := DecodeStrict(obj)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		switch o := typed.(type) {
		case *corev1.Namespace:
			m.Namespaces = append(m.Namespaces, o)
		case *appsv1.Deployment:
			m.Deployments = append(m.Deployments, o)
		case *appsv1.StatefulSet:
			m.StatefulSets = append(m.StatefulSets, o)
		case *corev1.Service:
			m.Services[o.Name] = o
		case *corev1.ServiceAccount:
			m.ServiceAccounts[o.Name] = o
		case *corev1.Secret:
			m.Secrets[o.Name] = o
		case *corev1.ConfigMap:
			m.ConfigMaps[o.Name] = o
		case *policyv1.PodDisruptionBudget:
			m.PDBs = append(m.PDBs, o)
		case *networkingv1.NetworkPolicy:
			m.NetworkPolicies = append(m.NetworkPolicies, o)
		default:
			errs = append(errs, fmt.Errorf("%s: no policy covers this kind; add one to k8scheck", ID(obj)))
		}
	}
	return m, errors.Join(errs...)
}

// Workloads lists every pod template: Deployments, then StatefulSets.
func (m *Manifest) Workloads() []Workload {
	var ws []Workload
	for _, d := range m.Deployments {
		ws = append(ws, Workload{ID: "Deployment/" + d.Name, Template: &d.Spec.Template})
	}
	for _, s := range m.StatefulSets {
		ws = append(ws, Workload{ID: "StatefulSet/" + s.Name, Template: &s.Spec.Template})
	}
	return ws
}

// Images lists the container images of every workload.
func (m *Manifest) Images() map[string]bool {
	images := map[string]bool{}
	for _, w := range m.Workloads() {
		for _, c := range slices.Concat(w.Template.Spec.InitContainers, w.Template.Spec.Containers) {
			images[c.Image] = true
		}
	}
	return images
}

// statefulSet is the StatefulSet of that name, or nil.
func (m *Manifest) statefulSet(name string) *appsv1.StatefulSet {
	for _, s := range m.StatefulSets {
		if s.Name == name {
			return s
		}
	}
	return nil
}
