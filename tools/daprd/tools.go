//go:build tools

// Package tools pins the daprd build.
package tools

import _ "github.com/dapr/dapr/cmd/daprd"
