package inventory_test

import (
	"testing"

	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

func TestAReservationMovesOnOnlyFromReserved(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		from   inventory.Status
		move   func(r *inventory.Reservation) bool
		wantTo inventory.Status
	}{
		{"a reserved order is sold", inventory.StatusReserved, (*inventory.Reservation).Sell, inventory.StatusSold},
		{"a reserved order is released", inventory.StatusReserved, (*inventory.Reservation).Release, inventory.StatusReleased},
		{"a sold order is not sold again", inventory.StatusSold, (*inventory.Reservation).Sell, inventory.StatusSold},
		{"a released order is not released again", inventory.StatusReleased, (*inventory.Reservation).Release, inventory.StatusReleased},
		{"a sold order is not released", inventory.StatusSold, (*inventory.Reservation).Release, inventory.StatusSold},
		{"a refused order is not sold", inventory.StatusFailed, (*inventory.Reservation).Sell, inventory.StatusFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := inventory.NewReservation("o1", "c1", inventory.Hold{Ref: "r1", Status: tc.from})
			changed := tc.move(&r)
			if r.Status != tc.wantTo || changed != (tc.from != tc.wantTo) {
				t.Fatalf("moved to %s (changed=%v), want %s", r.Status, changed, tc.wantTo)
			}
		})
	}
}
