package k8scheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/example/order-saga/devstack/stack"
)

// runFile is dapr.yaml in the Dapr CLI 1.16 schema (pkg/runfileconfig and
// pkg/standalone.SharedRunConfig of github.com/dapr/cli); a field the CLI
// does not know fails the strict decoding.
type runFile struct {
	Version int                `json:"version"`
	Common  runFileSidecar     `json:"common"`
	Apps    []runFileAppConfig `json:"apps"`
}

// runFileSidecar holds the settings an app may take from common.
type runFileSidecar struct {
	ResourcesPaths         []string `json:"resourcesPaths"`
	ConfigFilePath         string   `json:"configFilePath"`
	LogLevel               string   `json:"logLevel"`
	APIListenAddresses     string   `json:"apiListenAddresses"`
	PlacementHostAddress   *string  `json:"placementHostAddress"`
	SchedulerHostAddress   *string  `json:"schedulerHostAddress"`
	AppProtocol            string   `json:"appProtocol"`
	MaxBodySize            string   `json:"maxBodySize"`
	EnableAppHealthCheck   bool     `json:"enableAppHealthCheck"`
	AppHealthCheckPath     string   `json:"appHealthCheckPath"`
	AppHealthProbeInterval int      `json:"appHealthProbeInterval"`
	AppHealthProbeTimeout  int      `json:"appHealthProbeTimeout"`
	AppHealthThreshold     int      `json:"appHealthThreshold"`
}

type runFileAppConfig struct {
	runFileSidecar
	AppID                string            `json:"appID"`
	AppDirPath           string            `json:"appDirPath"`
	AppPort              int               `json:"appPort"`
	DaprHTTPPort         int               `json:"daprHTTPPort"`
	DaprGRPCPort         int               `json:"daprGRPCPort"`
	DaprInternalGRPCPort int               `json:"daprInternalGRPCPort"`
	MetricsPort          int               `json:"metricsPort"`
	Env                  map[string]string `json:"env"`
	Command              []string          `json:"command"`
}

// flags are the sidecar settings of an app, as daprd flags: an app's own
// value wins over common's, as in the CLI.
func (a runFileAppConfig) flags(common runFileSidecar) map[string]string {
	pick := func(own, shared string) string {
		if own != "" {
			return own
		}
		return shared
	}
	num := func(own, shared int) string {
		if own != 0 {
			return strconv.Itoa(own)
		}
		if shared != 0 {
			return strconv.Itoa(shared)
		}
		return ""
	}
	return map[string]string{
		"--app-protocol":              pick(a.AppProtocol, common.AppProtocol),
		"--max-body-size":             pick(a.MaxBodySize, common.MaxBodySize),
		"--enable-app-health-check":   strconv.FormatBool(a.EnableAppHealthCheck || common.EnableAppHealthCheck),
		"--app-health-check-path":     pick(a.AppHealthCheckPath, common.AppHealthCheckPath),
		"--app-health-probe-interval": num(a.AppHealthProbeInterval, common.AppHealthProbeInterval),
		"--app-health-probe-timeout":  num(a.AppHealthProbeTimeout, common.AppHealthProbeTimeout),
		"--app-health-threshold":      num(a.AppHealthThreshold, common.AppHealthThreshold),
		"--log-level":                 pick(a.LogLevel, common.LogLevel),
		"--dapr-listen-addresses":     pick(a.APIListenAddresses, common.APIListenAddresses),
	}
}

// daprdDefaults are daprd 1.18's values of the flags that `make run`
// leaves out (cmd/daprd/options; the same as 1.16's), and the log level
// and API listen address that stack.Start computes (daprd's own defaults
// for these are info and every address).
var daprdDefaults = map[string]string{
	"--app-protocol":              "http",
	"--max-body-size":             "4Mi",
	"--enable-app-health-check":   "false",
	"--app-health-check-path":     "/healthz",
	"--app-health-probe-interval": "5",
	"--app-health-probe-timeout":  "500",
	"--app-health-threshold":      "3",
	"--log-level":                 "warn",
	"--dapr-listen-addresses":     "127.0.0.1",
}

// dapr.yaml, for users of the Dapr CLI, runs the same apps on the same
// ports with the same resources and sidecar settings as `make run`.
func TestTheDaprCLIRunFileMatchesTheLocalRunner(t *testing.T) {
	t.Parallel()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "dapr.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var f runFile
	if err := yaml.UnmarshalStrict(b, &f); err != nil {
		t.Fatalf("dapr.yaml: %v", err)
	}
	if f.Version != 1 {
		t.Errorf("dapr.yaml: version %d, want 1", f.Version)
	}
	if len(f.Common.ResourcesPaths) == 0 {
		t.Error("dapr.yaml names no resourcesPaths")
	}
	for _, p := range append([]string{f.Common.ConfigFilePath}, f.Common.ResourcesPaths...) {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("dapr.yaml names %s: %v", p, err)
		}
	}
	// No placement (an empty address turns it off), and the scheduler of
	// `make run`.
	if p := f.Common.PlacementHostAddress; p == nil || *p != "" {
		t.Errorf(`dapr.yaml: placementHostAddress must be "" (no placement)`)
	}
	sched := "127.0.0.1:" + strconv.Itoa(stack.DefaultSchedulerPorts().GRPC)
	if s := f.Common.SchedulerHostAddress; s == nil || *s != sched {
		t.Errorf(`dapr.yaml: schedulerHostAddress must be %q (the scheduler of make run)`, sched)
	}
	want := stack.DefaultPorts()
	if len(f.Apps) != len(want) {
		t.Fatalf("dapr.yaml runs %d apps, want %d", len(f.Apps), len(want))
	}
	runner := localRunnerFlags(t, root)
	for _, a := range f.Apps {
		p, ok := want[a.AppID]
		if !ok {
			t.Errorf("dapr.yaml runs an unknown app %q", a.AppID)
			continue
		}
		got := stack.Ports{App: a.AppPort, DaprHTTP: a.DaprHTTPPort, DaprGRPC: a.DaprGRPCPort, DaprInternal: a.DaprInternalGRPCPort, DaprMetrics: a.MetricsPort}
		if got != p {
			t.Errorf("%s: dapr.yaml ports %+v, make run uses %+v", a.AppID, got, p)
		}
		if a.Env["PORT"] != strconv.Itoa(p.App) || a.Env["BIND_ADDRESS"] != "127.0.0.1" {
			t.Errorf("%s: env PORT %q and BIND_ADDRESS %q, want %d and 127.0.0.1", a.AppID, a.Env["PORT"], a.Env["BIND_ADDRESS"], p.App)
		}
		if rate, err := stack.SamplingRate(filepath.Join(root, f.Common.ConfigFilePath)); err != nil || a.Env["TRACE_SAMPLING_RATE"] != rate {
			t.Errorf("%s: env TRACE_SAMPLING_RATE %q, want %q, the samplingRate of %s (%v)", a.AppID, a.Env["TRACE_SAMPLING_RATE"], rate, f.Common.ConfigFilePath, err)
		}
		for flag, value := range a.flags(f.Common) {
			wantValue, ok := runner[flag]
			if !ok {
				wantValue = daprdDefaults[flag]
			}
			if value == "" {
				value = daprdDefaults[flag]
			}
			if value != wantValue {
				t.Errorf("%s: dapr.yaml gives the sidecar %s %s, make run %s", a.AppID, flag, value, wantValue)
			}
		}
		if _, err := os.Stat(filepath.Join(root, a.AppDirPath, "main.go")); err != nil {
			t.Errorf("%s: %v", a.AppID, err)
		}
	}
}

// localRunnerFlags reads the constant daprd flags of `make run` from
// devstack/stack/daprd.go: each "--flag" of daprdArgs with the string
// literal after it, or "true" when another flag follows. Flags whose
// value is computed are left out.
func localRunnerFlags(t *testing.T, root string) map[string]string {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, "devstack", "stack", "daprd.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var args []ast.Expr
	ast.Inspect(file, func(n ast.Node) bool {
		if fn, ok := n.(*ast.FuncDecl); ok && fn.Name.Name == "daprdArgs" {
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if lit, ok := n.(*ast.CompositeLit); ok && args == nil {
					args = lit.Elts
				}
				return args == nil
			})
		}
		return args == nil
	})
	if len(args) == 0 {
		t.Fatal("devstack/stack/daprd.go: no []string{...} in daprdArgs")
	}
	str := func(e ast.Expr) (string, bool) {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(lit.Value)
		return s, err == nil
	}
	flags := map[string]string{}
	for i, e := range args {
		name, ok := str(e)
		if !ok || !strings.HasPrefix(name, "--") {
			continue
		}
		if i+1 == len(args) {
			flags[name] = "true"
			continue
		}
		next, isLit := str(args[i+1])
		switch {
		case isLit && strings.HasPrefix(next, "--"):
			flags[name] = "true"
		case isLit:
			flags[name] = next
		}
	}
	if flags["--enable-app-health-check"] != "true" {
		t.Fatalf("devstack/stack/daprd.go: read %v, which has no --enable-app-health-check", flags)
	}
	return flags
}
