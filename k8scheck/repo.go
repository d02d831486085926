package k8scheck

import (
	"errors"
	"os"
	"path/filepath"
)

// Overlays are the kustomize overlays that k8s/ ships, relative to the
// repository root.
var Overlays = []string{"k8s/overlays/kind", "k8s/overlays/minikube"}

// RepoRoot finds the repository root: the nearest directory at or above the
// working directory that holds go.work.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.work found above the working directory")
		}
		dir = parent
	}
}
