package inventory_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

var decidedAt = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// grinder returns a stored product with 3 units at 89.00.
func grinder(t *testing.T) *inventory.Product {
	t.Helper()
	p := &inventory.Product{ID: "grinder"}
	if err := p.Put(false, "grinder", "Burr grinder", 8900, 3); err != nil {
		t.Fatal(err)
	}
	return p
}

func level(p *inventory.Product) [3]int { return [3]int{p.Available, p.Reserved, p.Sold} }

func hold(t *testing.T, p *inventory.Product, orderID, ref string, q int) inventory.Hold {
	t.Helper()
	h, taken, err := p.Hold(true, orderID, ref, q)
	if err != nil || !taken {
		t.Fatalf("hold %s: taken=%v err=%v", orderID, taken, err)
	}
	return h
}

// granted returns the record of o1 granted with the hold ref of grinder.
func granted(ref string) inventory.Reservation {
	r, _ := inventory.NewReservation("o1", "c1", []inventory.Line{{ProductID: "grinder", Quantity: 2}})
	r.Grant(map[string]inventory.Hold{"grinder": {Ref: ref, Quantity: 2, PriceCents: 8900}}, decidedAt)
	return r
}

func TestHoldingUnits(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		found      bool
		quantity   int
		wantTaken  bool
		wantReason string
		wantLevel  [3]int
	}{
		{"units in stock are held", true, 2, true, "", [3]int{1, 2, 0}},
		{"every available unit can be held", true, 3, true, "", [3]int{0, 3, 0}},
		{"more than available is refused and changes nothing", true, 4, false, "insufficient stock for grinder: want 4, available 3", [3]int{3, 0, 0}},
		{"a product never stored is refused", false, 1, false, "unknown product grinder", [3]int{3, 0, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := grinder(t)
			h, taken, err := p.Hold(tc.found, "o1", "r1", tc.quantity)
			var refusal inventory.Refusal
			if tc.wantReason != "" && (!errors.As(err, &refusal) || refusal.Reason != tc.wantReason) {
				t.Fatalf("err %v, want the refusal %q", err, tc.wantReason)
			}
			if tc.wantReason == "" && (err != nil || h != (inventory.Hold{Ref: "r1", Quantity: tc.quantity, PriceCents: 8900})) {
				t.Fatalf("hold %+v err %v", h, err)
			}
			if taken != tc.wantTaken || level(p) != tc.wantLevel {
				t.Fatalf("taken=%v level %v, want %v %v", taken, level(p), tc.wantTaken, tc.wantLevel)
			}
		})
	}
}

func TestAnOrderHoldsAProductOnceWhoeverAsksAgain(t *testing.T) {
	t.Parallel()
	p := grinder(t)
	first := hold(t, p, "o1", "r1", 2)
	again, taken, err := p.Hold(true, "o1", "r2", 1)
	if err != nil || taken || again != first || level(p) != [3]int{1, 2, 0} {
		t.Fatalf("second hold %+v taken=%v err=%v level %v, want the first one back", again, taken, err, level(p))
	}
}

func TestADeletedProductHoldsNothingAndComesBackAfresh(t *testing.T) {
	t.Parallel()
	p := grinder(t)
	if err := p.Delete(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.Hold(true, "o1", "r1", 1); err == nil {
		t.Fatal("a deleted product held units")
	}
	if err := p.Put(true, "grinder", "New grinder", 100, 7); err != nil {
		t.Fatal(err)
	}
	if p.Deleted || level(p) != [3]int{7, 0, 0} || p.Name != "New grinder" {
		t.Fatalf("recreated as %+v", p)
	}
}

func TestAProductHoldingUnitsCannotBeDeleted(t *testing.T) {
	t.Parallel()
	p := grinder(t)
	hold(t, p, "o1", "r1", 1)
	if err := p.Delete(); !errors.Is(err, inventory.ErrProductHeld) {
		t.Fatalf("got %v, want ErrProductHeld", err)
	}
}

func TestPutKeepsTheUnitsHeldForOrders(t *testing.T) {
	t.Parallel()
	p := grinder(t)
	hold(t, p, "o1", "r1", 2)
	if err := p.Put(true, "grinder", "Conical grinder", 9900, 40); err != nil {
		t.Fatal(err)
	}
	if level(p) != [3]int{40, 2, 0} || p.PriceCents != 9900 || len(p.Holds) != 1 {
		t.Fatalf("after put %+v", p)
	}
}

func TestPutNamesEveryBadField(t *testing.T) {
	t.Parallel()
	var p inventory.Product
	err := p.Put(false, "no spaces", "", -1, inventory.MaxAvailable+1)
	var invalid *contracts.Error
	if !errors.As(err, &invalid) || invalid.Kind != contracts.KindInvalid {
		t.Fatalf("got %v, want an invalid input", err)
	}
	var fields []string
	for _, f := range invalid.Fields {
		fields = append(fields, f.Field)
	}
	if want := []string{"id", "name", "priceCents", "available"}; !reflect.DeepEqual(fields, want) {
		t.Fatalf("fields %v, want %v", fields, want)
	}
}

func TestSettlingTheHoldOfAnOrder(t *testing.T) {
	t.Parallel()
	refused, _ := inventory.NewReservation("o1", "c1", []inventory.Line{{ProductID: "grinder", Quantity: 2}})
	refused.Refuse("insufficient stock for cup: want 9, available 5", decidedAt)
	sold, released := granted("r1"), granted("r1")
	sold.Sell(decidedAt)
	released.Release(decidedAt)
	soldByOthers := granted("r0")
	soldByOthers.Sell(decidedAt)
	cases := []struct {
		name      string
		record    inventory.Reservation
		wantSold  int
		wantLevel [3]int
	}{
		{"the hold of a reservation waiting for payment stays", granted("r1"), 0, [3]int{1, 2, 0}},
		{"the hold of a sold reservation leaves the stock", sold, 2, [3]int{1, 0, 2}},
		{"the hold of a released reservation goes back", released, 0, [3]int{3, 0, 0}},
		{"a hold of a refused order goes back", refused, 0, [3]int{3, 0, 0}},
		{"a hold the reservation does not stand for goes back, even once sold", soldByOthers, 0, [3]int{3, 0, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := grinder(t)
			hold(t, p, "o1", "r1", 2)
			n, changed := p.Settle(tc.record)
			if n != tc.wantSold || level(p) != tc.wantLevel || changed != (tc.wantLevel != [3]int{1, 2, 0}) {
				t.Fatalf("sold %d changed=%v level %v, want %d %v", n, changed, level(p), tc.wantSold, tc.wantLevel)
			}
			if _, changed := p.Settle(tc.record); changed || level(p) != tc.wantLevel {
				t.Fatalf("settling again moved the stock to %v", level(p))
			}
		})
	}
}
