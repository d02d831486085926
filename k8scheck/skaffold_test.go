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
	// The profile "local" is the kind overlay, built by the custom
	// builder for the project's own cluster; the others build with Docker.
	profiles := map[string]string{}
	for _, p := range s.Profiles {
		builders := map[bool]int{}
		for _, a := range s.ProfileBuild(&p).Artifacts {
			builders[a.Custom != nil]++
		}
		builder := "docker"
		if builders[true] > 0 {
			builder = "custom"
		}
		if builders[true] > 0 && builders[false] > 0 {
			builder = "mixed"
		}
		profiles[p.Name] = strings.Join(p.Manifests.Kustomize.Paths, ",") + " by " + builder
	}
	for name, want := range map[string]string{
		"kind":     "k8s/overlays/kind by docker",
		"minikube": "k8s/overlays/minikube by docker",
		"local":    "k8s/overlays/kind by custom",
	} {
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
		{"images pushed to a registry", "push: false", "push: true", "build: local.push must be false"},
		{"a misspelt field", "localPort:", "localport:", "unknown field \"portForward[0].localport\""},
		{"no render hook writing the secrets", "command: [\"scripts/k8s-secrets.sh\"]", "command: [\"true\"]", "manifests.hooks.before must run [scripts/k8s-secrets.sh]"},
		{"a render hook run from the caller's directory", "          dir: .\n", "", "in dir \".\""},
		{"an older schema", "apiVersion: skaffold/v4beta13", "apiVersion: skaffold/v4beta12", "skaffold.yaml is skaffold/v4beta12 Config, want skaffold/v4beta13 Config"},
		{"a newer schema", "apiVersion: skaffold/v4beta13", "apiVersion: skaffold/v5", "want skaffold/v4beta13 Config"},
		{"a profile that pushes its images", "      local:\n        push: false", "      local:\n        push: true", "profile local: build: local.push must be false"},
		{"a custom build of the wrong port", "skaffold-build-image.sh stock-svc 8082", "skaffold-build-image.sh stock-svc 8081", "artifact stock-svc: buildCommand \"scripts/skaffold-build-image.sh stock-svc 8081\", want \"scripts/skaffold-build-image.sh stock-svc 8082\""},
		{"a custom build of another service", "skaffold-build-image.sh payment-svc 8083", "skaffold-build-image.sh stock-svc 8082", "artifact payment-svc: buildCommand"},
		{"a custom build by another script", "buildCommand: scripts/skaffold-build-image.sh order-svc", "buildCommand: scripts/k8s-secrets.sh order-svc", "want \"scripts/skaffold-build-image.sh order-svc 8081\""},
		{"a custom build with its arguments in the wrong order", "skaffold-build-image.sh order-svc 8081", "skaffold-build-image.sh 8081 order-svc", "artifact order-svc: buildCommand"},
		{"an artifact with two builders", "          custom:\n", "          docker:\n            dockerfile: Dockerfile\n          custom:\n", "artifact order-svc: set one builder"},
		{"a dependency that does not exist", "                - devcluster/cmd/saga-image\n", "                - devcluster/cmd/saga-images\n", "artifact order-svc: dependency devcluster/cmd/saga-images matches no file"},
		{"dependencies missing a directory the image is built from", "                - platform\n", "", "artifact order-svc: dependencies.paths do not hold platform/"},
		{"dependencies missing the build script", "                - scripts/skaffold-build-image.sh\n", "", "artifact order-svc: dependencies.paths do not hold scripts/skaffold-build-image.sh"},
		{"a custom build tagged by git commit", "      tagPolicy:\n        inputDigest: {}\n", "", "profile local: build: tagPolicy must be inputDigest"},
		{"a tag policy outside the subset", "        inputDigest: {}", "        gitCommit: {}", "unknown field \"profiles[2].build.tagPolicy.gitCommit\""},
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

func TestSkaffoldScriptsMustBeExecutableFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, mode := range map[string]os.FileMode{"run.sh": 0o755, "read.sh": 0o644} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, ok := range map[string]bool{"run.sh": true, "read.sh": false, "missing.sh": false, "sub": false} {
		if err := executableProblem(dir, name); (err == nil) != ok {
			t.Errorf("%s: got %v, want accepted=%v", name, err, ok)
		}
	}
}
