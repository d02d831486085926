package k8scheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSkaffoldBuildsRendersAndForwardsWhatExists(t *testing.T) {
	t.Parallel()
	root, _, _ := fixtures(t)
	s, err := LoadSkaffold(filepath.Join(root, "skaffold.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckSkaffold(root, staged, s); err != nil {
		t.Fatal(err)
	}
	profiles := map[string]string{}
	for _, p := range s.Profiles {
		profiles[p.Name] = strings.Join(p.Manifests.Kustomize.Paths, ",")
	}
	for name, want := range map[string]string{"kind": "k8s/overlays/kind", "minikube": "k8s/overlays/minikube"} {
		if profiles[name] != want {
			t.Errorf("profile %s renders %q, want %q", name, profiles[name], want)
		}
	}
}

func TestSkaffoldCheckRefusesBrokenConfigs(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, old, new, want string }{
		{"a Dockerfile that does not exist", "dockerfile: Dockerfile", "dockerfile: order-svc/Dockerfile", "dockerfile \"order-svc/Dockerfile\""},
		{"a PORT that is not the service's default port", `PORT: "8082"`, `PORT: "8081"`, "artifact stock-svc: build arg PORT \"8081\", want 8082"},
		{"a SERVICE that is not the artifact's image", "SERVICE: payment-svc", "SERVICE: stock-svc", "artifact payment-svc: build arg SERVICE \"stock-svc\""},
		{"a SERVICE naming no directory", "SERVICE: stock-svc", "SERVICE: stock", "copies stock/go.mod, which does not exist"},
		{"a build argument the Dockerfile does not declare", "SERVICE: order-svc", "SERVICE: order-svc\n          VERSION: \"1\"", "build argument VERSION: no ARG declares it"},
		{"an artifact the manifests do not run", "image: payment-svc", "image: payments", "runs image \"payment-svc\", which no artifact builds"},
		{"a kustomize path that does not exist", "- k8s/overlays/minikube", "- k8s/overlays/minikub", "kustomize path k8s/overlays/minikub"},
		{"a port-forward to a missing Service", "resourceName: order-svc", "resourceName: orders", "matches no Service port"},
		{"a port-forward to a wrong port", "    port: 8081", "    port: 8080", "matches no Service port"},
		{"images pushed to a registry", "push: false", "push: true", "build.local.push must be false"},
		{"a misspelt field", "localPort:", "localport:", "unknown field \"portForward[0].localport\""},
		{"no render hook writing the secrets", "command: [\"scripts/k8s-secrets.sh\"]", "command: [\"true\"]", "manifests.hooks.before must run [scripts/k8s-secrets.sh]"},
		{"a render hook run from the caller's directory", "          dir: .\n", "", "in dir \".\""},
		{"a profile that drops the render hook", "  - name: minikube\n    manifests:\n", "  - name: minikube\n    manifests:\n      hooks:\n        before: []\n", "profile minikube sets manifests.hooks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root, _, _ := fixtures(t)
			data, err := os.ReadFile(filepath.Join(root, "skaffold.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), tt.old) {
				t.Fatalf("skaffold.yaml has no %q", tt.old)
			}
			file := filepath.Join(t.TempDir(), "skaffold.yaml")
			if err := os.WriteFile(file, []byte(strings.Replace(string(data), tt.old, tt.new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := LoadSkaffold(file)
			if err == nil {
				err = CheckSkaffold(root, staged, s)
			}
			t.Log(err)
			assertRefused(t, err, tt.want)
		})
	}
}
