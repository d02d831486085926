// Package k8scheck proves the Kubernetes manifests in k8s/ before they meet
// a cluster: it renders every kustomize overlay, decodes each object strictly
// into its Kubernetes type, validates the Dapr resources against Dapr's own
// CRD schemas, checks the project's policies (names, ports, probes, limits,
// security), and reads the Dockerfile and skaffold.yaml they depend on.
package k8scheck
