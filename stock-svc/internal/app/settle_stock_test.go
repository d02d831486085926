package app_test

import (
	"context"
	"testing"

	"github.com/example/order-saga/stock-svc/internal/app"
)

func TestAPaymentOutcomeTheRecordContradictsChangesNothingAndIsCounted(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		prepare func(t *testing.T, r replica)
		outcome app.SettleStock
		want    [3]int
		series  string
	}{
		{"a failed payment of a sold order keeps it sold", func(t *testing.T, r replica) {
			must(t, r.reserve.Handle(context.Background(), order("o1", grinders(2))))
			must(t, r.settle.Handle(context.Background(), paid("o1")))
		}, unpaid("o1"), [3]int{18, 0, 2}, `saga_events_contradicting_total{event_type="PaymentFailed"}`},
		{"a payment of a released order sells nothing", func(t *testing.T, r replica) {
			must(t, r.reserve.Handle(context.Background(), order("o1", grinders(2))))
			must(t, r.settle.Handle(context.Background(), unpaid("o1")))
		}, paid("o1"), [3]int{20, 0, 0}, `saga_events_contradicting_total{event_type="PaymentCompleted"}`},
		{"a payment of a refused order sells nothing", func(t *testing.T, r replica) {
			must(t, r.reserve.Handle(context.Background(), order("o1", grinders(21))))
		}, paid("o1"), [3]int{20, 0, 0}, `saga_events_contradicting_total{event_type="PaymentCompleted"}`},
		{"a payment of an order never seen sells nothing", func(*testing.T, replica) {}, paid("o1"), [3]int{20, 0, 0},
			`saga_events_contradicting_total{event_type="PaymentCompleted"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pub := &recordingPublisher{}
			r, _ := seeded(t, pub)
			tc.prepare(t, r)
			from := pub.count()
			must(t, r.settle.Handle(context.Background(), tc.outcome))
			if got := r.stockOf(t, "grinder"); got != tc.want {
				t.Fatalf("grinder %v, want %v", got, tc.want)
			}
			if n := pub.count() - from; n != 0 {
				t.Fatalf("%d events published for a contradicted outcome", n)
			}
			if got := r.metric(t, tc.series); got != 1 {
				t.Fatalf("%s = %v, want 1", tc.series, got)
			}
		})
	}
}
