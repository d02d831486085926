//go:build tools

// Package tools pins the servers that the manifest dry-run starts.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
