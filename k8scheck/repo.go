package k8scheck

import "github.com/example/order-saga/devstack/stack"

// Overlays are the kustomize overlays that k8s/ ships, relative to the
// repository root.
var Overlays = []string{"k8s/overlays/kind", "k8s/overlays/minikube", "k8s/overlays/kind-postgres"}

// RepoRoot finds the repository root: the nearest directory at or above the
// working directory that holds go.work.
func RepoRoot() (string, error) { return stack.RepoRoot() }
