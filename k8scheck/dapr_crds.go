package k8scheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// DaprModule is the Dapr release whose CRDs the manifests are checked
// against; the cluster runs the same version (scripts/k8s-up.sh).
const DaprModule = "github.com/dapr/dapr@v1.18.1"

// DaprCRDsDir returns $DAPR_CRDS_DIR, or else the charts/dapr/crds directory
// of DaprModule in the Go module cache, downloading the module if needed.
// The module is far too large to be a dependency of this one.
func DaprCRDsDir() (string, error) {
	if dir := os.Getenv("DAPR_CRDS_DIR"); dir != "" {
		return dir, nil
	}
	cmd := exec.Command("go", "mod", "download", "-json", DaprModule)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %w: %s", DaprModule, err, stderr.String())
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal(out, &mod); err != nil {
		return "", fmt.Errorf("go mod download %s: %w", DaprModule, err)
	}
	if mod.Error != "" || mod.Dir == "" {
		return "", fmt.Errorf("go mod download %s: %s", DaprModule, mod.Error)
	}
	return filepath.Join(mod.Dir, "charts", "dapr", "crds"), nil
}
