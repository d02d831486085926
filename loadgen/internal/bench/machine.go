package bench

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"

	"github.com/example/order-saga/devstack/stack"
)

// Machine describes where the benchmark ran; figures from a busy or a
// different machine do not compare.
type Machine struct {
	CPUModel string `json:"cpuModel,omitempty"`
	CPUs     int    `json:"cpus"`
	// LoadAverage is the 1-minute load average before the stack started:
	// anything well above 0 means other work shared the CPUs.
	LoadAverage float64           `json:"loadAverage"`
	Versions    map[string]string `json:"versions,omitempty"`
}

func describeMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU()}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			m.LoadAverage, _ = strconv.ParseFloat(f[0], 64)
		}
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		s := bufio.NewScanner(f)
		for s.Scan() {
			if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// versions names the daprd and Redis the stack ran.
func versions(o Options) map[string]string {
	out := map[string]string{"go": runtime.Version()}
	daprd, err := o.Daprd, error(nil)
	if daprd == "" {
		daprd, err = stack.EnsureDaprd(o.Root, nil)
	}
	if err == nil {
		out["daprd"] = firstLine(exec.Command(daprd, "--version"))
	}
	if bin, err := exec.LookPath("redis-server"); err == nil {
		out["redis"] = firstLine(exec.Command(bin, "--version"))
	}
	return out
}

func firstLine(cmd *exec.Cmd) string {
	b, err := cmd.Output()
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return line
}
