//go:build tools

// Package tools pins the Dapr CLI, which runs the services from dapr.yaml
// (`dapr run -f`).
package tools

import _ "github.com/dapr/cli"
