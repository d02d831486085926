package bench

import (
	"strings"
	"testing"

	"github.com/example/order-saga/loadgen/internal/runner"
)

func TestEachTargetIsJudgedAtItsOwnLoad(t *testing.T) {
	fixed := runner.Defaults()
	fixed.Rate = 100
	r := &Results{
		Saturation:   Run{Load: &runner.Result{FinishedPerSecond: 600}, CPUPerOrderMs: 2.9},
		FixedRate:    Run{Load: &runner.Result{Config: fixed}, CPUPerOrderMs: 4.9},
		MemoryAtRate: map[string]Memory{"order-svc": {PeakMiB: 29}, "stock-svc": {PeakMiB: 31}, "payment-svc": {PeakMiB: 20}},
		Memory:       map[string]Memory{"order-svc": {PeakMiB: 41}, "stock-svc": {PeakMiB: 39}, "payment-svc": {PeakMiB: 20}},
	}
	want := map[string]bool{
		"saga orders/s at saturation":           true,
		"p99 final latency at 100 orders/s":     true, // 0 ms
		"CPU per order at saturation":           true,
		"CPU per order at 100 orders/s":         true, // 4.9 ≤ 5
		"peak RSS of order-svc at 100 orders/s": true,
		"peak RSS of order-svc at saturation":   false, // 41 > 40
		"peak RSS of stock-svc at 100 orders/s": false, // 31 > 30
		"peak RSS of stock-svc at saturation":   true,
	}
	got := map[string]bool{}
	for _, tg := range targets(r) {
		got[tg.Name] = tg.Met
	}
	for name, met := range want {
		if m, ok := got[name]; !ok || m != met {
			t.Errorf("%s: met %v (present %v), want %v; targets %v", name, m, ok, met, got)
		}
	}
	r.Targets = targets(r)
	var b strings.Builder
	PrintTable(&b, r)
	for _, line := range []string{"peak RSS of order-svc at saturation", "≤ 40 MiB", "≤ 5 ms"} {
		if !strings.Contains(b.String(), line) {
			t.Errorf("the table has no %q:\n%s", line, b.String())
		}
	}
}
