package report

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Provenance says what produced a results file.
type Provenance struct {
	Command   []string `json:"command"`
	Commit    string   `json:"commit,omitempty"`
	Dirty     bool     `json:"dirty,omitempty"` // the work tree had uncommitted changes
	GoVersion string   `json:"goVersion"`
	CPUs      int      `json:"cpus"`
}

// Collect describes this process and the git checkout it runs in, when
// there is one.
func Collect() Provenance {
	p := Provenance{Command: os.Args, GoVersion: runtime.Version(), CPUs: runtime.NumCPU()}
	if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
		p.Commit = strings.TrimSpace(string(out))
		// Exit status 1 means the tree differs from HEAD.
		p.Dirty = exec.Command("git", "diff", "--quiet", "HEAD").Run() != nil
	}
	return p
}

// WriteJSON writes v, indented, to path, creating its folder.
func WriteJSON(path string, v any) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
