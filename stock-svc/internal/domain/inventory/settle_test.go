package inventory_test

import (
	"maps"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

func TestSettlingAHold(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		settle    func(c *inventory.Catalog) bool
		wantStock map[string][2]int
	}{
		{
			name: "selling takes the reserved units out of stock",
			settle: func(c *inventory.Catalog) bool {
				_, ok := c.Sell("o1", "r1")
				return ok
			},
			wantStock: map[string][2]int{"grinder": {1, 0}, "cup": {5, 0}},
		},
		{
			name: "releasing gives the reserved units back",
			settle: func(c *inventory.Catalog) bool {
				_, ok := c.Release("o1", "r1")
				return ok
			},
			wantStock: map[string][2]int{"grinder": {3, 0}, "cup": {5, 0}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := shop(t)
			reserve(t, c, "o1", "r1", inventory.Line{"grinder", 1}, inventory.Line{"grinder", 1})
			if !tc.settle(c) {
				t.Fatal("the hold was not settled")
			}
			if tc.settle(c) {
				t.Fatal("the hold was settled twice")
			}
			if got := stock(c); !maps.Equal(got, tc.wantStock) {
				t.Fatalf("stock %v, want %v", got, tc.wantStock)
			}
			if _, held := c.Hold("o1"); held {
				t.Fatal("a settled hold is still kept")
			}
		})
	}
}

func TestOnlyTheHoldOfTheRecordedReservationIsSettled(t *testing.T) {
	t.Parallel()
	c := shop(t)
	reserve(t, c, "o1", "r1", inventory.Line{"cup", 1})
	if _, ok := c.Sell("o1", "other"); ok {
		t.Fatal("sold a hold of another decision")
	}
	if _, ok := c.Release("o1", "other"); ok {
		t.Fatal("released a hold of another decision")
	}
	reserve(t, c, "o2", "r2", inventory.Line{"cup", 9})
	if _, ok := c.Sell("o2", "r2"); ok {
		t.Fatal("sold the units of a refused order")
	}
}

func TestTidy(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		lines     []inventory.Line
		record    inventory.Reservation
		wantTidy  bool
		wantStock map[string][2]int
	}{
		{
			name:      "the hold of the waiting reservation is kept",
			lines:     []inventory.Line{{"cup", 2}},
			record:    inventory.Reservation{OrderID: "o1", Status: inventory.StatusReserved, Ref: "r1"},
			wantStock: map[string][2]int{"grinder": {3, 0}, "cup": {3, 2}},
		},
		{
			name:      "a recorded refusal is dropped",
			lines:     []inventory.Line{{"cup", 9}},
			record:    inventory.Reservation{OrderID: "o1", Status: inventory.StatusFailed, Ref: "r1"},
			wantTidy:  true,
			wantStock: map[string][2]int{"grinder": {3, 0}, "cup": {5, 0}},
		},
		{
			name:      "a hold decided apart from the record gives its units back",
			lines:     []inventory.Line{{"cup", 2}},
			record:    inventory.Reservation{OrderID: "o1", Status: inventory.StatusFailed, Ref: "r0"},
			wantTidy:  true,
			wantStock: map[string][2]int{"grinder": {3, 0}, "cup": {5, 0}},
		},
		{
			name:      "a hold left after the order was sold gives its units back",
			lines:     []inventory.Line{{"cup", 2}},
			record:    inventory.Reservation{OrderID: "o1", Status: inventory.StatusSold, Ref: "r1"},
			wantTidy:  true,
			wantStock: map[string][2]int{"grinder": {3, 0}, "cup": {5, 0}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := shop(t)
			reserve(t, c, "o1", "r1", tc.lines...)
			if got := c.Tidy(tc.record); got != tc.wantTidy {
				t.Fatalf("tidy = %v, want %v", got, tc.wantTidy)
			}
			if got := stock(c); !maps.Equal(got, tc.wantStock) {
				t.Fatalf("stock %v, want %v", got, tc.wantStock)
			}
			if _, held := c.Hold("o1"); held == tc.wantTidy {
				t.Fatalf("hold kept = %v, want %v", held, !tc.wantTidy)
			}
		})
	}
}

func TestPruneForgetsOnlyOldRefusals(t *testing.T) {
	t.Parallel()
	c := shop(t)
	old, recent := decidedAt.Add(-2*time.Hour), decidedAt.Add(-time.Minute)
	for _, o := range []struct {
		id    string
		units int
		at    time.Time
	}{{"old-refusal", 99, old}, {"recent-refusal", 99, recent}, {"old-reservation", 1, old}} {
		if _, _, err := c.Reserve(o.id, []inventory.Line{{"cup", o.units}}, "r", o.at); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.PruneFailedHolds(decidedAt.Add(-time.Hour)); n != 1 {
		t.Fatalf("pruned %d holds, want 1", n)
	}
	for id, want := range map[string]bool{"old-refusal": false, "recent-refusal": true, "old-reservation": true} {
		if _, held := c.Hold(id); held != want {
			t.Errorf("%s kept = %v, want %v", id, held, want)
		}
	}
}

func TestNoSequenceOfOrdersLosesOrInventsAUnit(t *testing.T) {
	t.Parallel()
	c := shop(t)
	rng := rand.New(rand.NewPCG(7, 11))
	sold := map[string]int{}
	for i := range 2000 {
		orderID := string(rune('a' + rng.IntN(20)))
		switch rng.IntN(4) {
		case 0, 1:
			lines := []inventory.Line{{"grinder", 1 + rng.IntN(2)}, {"cup", 1 + rng.IntN(3)}}
			if _, _, err := c.Reserve(orderID, lines, "r", decidedAt); err != nil {
				t.Fatal(err)
			}
		case 2:
			if h, ok := c.Sell(orderID, "r"); ok {
				for _, l := range h.Lines {
					sold[l.ProductID] += l.Quantity
				}
			}
		case 3:
			c.Release(orderID, "r")
		}
		if i%7 == 0 {
			c.PruneFailedHolds(decidedAt.Add(time.Second))
		}
		held := map[string]int{}
		for _, h := range c.Holds() {
			if h.Status == inventory.StatusReserved {
				for _, l := range h.Lines {
					held[l.ProductID] += l.Quantity
				}
			}
		}
		for _, p := range c.Products() {
			initial := map[string]int{"grinder": 3, "cup": 5}[p.ID]
			if p.Available < 0 || p.Reserved != held[p.ID] || p.Available+p.Reserved+sold[p.ID] != initial {
				t.Fatalf("step %d: %+v with %d held and %d sold does not add up to %d", i, p, held[p.ID], sold[p.ID], initial)
			}
		}
	}
}

// A handler of an order that read "no record" just before the record was
// written reaches the catalog after the order was settled: it must take no
// unit, or another order could be refused meanwhile.
func TestASettledOrderTakesNoUnitsWhenDecidedAgain(t *testing.T) {
	t.Parallel()
	settle := map[string]func(c *inventory.Catalog){
		"sold":     func(c *inventory.Catalog) { c.Sell("o1", "r1") },
		"released": func(c *inventory.Catalog) { c.Release("o1", "r1") },
		"refusal recorded": func(c *inventory.Catalog) {
			c.Tidy(inventory.Reservation{OrderID: "o1", Status: inventory.StatusFailed, Ref: "r1"})
		},
	}
	for name, end := range settle {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := shop(t)
			reserve(t, c, "o1", "r1", inventory.Line{"grinder", 1})
			end(c)
			before, _ := c.Product("grinder")
			h, fresh, err := c.Reserve("o1", []inventory.Line{{"grinder", 1}}, "late", decidedAt.Add(time.Second))
			if err != nil || fresh || h.Ref != "" {
				t.Fatalf("late decision: hold %+v fresh=%v err=%v, want none", h, fresh, err)
			}
			if after, _ := c.Product("grinder"); after != before {
				t.Fatalf("grinder went from %+v to %+v", before, after)
			}
			if _, held := c.Hold("o1"); held {
				t.Fatal("the late decision left a hold")
			}
		})
	}
}

func TestSettledOrdersAreForgottenAfterAWhile(t *testing.T) {
	t.Parallel()
	c := shop(t)
	reserve(t, c, "o1", "r1", inventory.Line{"cup", 1})
	c.Sell("o1", "r1")
	if n := c.PruneSettled(decidedAt.Add(-time.Second)); n != 0 {
		t.Fatalf("pruned %d recent ones", n)
	}
	if n := c.PruneSettled(decidedAt.Add(time.Second)); n != 1 || len(c.Settled()) != 0 {
		t.Fatalf("pruned %d, %d left", n, len(c.Settled()))
	}
}
