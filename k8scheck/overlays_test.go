package k8scheck

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The overlays differ from the base only as docs/kubernetes.md says: local
// images that are never pulled, on minikube one replica per service with
// smaller CPU requests, and kind-postgres as kind.
func TestOverlaysDifferAsDocumented(t *testing.T) {
	t.Parallel()
	want := map[string]struct {
		replicas           int32
		appCPU, sidecarCPU string
	}{
		"k8s/overlays/kind":     {2, "50m", "50m"},
		"k8s/overlays/minikube": {1, "20m", "20m"},
		postgresOverlay:         {2, "50m", "50m"},
	}
	for name, w := range want {
		m, err := NewManifest(overlay(t, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range m.Deployments {
			check := func(what string, got, want any) {
				if got != want {
					t.Errorf("%s: Deployment/%s: %s is %v, want %v", name, d.Name, what, got, want)
				}
			}
			c := d.Spec.Template.Spec.Containers[0]
			check("image", c.Image, d.Name)
			check("imagePullPolicy", c.ImagePullPolicy, corev1.PullIfNotPresent)
			check("replicas", replicas(d), w.replicas)
			cpu := c.Resources.Requests[corev1.ResourceCPU]
			check("cpu request", cpu.String(), w.appCPU)
			check("sidecar cpu request", d.Spec.Template.Annotations["dapr.io/sidecar-cpu-request"], w.sidecarCPU)
		}
	}
}

// postgresOverlay is the kind overlay with k8s/components/postgres.
const postgresOverlay = "k8s/overlays/kind-postgres"

// kind-postgres is kind with the PostgreSQL of k8s/components/postgres
// added and the three stores switched to it, and nothing else: every
// other object is the same, and of the services' Deployments only what
// their init container waits for differs.
func TestThePostgresOverlayIsKindWithItsStoresOnPostgreSQL(t *testing.T) {
	t.Parallel()
	kind, pg := map[string]*unstructured.Unstructured{}, map[string]*unstructured.Unstructured{}
	for _, obj := range overlay(t, Overlays[0]) {
		kind[obj.GetKind()+"/"+obj.GetName()] = obj
	}
	var added []string
	for _, obj := range overlay(t, postgresOverlay) {
		key := obj.GetKind() + "/" + obj.GetName()
		pg[key] = obj
		if kind[key] == nil {
			if obj.GetKind() == "ConfigMap" {
				// Its name ends in a hash of its content.
				key = key[:strings.LastIndex(key, "-")]
			}
			added = append(added, key)
		}
	}
	slices.Sort(added)
	want := []string{"ConfigMap/postgres-config", "NetworkPolicy/allow-postgres-from-services", "Service/postgres", "ServiceAccount/postgres", "StatefulSet/postgres"}
	if !slices.Equal(added, want) {
		t.Errorf("kind-postgres adds %v to kind, want %v", added, want)
	}
	var changed []string
	for key, obj := range kind {
		other := pg[key]
		if other == nil {
			t.Errorf("kind-postgres has no %s", key)
			continue
		}
		if obj.GetKind() == "Deployment" {
			obj, other = obj.DeepCopy(), other.DeepCopy()
			for _, o := range []*unstructured.Unstructured{obj, other} {
				unstructured.RemoveNestedField(o.Object, "spec", "template", "spec", "initContainers")
			}
			args := initArgs(t, pg[key])
			if want := []any{"wait-for", "$(REDIS_HOST)", "postgres:5432"}; !reflect.DeepEqual(args, want) {
				t.Errorf("%s: its init container runs %v, want %v", key, args, want)
			}
		}
		if !reflect.DeepEqual(obj.Object, other.Object) {
			changed = append(changed, key)
		}
	}
	slices.Sort(changed)
	if want := []string{"Component/orderstore", "Component/paymentstore", "Component/stockstore"}; !slices.Equal(changed, want) {
		t.Errorf("kind-postgres changes %v of kind, want %v", changed, want)
	}
	for _, name := range []string{"orderstore", "stockstore", "paymentstore"} {
		if typ, _, _ := unstructured.NestedString(pg["Component/"+name].Object, "spec", "type"); typ != postgresType {
			t.Errorf("Component/%s is %s in kind-postgres, want %s", name, typ, postgresType)
		}
	}
	if typ, _, _ := unstructured.NestedString(pg["Component/pubsub"].Object, "spec", "type"); typ != "pubsub.redis" {
		t.Errorf("the broker is %s in kind-postgres, want Redis still", typ)
	}
}

func initArgs(t *testing.T, d *unstructured.Unstructured) []any {
	t.Helper()
	inits, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "initContainers")
	if len(inits) != 1 {
		t.Fatalf("%s has %d init containers", ID(d), len(inits))
	}
	args, _ := inits[0].(map[string]any)["args"].([]any)
	return args
}

func replicas(d *appsv1.Deployment) int32 {
	if d.Spec.Replicas == nil {
		return 1
	}
	return *d.Spec.Replicas
}
