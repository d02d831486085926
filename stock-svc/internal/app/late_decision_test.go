package app_test

import (
	"context"
	"slices"
	"testing"

	"github.com/example/order-saga/stock-svc/internal/app"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// unrecorded hides every reservation record from Get, as a handler sees
// it when it read before another handler recorded the decision.
type unrecorded struct{ app.ReservationRepository }

func (unrecorded) Get(context.Context, string) (inventory.Reservation, bool, error) {
	return inventory.Reservation{}, false, nil
}

func TestAHandlerThatDecidesAfterTheOrderWasSettledGivesItsUnitsBack(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		settle      func(t *testing.T, r replica)
		wantIDs     []string
		wantGrinder [2]int
		wantStatus  inventory.Status
	}{
		{
			name: "after a refusal was recorded and stock came in, the refusal is announced again",
			settle: func(t *testing.T, r replica) {
				must(t, r.app.ReserveStock(context.Background(), orderCreated("o1", grinders(21))))
				_, err := r.app.PutProduct(context.Background(), "grinder", "Burr grinder", 8900, 30)
				must(t, err)
			},
			wantIDs:     repeat("o1.StockFailed", 2),
			wantGrinder: [2]int{30, 0},
			wantStatus:  inventory.StatusFailed,
		},
		{
			name: "after the order was sold, the reservation is announced again and nothing is held twice",
			settle: func(t *testing.T, r replica) {
				must(t, r.app.ReserveStock(context.Background(), orderCreated("o1", grinders(2))))
				must(t, r.app.SellStock(context.Background(), paymentCompleted("o1")))
			},
			wantIDs:     repeat("o1.StockReserved", 2),
			wantGrinder: [2]int{18, 0},
			wantStatus:  inventory.StatusReserved, // the catalog alone records the sale
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pub := &recordingPublisher{}
			first, backend := seeded(t, pub)
			late := newReplica(t, backend, pub, func(d *app.Deps) { d.Reservations = unrecorded{d.Reservations} })
			tc.settle(t, first)

			// The late handler finds no hold, decides anew, then finds the
			// record written by the first.
			must(t, late.app.ReserveStock(context.Background(), orderCreated("o1", grinders(2))))

			if got := pub.ids(0); !slices.Equal(got, tc.wantIDs) {
				t.Errorf("published %v, want %v", got, tc.wantIDs)
			}
			if got := first.stockOf(t, "grinder"); got != tc.wantGrinder {
				t.Errorf("grinder available, reserved = %v, want %v", got, tc.wantGrinder)
			}
			if got := first.statusOf(t, "o1"); got != tc.wantStatus {
				t.Errorf("record says %s, want %s", got, tc.wantStatus)
			}
			if n := late.metric(t, `saga_stock_reservations_total{outcome="reserved"}`); n != 0 {
				t.Errorf("the late handler counted %v reservations, want none", n)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
