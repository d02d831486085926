//go:build tools

// Package tools pins Helm, which installs the Dapr chart into the local
// cluster.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
