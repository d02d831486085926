package inventory_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

func TestAReservationMovesOnlyForward(t *testing.T) {
	t.Parallel()
	grant := func(r *inventory.Reservation) bool {
		return r.Grant(map[string]inventory.Hold{"grinder": {Ref: "r", Quantity: 2, PriceCents: 8900}}, decidedAt)
	}
	refuse := func(r *inventory.Reservation) bool { return r.Refuse("no", decidedAt) }
	sell := func(r *inventory.Reservation) bool { return r.Sell(decidedAt) }
	release := func(r *inventory.Reservation) bool { return r.Release(decidedAt) }
	cases := []struct {
		name  string
		moves []func(*inventory.Reservation) bool
		want  inventory.Status
		moved []bool
	}{
		{"an intent is granted", []func(*inventory.Reservation) bool{grant}, inventory.StatusReserved, []bool{true}},
		{"an intent is refused", []func(*inventory.Reservation) bool{refuse}, inventory.StatusFailed, []bool{true}},
		{"a granted order is not refused after", []func(*inventory.Reservation) bool{grant, refuse}, inventory.StatusReserved, []bool{true, false}},
		{"a refused order is not granted after", []func(*inventory.Reservation) bool{refuse, grant}, inventory.StatusFailed, []bool{true, false}},
		{"a granted order is sold once", []func(*inventory.Reservation) bool{grant, sell, sell}, inventory.StatusSold, []bool{true, true, false}},
		{"a granted order is released once", []func(*inventory.Reservation) bool{grant, release, release}, inventory.StatusReleased, []bool{true, true, false}},
		{"a sold order is not released", []func(*inventory.Reservation) bool{grant, sell, release}, inventory.StatusSold, []bool{true, true, false}},
		{"a refused order is not sold", []func(*inventory.Reservation) bool{refuse, sell}, inventory.StatusFailed, []bool{true, false}},
		{"an intent is not sold", []func(*inventory.Reservation) bool{sell}, inventory.StatusReserving, []bool{false}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := inventory.NewReservation("o1", "c1", []inventory.Line{{ProductID: "grinder", Quantity: 2}})
			if err != nil {
				t.Fatal(err)
			}
			var moved []bool
			for _, m := range tc.moves {
				moved = append(moved, m(&r))
			}
			if r.Status != tc.want || !reflect.DeepEqual(moved, tc.moved) {
				t.Fatalf("status %s moved %v, want %s %v", r.Status, moved, tc.want, tc.moved)
			}
		})
	}
}

func TestAGrantRecordsTheHoldsAndPricesThem(t *testing.T) {
	t.Parallel()
	r, _ := inventory.NewReservation("o1", "c1", []inventory.Line{{ProductID: "cup", Quantity: 2}, {ProductID: "grinder", Quantity: 1}, {ProductID: "cup", Quantity: 3}})
	if want := []inventory.Line{{ProductID: "cup", Quantity: 5}, {ProductID: "grinder", Quantity: 1}}; !reflect.DeepEqual(r.Wanted(), want) {
		t.Fatalf("wanted %v, want %v: lines of one product summed, products sorted", r.Wanted(), want)
	}
	r.Grant(map[string]inventory.Hold{"cup": {Ref: "a", Quantity: 5, PriceCents: 650}, "grinder": {Ref: "b", Quantity: 1, PriceCents: 8900}}, decidedAt)
	if r.TotalCents != 5*650+8900 || r.Holds["cup"] != "a" || r.Holds["grinder"] != "b" || !r.DecidedAt.Equal(decidedAt) {
		t.Fatalf("granted %+v", r)
	}
}

func TestAnOrderThatCannotBeDecidedIsInvalid(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		orderID   string
		lines     []inventory.Line
		wantField string
	}{
		{"an order without id", "", []inventory.Line{{"cup", 1}}, "orderId"},
		{"an order whose id holds the state key separator", "a||b", []inventory.Line{{"cup", 1}}, "orderId"},
		{"an order without lines", "o1", nil, "items"},
		{"a line without product", "o1", []inventory.Line{{"", 1}}, "items[0].productId"},
		{"a line of zero units", "o1", []inventory.Line{{"cup", 0}}, "items[0].quantity"},
		{"a line of negative units", "o1", []inventory.Line{{"cup", -2}}, "items[0].quantity"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := inventory.NewReservation(tc.orderID, "c1", tc.lines)
			var invalid *contracts.Error
			if !errors.As(err, &invalid) || invalid.Kind != contracts.KindInvalid || len(invalid.Fields) != 1 || invalid.Fields[0].Field != tc.wantField {
				t.Fatalf("got %v, want %s named as invalid", err, tc.wantField)
			}
		})
	}
}
