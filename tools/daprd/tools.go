//go:build tools

// Package tools pins the Dapr runtime: daprd for the stacks the tests
// start, and the control plane (operator, sentry, placement, sidecar
// injector) for the local Kubernetes cluster.
package tools

import (
	_ "github.com/dapr/dapr/cmd/daprd"
	_ "github.com/dapr/dapr/cmd/injector"
	_ "github.com/dapr/dapr/cmd/operator"
	_ "github.com/dapr/dapr/cmd/placement"
	_ "github.com/dapr/dapr/cmd/scheduler"
	_ "github.com/dapr/dapr/cmd/sentry"
)
