package stack

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Prometheus is a real Prometheus scraping a stack.
type Prometheus struct {
	URL  string
	proc *Proc
}

// Stop stops the server.
func (p *Prometheus) Stop() { p.proc.Stop(10 * time.Second) }

// PrometheusConfig is the scrape configuration of a stack: its services
// (job saga-services) and their sidecars (job dapr-sidecars), each target
// labelled with its app id, its Dapr scheduler (job dapr-scheduler), plus
// the saga's alert rules.
func (s *Stack) PrometheusConfig(interval time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  evaluation_interval: %s\n", interval, interval)
	fmt.Fprintf(&b, "rule_files:\n  - %s\n", filepath.Join(s.Opts.Root, "observability", "prometheus", "rules.yml"))
	b.WriteString("scrape_configs:\n")
	for _, job := range []struct {
		name string
		port func(Ports) int
	}{
		{"saga-services", func(p Ports) int { return p.App }},
		{"dapr-sidecars", func(p Ports) int { return p.DaprMetrics }},
	} {
		fmt.Fprintf(&b, "  - job_name: %s\n    static_configs:\n", job.name)
		for _, inst := range s.Instances {
			fmt.Fprintf(&b, "      - targets: ['127.0.0.1:%d']\n        labels: {app_id: %s, replica: %s}\n", job.port(s.Ports[inst]), s.appOf[inst], inst)
		}
	}
	if s.Scheduler != nil {
		fmt.Fprintf(&b, "  - job_name: dapr-scheduler\n    static_configs:\n      - targets: ['127.0.0.1:%d']\n", s.Scheduler.Ports.Metrics)
	}
	return b.String()
}

// StartPrometheus starts Prometheus on addr against the stack, with its
// data in the stack's folder, and waits until it is ready.
func (s *Stack) StartPrometheus(ctx context.Context, addr string, interval time.Duration) (*Prometheus, error) {
	bin, err := Installed("prometheus", "prometheus", s.Opts.Log)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(s.Opts.Dir, "prometheus")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(s.PrometheusConfig(interval)), 0o644); err != nil {
		return nil, err
	}
	args := []string{"--config.file=" + cfg, "--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr, "--log.level=warn"}
	p, err := startProc("prometheus", bin, args, nil, s.Opts.Log)
	if err != nil {
		return nil, err
	}
	prom := &Prometheus{URL: "http://" + addr, proc: p}
	err = waitFor(ctx, 30*time.Second, func(ctx context.Context) error {
		if p.Exited() {
			return stopWaiting{fmt.Errorf("prometheus exited with code %d", p.ExitCode())}
		}
		return httpOK(ctx, prom.URL+"/-/ready")
	})
	if err != nil {
		prom.Stop()
		return nil, err
	}
	return prom, nil
}

// FreeAddr returns a free loopback address.
func FreeAddr() (string, error) {
	p, err := FreePort()
	if err != nil {
		return "", err
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), nil
}

// Installed finds a program, installing its Debian package with apt-get
// when it is missing and this is a Debian or Ubuntu machine where we are
// root.
func Installed(program, pkg string, log io.Writer) (string, error) {
	if bin, err := exec.LookPath(program); err == nil {
		return bin, nil
	}
	if err := installPackage(pkg, log); err != nil {
		return "", fmt.Errorf("%s is not installed: %w", program, err)
	}
	return exec.LookPath(program)
}

// installPackage installs a Debian package with apt-get, when the runner
// is root on a machine that has it.
func installPackage(pkg string, log io.Writer) error {
	if _, err := exec.LookPath("apt-get"); err != nil || os.Geteuid() != 0 {
		return fmt.Errorf("install the %s package", pkg)
	}
	fmt.Fprintf(log, "installing %s with apt-get...\n", pkg)
	for _, args := range [][]string{{"update", "-qq"}, {"install", "-y", "-qq", "--no-install-recommends", pkg}} {
		cmd := exec.Command("apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("apt-get %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}
