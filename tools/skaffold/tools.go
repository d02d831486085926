//go:build tools

// Package tools pins skaffold, which renders and checks skaffold.yaml.
package tools

import _ "github.com/GoogleContainerTools/skaffold/v2/cmd/skaffold"
