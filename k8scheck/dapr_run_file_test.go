package k8scheck

import (
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/example/order-saga/devstack/stack"
)

// dapr.yaml, for users of the Dapr CLI, runs the same apps on the same
// ports with the same resources as `make run`.
func TestTheDaprCLIRunFileMatchesTheLocalRunner(t *testing.T) {
	t.Parallel()
	root, _, _ := fixtures(t)
	b, err := os.ReadFile(filepath.Join(root, "dapr.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Version int `json:"version"`
		Common  struct {
			ResourcesPaths       []string `json:"resourcesPaths"`
			ConfigFilePath       string   `json:"configFilePath"`
			LogLevel             string   `json:"logLevel"`
			APIListenAddresses   string   `json:"apiListenAddresses"`
			PlacementHostAddress *string  `json:"placementHostAddress"`
			SchedulerHostAddress string   `json:"schedulerHostAddress"`
		} `json:"common"`
		Apps []struct {
			AppID                string            `json:"appID"`
			AppDirPath           string            `json:"appDirPath"`
			AppPort              int               `json:"appPort"`
			DaprHTTPPort         int               `json:"daprHTTPPort"`
			DaprGRPCPort         int               `json:"daprGRPCPort"`
			DaprInternalGRPCPort int               `json:"daprInternalGRPCPort"`
			MetricsPort          int               `json:"metricsPort"`
			EnableAppHealthCheck bool              `json:"enableAppHealthCheck"`
			AppHealthCheckPath   string            `json:"appHealthCheckPath"`
			Env                  map[string]string `json:"env"`
			Command              []string          `json:"command"`
		} `json:"apps"`
	}
	if err := yaml.UnmarshalStrict(b, &f); err != nil {
		t.Fatalf("dapr.yaml: %v", err)
	}
	if len(f.Common.ResourcesPaths) == 0 {
		t.Error("dapr.yaml names no resourcesPaths")
	}
	for _, p := range append([]string{f.Common.ConfigFilePath}, f.Common.ResourcesPaths...) {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("dapr.yaml names %s: %v", p, err)
		}
	}
	want := stack.DefaultPorts()
	if len(f.Apps) != len(want) {
		t.Fatalf("dapr.yaml runs %d apps, want %d", len(f.Apps), len(want))
	}
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
		if a.Env["PORT"] == "" || a.AppHealthCheckPath != "/healthz" || !a.EnableAppHealthCheck {
			t.Errorf("%s: PORT %q, health check %v on %q", a.AppID, a.Env["PORT"], a.EnableAppHealthCheck, a.AppHealthCheckPath)
		}
		if _, err := os.Stat(filepath.Join(root, a.AppDirPath, "main.go")); err != nil {
			t.Errorf("%s: %v", a.AppID, err)
		}
	}
}
