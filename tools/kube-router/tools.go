//go:build tools

// Package tools pins kube-router, which enforces NetworkPolicy in the local
// cluster.
package tools

import _ "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router"
