package app_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/stock-svc/internal/app"
)

func canceled(id string) app.CancelOrder { return app.CancelOrder{OrderID: id, CustomerID: "c1"} }

func TestACanceledOrderGivesBackWhatItTookWhereverItStood(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		prepare  func(t *testing.T, r replica)
		want     [3]int // grinder available, reserved, sold
		announce string
	}{
		{"an order never seen is refused, and its creation later holds nothing", func(*testing.T, replica) {}, [3]int{20, 0, 0}, contracts.TypeStockFailed},
		{"a reserved order is released", func(t *testing.T, r replica) {
			must(t, r.reserve.Handle(context.Background(), order("o1", grinders(2))))
		}, [3]int{20, 0, 0}, contracts.TypeStockReleased},
		{"a sold order has its units returned", func(t *testing.T, r replica) {
			must(t, r.reserve.Handle(context.Background(), order("o1", grinders(2))))
			must(t, r.settle.Handle(context.Background(), paid("o1")))
		}, [3]int{20, 0, 0}, contracts.TypeStockReleased},
		{"a released order stays released", func(t *testing.T, r replica) {
			must(t, r.reserve.Handle(context.Background(), order("o1", grinders(2))))
			must(t, r.settle.Handle(context.Background(), unpaid("o1")))
		}, [3]int{20, 0, 0}, contracts.TypeStockReleased},
		{"a refused order stays refused", func(t *testing.T, r replica) {
			must(t, r.reserve.Handle(context.Background(), order("o1", grinders(21))))
		}, [3]int{20, 0, 0}, contracts.TypeStockFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pub := &recordingPublisher{}
			r, _ := seeded(t, pub)
			tc.prepare(t, r)
			cancel := app.CancelOrderHandler{Stock: r.stock}
			for range 2 { // a repeat changes nothing
				from := pub.count()
				must(t, cancel.Handle(context.Background(), canceled("o1")))
				if got := pub.ids(from); len(got) != 1 || got[0] != contracts.EventID("o1", tc.announce) {
					t.Fatalf("announced %v, want %s", got, tc.announce)
				}
				if got := r.stockOf(t, "grinder"); got != tc.want {
					t.Fatalf("grinder %v, want %v", got, tc.want)
				}
			}
			// What comes after the cancellation takes nothing.
			must(t, r.reserve.Handle(context.Background(), order("o1", grinders(2))))
			must(t, r.settle.Handle(context.Background(), paid("o1")))
			if got := r.stockOf(t, "grinder"); got != tc.want {
				t.Fatalf("after late events grinder %v, want %v", got, tc.want)
			}
		})
	}
}

func TestACancellationRacingThePaymentLeavesEveryUnitCountedOnce(t *testing.T) {
	t.Parallel()
	for i := range 200 {
		pub := &recordingPublisher{}
		r, backend := seeded(t, pub)
		other := newReplica(t, backend, pub)
		must(t, r.reserve.Handle(context.Background(), order("o1", grinders(2))))
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); must(t, r.settle.Handle(context.Background(), paid("o1"))) }()
		go func() {
			defer wg.Done()
			must(t, app.CancelOrderHandler{Stock: other.stock}.Handle(context.Background(), canceled("o1")))
		}()
		wg.Wait()
		if got := r.stockOf(t, "grinder"); got != [3]int{20, 0, 0} {
			t.Fatalf("run %d: grinder %v, want every unit back", i, got)
		}
	}
}

func TestAnOrderPastItsDeadlineHoldsNothing(t *testing.T) {
	t.Parallel()
	pub := &recordingPublisher{}
	r, _ := seeded(t, pub)
	late := order("o1", grinders(2))
	late.Deadline = decidedAt.Add(-time.Second)
	must(t, r.reserve.Handle(context.Background(), late))
	if got := r.stockOf(t, "grinder"); got != [3]int{20, 0, 0} {
		t.Fatalf("grinder %v, want nothing held", got)
	}
	if got := pub.ids(0); len(got) != 1 || got[0] != contracts.EventID("o1", contracts.TypeStockFailed) {
		t.Fatalf("announced %v, want a refusal", got)
	}
}
