package bench

import (
	"bytes"
	"strings"
	"testing"

	"github.com/example/order-saga/loadgen/internal/runner"
	"github.com/example/order-saga/loadgen/internal/stats"
)

func TestTheStoresComparisonPrintsOneRowPerStoreWithTheStoresOwnCPU(t *testing.T) {
	t.Parallel()
	result := func(state string, perSecond float64, store string, storeMs float64) *Results {
		o := Defaults()
		o.State = state
		return &Results{
			Options:    o,
			Saturation: Run{Load: &runner.Result{Finished: 1000, FinishedPerSecond: perSecond}, StackCPUMs: 8000},
			FixedRate: Run{Load: &runner.Result{Finished: 2000, Final: stats.Summary{P50Ms: 20, P99Ms: 80}},
				StackCPUMs: 36000, CPUMs: map[string]float64{store: storeMs, "order-svc": 1}},
			Memory: map[string]Memory{store: {PeakMiB: 64}},
		}
	}
	var out bytes.Buffer
	PrintStoreComparison(&out, &StoreComparison{Runs: []*Results{result("redis", 250, "redis", 2000), result("postgres", 180, "postgres", 6000)}})
	for _, row := range []string{
		"| CPU ms per order at 100/s | final p50 / p99 at 100/s |",
		"| redis | 250 | 8.000 | 18.000 | 20.0 / 80.0 ms | 1.000 | 64 MiB |",
		"| postgres | 180 | 8.000 | 18.000 | 20.0 / 80.0 ms | 3.000 | 64 MiB |",
	} {
		if !strings.Contains(out.String(), row) {
			t.Errorf("no row %q in:\n%s", row, out.String())
		}
	}
}
