package stack

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestTheSchedulerListensOnlyOnTheStacksAddressAndItsOwnPorts(t *testing.T) {
	p := SchedulerPorts{GRPC: 21001, EtcdClient: 21002, EtcdPeer: 21003, Healthz: 21004, Metrics: 21005}
	s := NewScheduler("/bin/scheduler", "127.0.0.1", p, "/data", "warn", &bytes.Buffer{})
	flag := func(name string) string {
		i := slices.Index(s.args, name)
		if i < 0 || i+1 == len(s.args) {
			t.Fatalf("no %s in %q", name, s.args)
		}
		return s.args[i+1]
	}
	want := map[string]string{
		"--listen-address":               "127.0.0.1",
		"--port":                         "21001",
		"--override-broadcast-host-port": "127.0.0.1:21001",
		"--etcd-client-listen-address":   "127.0.0.1",
		"--etcd-client-port":             "21002",
		"--etcd-initial-cluster":         "dapr-scheduler-server-0=http://127.0.0.1:21003",
		"--healthz-listen-address":       "127.0.0.1",
		"--healthz-port":                 "21004",
		"--metrics-listen-address":       "127.0.0.1",
		"--metrics-port":                 "21005",
		"--etcd-data-dir":                "/data",
		"--log-level":                    "warn",
	}
	for name, value := range want {
		if got := flag(name); got != value {
			t.Errorf("%s = %q, want %q", name, got, value)
		}
	}
	if s.Addr != "127.0.0.1:21001" || s.HealthzURL() != "http://127.0.0.1:21004/healthz" || s.MetricsURL() != "http://127.0.0.1:21005/metrics" {
		t.Errorf("addresses: %s, %s, %s", s.Addr, s.HealthzURL(), s.MetricsURL())
	}
}

func TestTheEmbeddedEtcdsInfoLinesAreLeftOutBelowInfo(t *testing.T) {
	lines := []string{
		`scheduler   | {"level":"info","ts":"2026-12-07T17:26:26.79Z","msg":"starting an etcd server"}` + "\n",
		`scheduler   | {"level":"warn","ts":"2026-12-07T17:26:26.79Z","msg":"simple token is not cryptographically signed"}` + "\n",
		`scheduler   | time="2026-12-07T17:26:26Z" level=info msg="Scheduler started"` + "\n",
	}
	for _, tc := range []struct {
		level string
		want  []int // indexes of the lines kept
	}{
		{"warn", []int{1, 2}},
		{"error", []int{1, 2}},
		{"info", []int{0, 1, 2}},
		{"debug", []int{0, 1, 2}},
	} {
		t.Run("at "+tc.level, func(t *testing.T) {
			var out bytes.Buffer
			s := NewScheduler("/bin/scheduler", "127.0.0.1", SchedulerPorts{}, "/data", tc.level, &out)
			for _, l := range lines {
				if n, err := s.log.Write([]byte(l)); err != nil || n != len(l) {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			var want strings.Builder
			for _, i := range tc.want {
				want.WriteString(lines[i])
			}
			if out.String() != want.String() {
				t.Errorf("kept:\n%s\nwant:\n%s", out.String(), want.String())
			}
		})
	}
}
