package adapters_test

import (
	"testing"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/order-svc/internal/adapters"
	"github.com/example/order-saga/platform/obs"
)

// contradicting reads saga_events_contradicting_total by event type.
func contradicting(t *testing.T, m *obs.Metrics) map[string]float64 {
	t.Helper()
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "saga_events_contradicting_total" {
			continue
		}
		for _, s := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["service"] != "order-svc" {
				t.Errorf("service label %q, want order-svc", labels["service"])
			}
			out[labels["event_type"]] = s.GetCounter().GetValue()
		}
	}
	return out
}

func TestContradictingEventsAreCountedByTheirContractType(t *testing.T) {
	t.Parallel()
	shared := obs.NewMetrics("order-svc")
	m := adapters.NewMetrics(shared)
	if got := contradicting(t, shared); len(got) != 8 || got[contracts.TypeStockFailed] != 0 {
		t.Fatalf("before any contradiction %v, want the eight event types at 0", got)
	}
	m.EventContradicting(contracts.TypeStockFailed)
	m.EventContradicting(contracts.TypeStockFailed)
	m.EventContradicting("whatever the payload said")
	got := contradicting(t, shared)
	if got[contracts.TypeStockFailed] != 2 || got["unknown"] != 1 || len(got) != 9 {
		t.Fatalf("counted %v, want StockFailed 2 and unknown 1 beside the zeros", got)
	}
}
