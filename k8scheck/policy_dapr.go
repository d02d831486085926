package k8scheck

import (
	"fmt"
	"net"
	"reflect"
	"slices"
	"sort"
	"strconv"

	"github.com/example/order-saga/contracts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Component metadata that the cluster takes from the redis-auth Secret
// instead of a literal value.
var secretMetadata = map[string]bool{"redisHost": true, "redisPassword": true}

// scopeProblems compares the Dapr resources scoped to appID in the cluster
// with those scoped to it for local runs.
func scopeProblems(m *Manifest, ref *Reference, appID string) []string {
	inCluster := scopedTo(m.Dapr, appID)
	local := scopedTo(ref.DaprResources, appID)
	if !slices.Equal(inCluster, local) {
		return []string{fmt.Sprintf("Dapr resources scoped to %s are %v, but dapr/components scopes %v to it", appID, inCluster, local)}
	}
	return nil
}

func scopedTo(resources map[string]*unstructured.Unstructured, appID string) []string {
	var keys []string
	for key, obj := range resources {
		if slices.Contains(scopes(obj), appID) {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	return keys
}

func scopes(obj *unstructured.Unstructured) []string {
	s, _, _ := unstructured.NestedStringSlice(obj.Object, "scopes")
	return s
}

// checkDaprResources checks the Components, Resiliency and Configuration
// against contracts/names.go and the local resources in dapr/.
func checkDaprResources(m *Manifest, ref *Reference) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	var names []string
	for _, obj := range m.Dapr {
		if obj.GetKind() == "Component" {
			names = append(names, obj.GetName())
		}
		for _, s := range scopes(obj) {
			if !slices.Contains(Services, s) {
				fail("%s: scope %q is not an app id in contracts", ID(obj), s)
			}
		}
	}
	sort.Strings(names)
	want := slices.Sorted(slices.Values(ComponentNames))
	if !slices.Equal(names, want) {
		fail("Components are %v; contracts/names.go names %v", names, want)
	}

	for key, local := range ref.DaprResources {
		obj := m.Dapr[key]
		if obj == nil {
			fail("%s is in dapr/ but not in the manifests", key)
			continue
		}
		if !slices.Equal(sortedScopes(obj), sortedScopes(local)) {
			fail("%s: scopes %v differ from dapr/'s %v", ID(obj), scopes(obj), scopes(local))
		}
		switch obj.GetKind() {
		case "Component":
			errs = append(errs, componentProblems(m, obj, local, ref.Stores[key])...)
			if obj.GetName() == contracts.PubSub {
				errs = append(errs, topicScopeProblems(obj)...)
			}
		case "Resiliency":
			if !reflect.DeepEqual(obj.Object["spec"], local.Object["spec"]) {
				fail("%s: spec differs from dapr/components/resiliency.yaml", ID(obj))
			}
		case "Configuration":
			errs = append(errs, configurationProblems(obj, local)...)
		}
	}
	return errs
}

// configurationProblems: metrics as for local runs, a sampling rate that
// Dapr can read (the rate itself is the cluster's choice), only the APIs
// of allowedAPIs, and every service invocation refused.
func configurationProblems(obj, local *unstructured.Unstructured) []error {
	errs := apiProblems(obj)
	got, _, _ := unstructured.NestedFieldNoCopy(obj.Object, "spec", "metric", "enabled")
	want, _, _ := unstructured.NestedFieldNoCopy(local.Object, "spec", "metric", "enabled")
	if !reflect.DeepEqual(got, want) {
		errs = append(errs, fmt.Errorf("%s: spec.metric.enabled is %v, dapr/config.yaml has %v", ID(obj), got, want))
	}
	rate, _, _ := unstructured.NestedString(obj.Object, "spec", "tracing", "samplingRate")
	if r, err := strconv.ParseFloat(rate, 64); err != nil || r < 0 || r > 1 {
		errs = append(errs, fmt.Errorf("%s: spec.tracing.samplingRate %q is not a number from 0 to 1", ID(obj), rate))
	}
	return errs
}

func sortedScopes(obj *unstructured.Unstructured) []string {
	return slices.Sorted(slices.Values(scopes(obj)))
}

// componentProblems: a component of the same type as the local one has the
// same version and metadata values, except the Redis address and password,
// which must come from a Secret in the manifests that has the key. A
// component of the type of one of the local store's alternatives
// (dapr/stores/<backend>/) is held to that alternative the same way, its
// connection string aside, which must name a Service of the manifests and
// may differ from the local one by its host alone. A component of another
// type is a broker or store swapped for the cluster alone
// (docs/kubernetes.md): only its name and scopes must match, and its
// secretKeyRefs must resolve.
func componentProblems(m *Manifest, obj, local *unstructured.Unstructured, alternatives map[string]*unstructured.Unstructured) []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", ID(obj), fmt.Sprintf(format, args...)))
	}
	if len(scopes(obj)) == 0 {
		fail("no scopes: every app could use it")
	}
	items := metadataItems(obj)
	usesSecrets := false
	for name, item := range items {
		_, fromSecret := item["secretKeyRef"]
		switch {
		case name == connectionStringItem && !fromSecret:
			errs = append(errs, connectionStringProblems(m, obj, item)...)
		case fromSecret || secretMetadata[name] || secretLike.MatchString(name):
			usesSecrets = true
			errs = append(errs, secretRefProblems(m, obj, name, item)...)
		}
	}
	if store, _, _ := unstructured.NestedString(obj.Object, "auth", "secretStore"); usesSecrets && store != "kubernetes" {
		fail("auth.secretStore is %q, want kubernetes for its secretKeyRefs", store)
	}

	typ, _, _ := unstructured.NestedString(obj.Object, "spec", "type")
	localType, _, _ := unstructured.NestedString(local.Object, "spec", "type")
	source := "dapr/components"
	if typ != localType {
		if local = alternatives[typ]; local == nil {
			return errs
		}
		source = "dapr/stores"
	}
	localItems := metadataItems(local)
	version, _, _ := unstructured.NestedString(obj.Object, "spec", "version")
	localVersion, _, _ := unstructured.NestedString(local.Object, "spec", "version")
	if version != localVersion {
		fail("spec.version is %q, %s has %q", version, source, localVersion)
	}
	for name, localItem := range localItems {
		item, ok := items[name]
		switch {
		case !ok:
			fail("metadata %s is missing", name)
		case name == connectionStringItem:
			if got, want := otherThanHost(item["value"]), otherThanHost(localItem["value"]); got != want {
				fail("metadata %s is %v, %s has %v: they may differ by their host alone", name, item["value"], source, localItem["value"])
			}
		case !secretMetadata[name] && !reflect.DeepEqual(item["value"], localItem["value"]):
			fail("metadata %s is %v, %s has %v", name, item["value"], source, localItem["value"])
		}
	}
	for name := range items {
		if _, ok := localItems[name]; !ok {
			fail("metadata %s is not in %s", name, source)
		}
	}
	return errs
}

func secretRefProblems(m *Manifest, obj *unstructured.Unstructured, name string, item map[string]any) []error {
	ref, _ := item["secretKeyRef"].(map[string]any)
	secretName, _ := ref["name"].(string)
	key, _ := ref["key"].(string)
	if ref == nil || secretName == "" || key == "" {
		return []error{fmt.Errorf("%s: metadata %s must come from a secretKeyRef with a name and a key", ID(obj), name)}
	}
	if _, hasValue := item["value"]; hasValue {
		return []error{fmt.Errorf("%s: metadata %s has both a value and a secretKeyRef", ID(obj), name)}
	}
	secret := m.Secrets[secretName]
	if secret == nil {
		return []error{fmt.Errorf("%s: metadata %s refers to Secret %s, which is not in the manifests", ID(obj), name, secretName)}
	}
	value, ok := secretData(secret)[key]
	if !ok {
		return []error{fmt.Errorf("%s: metadata %s refers to key %s, which Secret %s does not have", ID(obj), name, key, secretName)}
	}
	if name == "redisHost" {
		return redisHostProblems(m, obj, value)
	}
	return nil
}

// redisHostProblems checks that the address in the Secret is a Service of
// the manifests and one of its ports.
func redisHostProblems(m *Manifest, obj *unstructured.Unstructured, addr string) []error {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return []error{fmt.Errorf("%s: redisHost %q is not host:port", ID(obj), addr)}
	}
	svc := m.Services[host]
	port, _ := strconv.Atoi(portText)
	if svc == nil || !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return int(p.Port) == port }) {
		return []error{fmt.Errorf("%s: redisHost %q is not a Service port of the manifests", ID(obj), addr)}
	}
	return nil
}

func metadataItems(obj *unstructured.Unstructured) map[string]map[string]any {
	list, _, _ := unstructured.NestedSlice(obj.Object, "spec", "metadata")
	items := map[string]map[string]any{}
	for _, entry := range list {
		if item, ok := entry.(map[string]any); ok {
			name, _ := item["name"].(string)
			items[name] = item
		}
	}
	return items
}
