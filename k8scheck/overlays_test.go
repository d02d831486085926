package k8scheck

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// The overlays differ from the base only as docs/kubernetes.md says: local
// images that are never pulled, and on minikube one replica per service
// with smaller CPU requests.
func TestOverlaysDifferAsDocumented(t *testing.T) {
	t.Parallel()
	want := map[string]struct {
		replicas           int32
		appCPU, sidecarCPU string
	}{
		"k8s/overlays/kind":     {2, "50m", "50m"},
		"k8s/overlays/minikube": {1, "20m", "20m"},
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

func replicas(d *appsv1.Deployment) int32 {
	if d.Spec.Replicas == nil {
		return 1
	}
	return *d.Spec.Replicas
}
