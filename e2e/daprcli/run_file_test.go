//go:build daprcli

// Package daprcli runs dapr.yaml on the real Dapr CLI 1.16.5 with daprd
// 1.18.1, as a user of the CLI does: `dapr run -f dapr.yaml` with a Redis
// on localhost:6379 and a Dapr scheduler on localhost:50006, an order
// placed through order-svc, then a stop. The run file's ports are
// fixed (those of `make run`), so nothing else may run beside it: its
// files build only with the tag daprcli, and `make daprcli-test` runs it
// on its own.
package daprcli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
)

// redisAddr is where dapr/components look for Redis.
const redisAddr = "127.0.0.1:6379"

// What a sidecar of `make run` logs at warn level too: no Sentry locally,
// and no placement, by design. Any other warning, or any error (one about
// the scheduler, say), fails the test.
var expectedWarnings = []string{
	"mTLS is disabled",
	"Actor runtime disabled",
}

func TestTheDaprCLIRunsTheSagaFromTheRunFile(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	cli := daprCLI(t, root)
	ports, scheduler := stack.DefaultPorts(), stack.DefaultSchedulerPorts()
	requireFree(t, ports, scheduler)
	reserveFromEphemeral(t, runFilePorts(ports, scheduler))
	requireNoLocalOverrides(t, root)

	logs := &stack.LogBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last lines of the CLI's and Redis' output:\n%s", logs.Tail(80))
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	daprd, err := stack.EnsureDaprd(root, logs)
	if err != nil {
		t.Fatal(err)
	}
	home := cliHome(t, daprd)
	tokens, err := stack.RunTokens(filepath.Join(t.TempDir(), "tokens.env"))
	if err != nil {
		t.Fatal(err)
	}
	redis, err := stack.StartRedis(ctx, redisAddr, tokens.RedisPassword, t.TempDir(), false, logs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(redis.Stop)
	sched, err := stack.StartScheduler(ctx, root, "127.0.0.1", scheduler, t.TempDir(), "warn", logs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sched.Stop)
	appLogs := watchLogFolders(t, root)
	env := cliEnv(t, home, tokens)

	run := startRun(t, cli, root, env, logs)
	waitHealthy(t, run, ports)
	members := run.members()
	t.Logf("dapr run -f started %s", members)
	checkSidecarFlags(t, members, sched.Addr)
	placeAnOrder(t, fmt.Sprintf("http://127.0.0.1:%d", ports[contracts.AppOrder].App), fmt.Sprintf("http://127.0.0.1:%d", ports[contracts.AppStock].App))
	checkSidecars(t, ports)
	stopRun(t, cli, root, env, run, members)
	// After the stop, so that shutting down is checked too.
	checkLogs(t, appLogs.created())
}

// daprCLI is the Dapr CLI of scripts/ensure-tool.sh, which builds it once.
func daprCLI(t *testing.T, root string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(root, "scripts", "ensure-tool.sh"), "dapr")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("no Dapr CLI: `scripts/ensure-tool.sh dapr` prints its path, building it once: %v\n%s", err, stderr.String())
	}
	cli := strings.TrimSpace(string(out))
	version, err := exec.Command(cli, "version").CombinedOutput()
	if err != nil || !strings.Contains(string(version), "CLI version: 1.16.5") {
		t.Fatalf("%s is not the Dapr CLI 1.16.5 (see `scripts/ensure-tool.sh dapr`): %v\n%s", cli, err, version)
	}
	return cli
}

// runFilePorts are the ports dapr.yaml, its Redis and its scheduler
// listen on.
func runFilePorts(ports map[string]stack.Ports, s stack.SchedulerPorts) []int {
	out := []int{6379, s.GRPC, s.EtcdClient, s.EtcdPeer, s.Healthz, s.Metrics}
	for _, p := range ports {
		out = append(out, p.App, p.DaprHTTP, p.DaprGRPC, p.DaprInternal, p.DaprMetrics)
	}
	return out
}

// requireFree fails when anything listens on one of the run file's ports.
func requireFree(t *testing.T, ports map[string]stack.Ports, s stack.SchedulerPorts) {
	t.Helper()
	for _, port := range runFilePorts(ports, s) {
		ls, err := listenersOn(port)
		if err != nil {
			t.Fatal(err)
		}
		if len(ls) > 0 {
			t.Fatalf("port %d is taken (%s listens on it): dapr.yaml uses the fixed ports of `make run`, Redis on 6379 and the scheduler on 50006; stop whatever holds them (`make run`, another `dapr run -f`) and run this test again", port, ls[0])
		}
	}
}

// requireNoLocalOverrides fails when an app folder holds what the CLI
// would load instead of the run file's resources or configuration.
func requireNoLocalOverrides(t *testing.T, root string) {
	t.Helper()
	for _, app := range stack.Apps {
		for _, name := range []string{"resources", "config.yaml"} {
			p := filepath.Join(root, app, ".dapr", name)
			if _, err := os.Stat(p); err == nil {
				t.Fatalf("%s exists: the CLI would use it instead of what dapr.yaml names; move it away", p)
			}
		}
	}
}

// cliHome is a HOME for the CLI, so that nothing of the user's ~/.dapr is
// read or written. It holds daprd in .dapr/bin, where the CLI looks for
// it, and nothing else: dapr.yaml names the configuration and the
// resources, so the CLI wants no ~/.dapr/config.yaml or components.
func cliHome(t *testing.T, daprd string) string {
	t.Helper()
	home := t.TempDir()
	bin := filepath.Join(home, ".dapr", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(daprd, filepath.Join(bin, "daprd")); err != nil {
		t.Fatal(err)
	}
	return home
}

// cliEnv is the environment of the CLI: this one with HOME moved and the
// tokens exported, as after `source .dev/run/tokens.env`. Go keeps its
// caches and settings where they are, so that `go run` in the run file
// builds from them.
func cliEnv(t *testing.T, home string, tokens stack.Tokens) []string {
	t.Helper()
	out, err := exec.Command("go", "env", "-json", "GOCACHE", "GOMODCACHE", "GOPATH", "GOENV").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	var goEnv map[string]string
	if err := json.Unmarshal(out, &goEnv); err != nil {
		t.Fatalf("go env: %v", err)
	}
	set := map[string]string{
		"HOME":           home,
		"ADMIN_TOKEN":    tokens.Admin,
		"APP_API_TOKEN":  tokens.AppAPI,
		"DAPR_API_TOKEN": tokens.DaprAPI,
		"REDIS_PASSWORD": tokens.RedisPassword,
	}
	for k, v := range goEnv {
		set[k] = v
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if _, ours := set[name]; !ours && !strings.HasPrefix(name, "DAPR_") {
			env = append(env, kv)
		}
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

// run is a running `dapr run -f dapr.yaml`. It leads a process group of
// its own, as the CLI makes it anyway: its sidecars and apps are the other
// members.
type run struct {
	cmd  *exec.Cmd
	root string
	out  *stack.LogBuffer
	done chan struct{}
}

func startRun(t *testing.T, cli, root string, env []string, logs *stack.LogBuffer) *run {
	t.Helper()
	cmd := exec.Command(cli, "run", "-f", "dapr.yaml")
	cmd.Dir, cmd.Env = root, env
	cmd.Stdout, cmd.Stderr = logs, logs
	// Should this test die, the CLI gets what Ctrl-C sends and stops its
	// sidecars and apps.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGINT}
	if err := cmd.Start(); err != nil {
		t.Fatalf("dapr run -f dapr.yaml: %v", err)
	}
	r := &run{cmd: cmd, root: root, out: logs, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		// Whatever a failed test left running: the group's members, by
		// the group id of the process this test started.
		if left := r.members(); len(left) > 0 {
			t.Logf("killing what is left of dapr run -f: %s", left)
			_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		}
		<-r.done
	})
	return r
}

func (r *run) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// members are the live processes of the run's group, the CLI included.
func (r *run) members() processes {
	ps, err := processGroup(r.cmd.Process.Pid)
	if err != nil {
		return nil
	}
	return ps
}

// waitHealthy waits until each service is ready, its sidecar healthy, and
// the CLI done with starting it. The CLI prints where the app's logs go
// last, after it has written its own details into the sidecar's metadata
// (which the sidecar refuses); interrupted before, it keeps retrying that
// against a sidecar that has stopped.
func waitHealthy(t *testing.T, r *run, ports map[string]stack.Ports) {
	t.Helper()
	for _, app := range stack.Apps {
		p := ports[app]
		ready := fmt.Sprintf("http://127.0.0.1:%d/readyz", p.App)
		healthz := fmt.Sprintf("http://127.0.0.1:%d/v1.0/healthz", p.DaprHTTP)
		started := "Writing log files to directory : " + filepath.Join(r.root, app, ".dapr", "logs")
		eventually(t, 5*time.Minute, func() error {
			if r.exited() {
				t.Fatalf("dapr run -f dapr.yaml exited with %v before %s was ready", r.cmd.ProcessState, app)
			}
			if code, err := get(ready); err != nil || code != http.StatusOK {
				return fmt.Errorf("%s answered %d, %v", ready, code, err)
			}
			if code, err := get(healthz); err != nil || code >= 300 {
				return fmt.Errorf("%s answered %d, %v", healthz, code, err)
			}
			if len(r.out.Lines(started)) == 0 {
				return fmt.Errorf("the CLI has not printed %q", started)
			}
			return nil
		}, "%s and its sidecar to be ready", app)
	}
}

// placeAnOrder places an order as the README does and waits until it is
// CONFIRMED.
func placeAnOrder(t *testing.T, orderURL, stockURL string) {
	t.Helper()
	eventually(t, 30*time.Second, func() error {
		code, err := get(stockURL + "/products/coffee-beans")
		if err != nil || code != http.StatusOK {
			return fmt.Errorf("answered %d, %v", code, err)
		}
		return nil
	}, "stock-svc to seed its catalog")
	id := "daprcli-" + fmt.Sprint(time.Now().UnixNano())
	body := fmt.Sprintf(`{"customerId":%q,"items":[{"productId":"coffee-beans","quantity":1}]}`, id)
	req, _ := http.NewRequest(http.MethodPost, orderURL+"/orders", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", id)
	var placed struct {
		ID string `json:"id"`
	}
	code, err := do(req, &placed)
	if err != nil || code != http.StatusAccepted || placed.ID == "" {
		t.Fatalf("POST /orders answered %d, %v, order %q", code, err, placed.ID)
	}
	var last struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	}
	eventually(t, 30*time.Second, func() error {
		req, _ := http.NewRequest(http.MethodGet, orderURL+"/orders/"+placed.ID, nil)
		if code, err := do(req, &last); err != nil || code != http.StatusOK {
			return fmt.Errorf("GET answered %d, %v", code, err)
		}
		if last.Status == "CANCELED" {
			t.Fatalf("order %s CANCELED: %s", placed.ID, last.Reason)
		}
		if last.Status != "CONFIRMED" {
			return fmt.Errorf("status %s", last.Status)
		}
		return nil
	}, "order %s to be CONFIRMED", placed.ID)
	t.Logf("order %s: %s", placed.ID, last.Status)
}

// sidecarFlags are what each sidecar must be started with: the settings
// of `make run` (k8scheck's TestTheDaprCLIRunFileMatchesTheLocalRunner
// holds dapr.yaml to them), as the CLI passes them on.
var sidecarFlags = [][]string{
	{"--app-protocol", "http"},
	{"--dapr-listen-addresses", "127.0.0.1"},
	{"--log-level", "warn"},
	{"--max-body-size", "4Mi"},
	{"--enable-app-health-check"},
	{"--app-health-check-path", "/healthz"},
	{"--app-health-probe-interval", "1"},
	{"--app-health-probe-timeout", "500"},
	{"--app-health-threshold", "3"},
}

// checkSidecarFlags reads the command line of each daprd of the run: the
// settings of sidecarFlags, the scheduler's address, and no placement.
func checkSidecarFlags(t *testing.T, ps processes, scheduler string) {
	t.Helper()
	var seen int
	for _, p := range ps {
		if p.Name != "daprd" {
			continue
		}
		seen++
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.PID))
		if err != nil {
			t.Fatal(err)
		}
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		line := strings.Join(args, " ")
		for _, want := range sidecarFlags {
			if i := slices.Index(args, want[0]); i < 0 || (len(want) == 2 && (i+1 >= len(args) || args[i+1] != want[1])) {
				t.Errorf("daprd (%d) lacks %s: %s", p.PID, strings.Join(want, " "), line)
			}
		}
		if slices.Contains(args, "--placement-host-address") {
			t.Errorf("daprd (%d) has --placement-host-address: %s", p.PID, line)
		}
		if i := slices.Index(args, "--scheduler-host-address"); i < 0 || i+1 >= len(args) || args[i+1] != scheduler {
			t.Errorf("daprd (%d) lacks --scheduler-host-address %s: %s", p.PID, scheduler, line)
		}
		t.Logf("%s", line)
	}
	if seen != len(stack.Apps) {
		t.Errorf("the run has %d daprd, want %d", seen, len(stack.Apps))
	}
}

// checkSidecars: each sidecar's healthz answers, the services and the
// sidecars' HTTP and gRPC APIs listen on 127.0.0.1 only. The CLI has no
// setting for the internal gRPC and metrics listeners (daprd opens them on
// every interface); the test shows where they are.
func checkSidecars(t *testing.T, ports map[string]stack.Ports) {
	t.Helper()
	for _, app := range stack.Apps {
		p := ports[app]
		url := fmt.Sprintf("http://127.0.0.1:%d/v1.0/healthz", p.DaprHTTP)
		if code, err := get(url); err != nil || (code != http.StatusNoContent && code != http.StatusOK) {
			t.Errorf("%s: %s answered %d, %v", app, url, code, err)
		}
		for _, port := range []int{p.App, p.DaprHTTP, p.DaprGRPC} {
			ls, err := listenersOn(port)
			if err != nil {
				t.Fatal(err)
			}
			if len(ls) == 0 {
				t.Errorf("%s: nothing listens on port %d", app, port)
			}
			for _, l := range ls {
				if !l.IP.Equal(loopback) {
					t.Errorf("%s: port %d listens on %s, want 127.0.0.1 only", app, port, l)
				}
			}
		}
		for _, port := range []int{p.DaprInternal, p.DaprMetrics} {
			ls, err := listenersOn(port)
			if err != nil {
				t.Fatal(err)
			}
			if len(ls) == 0 {
				t.Errorf("%s: nothing listens on port %d", app, port)
			}
			t.Logf("%s: port %d (internal gRPC or metrics) listens on %v", app, port, ls)
		}
	}
}

// checkLogs reads the log files the CLI wrote in each app folder: no error
// from a sidecar or a service, and no warning from a sidecar but those a
// sidecar of `make run` logs too.
func checkLogs(t *testing.T, files []string) {
	t.Helper()
	var sidecars, apps int
	warned := map[string]int{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		sidecar := strings.Contains(name, "_daprd_")
		if sidecar {
			sidecars++
		} else {
			apps++
		}
		for _, line := range strings.Split(string(b), "\n") {
			switch {
			case strings.Contains(line, "level=error"), strings.Contains(line, "level=fatal"),
				strings.Contains(line, `"level":"ERROR"`):
				t.Errorf("%s: %s", name, line)
			case sidecar && strings.Contains(line, "level=warning"):
				if w := expected(line); w != "" {
					warned[w]++
				} else {
					t.Errorf("%s: %s", name, line)
				}
			}
		}
	}
	if sidecars != len(stack.Apps) || apps != len(stack.Apps) {
		t.Errorf("found %d sidecar and %d app log files, want %d of each: %v", sidecars, apps, len(stack.Apps), files)
	}
	t.Logf("read %d log files; the sidecars' expected warnings: %v", len(files), warned)
}

// expected is the expected warning that line holds, or "".
func expected(line string) string {
	for _, w := range expectedWarnings {
		if strings.Contains(line, w) {
			return w
		}
	}
	return ""
}

// stopRun stops the run as its user does, with Ctrl-C, and waits until
// every process it started is gone. `dapr stop -f dapr.yaml` cannot do it:
// it finds the CLI of a run through the sidecars' metadata API, which
// these sidecars refuse (the CLI sends no API token, and metadata is not
// an allowed API); dapr.yaml and the README say so.
func stopRun(t *testing.T, cli, root string, env []string, r *run, started processes) {
	t.Helper()
	stop := exec.Command(cli, "stop", "-f", "dapr.yaml")
	stop.Dir, stop.Env = root, env
	out, err := stop.CombinedOutput()
	t.Logf("dapr stop -f dapr.yaml: %s", bytes.TrimSpace(out))
	if err != nil || !bytes.Contains(out, []byte("couldn't find apps with run file")) {
		t.Errorf("dapr stop -f dapr.yaml (%v) no longer fails to find the apps: say so in dapr.yaml and the README, and stop the run with it here", err)
	}
	if left := started.alive(); len(left) != len(started) {
		t.Errorf("dapr stop -f dapr.yaml stopped some processes only: %s are left of %s", left, started)
	}
	// What Ctrl-C does in the terminal of `dapr run -f`: SIGINT to its
	// process group, the CLI's (and the one `dapr stop -f` signals when
	// it finds the run).
	if err := syscall.Kill(-r.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatalf("interrupt dapr run -f: %v", err)
	}
	eventually(t, time.Minute, func() error {
		if left := started.alive(); len(left) > 0 {
			return fmt.Errorf("still running: %s", left)
		}
		if left := r.members(); len(left) > 0 {
			return fmt.Errorf("still running: %s", left)
		}
		if !r.exited() {
			return fmt.Errorf("dapr run -f has not exited")
		}
		return nil
	}, "every process of dapr run -f to end")
	t.Logf("dapr run -f exited (%v); none of its processes is left", r.cmd.ProcessState)
}

// eventually polls check until it succeeds or limit passes.
func eventually(t *testing.T, limit time.Duration, check func() error, what string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for "+what+": %v", append([]any{limit}, append(args, err)...)...)
		}
		<-tick.C
	}
}

func get(url string) (int, error) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	return do(req, nil)
}

// do sends req and decodes a JSON answer into v unless v is nil.
func do(req *http.Request, v any) (int, error) {
	ctx, cancel := context.WithTimeout(req.Context(), 5*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if v != nil && resp.StatusCode < 300 {
		return resp.StatusCode, json.NewDecoder(resp.Body).Decode(v)
	}
	return resp.StatusCode, nil
}
