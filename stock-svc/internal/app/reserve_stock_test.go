package app_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

func TestAnOrderGetsAllItsUnitsOrNone(t *testing.T) {
	t.Parallel()
	untouched := map[string][3]int{"grinder": {20, 0, 0}, "beans": {500, 0, 0}}
	cases := []struct {
		name       string
		lines      []inventory.Line
		wantStatus inventory.Status
		wantReason string
		wantTotal  int64
		wantStock  map[string][3]int
	}{
		{"units in stock are held", []inventory.Line{grinders(2)}, inventory.StatusReserved, "", 2 * 8900,
			map[string][3]int{"grinder": {18, 2, 0}, "beans": {500, 0, 0}}},
		{"every product of the order is held", []inventory.Line{grinders(1), beans(3)}, inventory.StatusReserved, "", 8900 + 3*1899,
			map[string][3]int{"grinder": {19, 1, 0}, "beans": {497, 3, 0}}},
		{"a product named on two lines is held for the sum of both", []inventory.Line{beans(2), grinders(1), beans(3)}, inventory.StatusReserved, "", 5*1899 + 8900,
			map[string][3]int{"grinder": {19, 1, 0}, "beans": {495, 5, 0}}},
		{"a product named on two lines is refused when only each line alone fits", []inventory.Line{grinders(11), grinders(10)}, inventory.StatusFailed,
			"insufficient stock for grinder: want 21, available 20", 0, untouched},
		{"one short product refuses the whole order and holds nothing of the others", []inventory.Line{beans(5), grinders(21)}, inventory.StatusFailed,
			"insufficient stock for grinder: want 21, available 20", 0, untouched},
		{"an unknown product refuses the whole order and holds nothing of the others", []inventory.Line{beans(5), {ProductID: "kettle", Quantity: 1}}, inventory.StatusFailed,
			"unknown product kettle", 0, untouched},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pub := &recordingPublisher{}
			r, _ := seeded(t, pub)
			must(t, r.reserve.Handle(context.Background(), order("o1", tc.lines...)))
			rec, _, err := r.stock.Reservations.Get(context.Background(), "o1")
			must(t, err)
			if rec.Status != tc.wantStatus || rec.Reason != tc.wantReason || rec.TotalCents != tc.wantTotal {
				t.Fatalf("got %s %q %d, want %s %q %d", rec.Status, rec.Reason, rec.TotalCents, tc.wantStatus, tc.wantReason, tc.wantTotal)
			}
			for id, want := range tc.wantStock {
				if got := r.stockOf(t, id); got != want {
					t.Errorf("%s: %v, want %v", id, got, want)
				}
			}
			want := "o1.StockReserved"
			if tc.wantStatus == inventory.StatusFailed {
				want = "o1.StockFailed"
			}
			if got := pub.ids(0); !slices.Equal(got, []string{want}) {
				t.Fatalf("published %v, want %s", got, want)
			}
		})
	}
}

func TestAnOrderThatCannotBeDecidedIsRefusedAsInvalid(t *testing.T) {
	t.Parallel()
	r, _ := seeded(t, &recordingPublisher{})
	err := r.reserve.Handle(context.Background(), order("o1", inventory.Line{ProductID: "grinder", Quantity: 0}))
	if contracts.KindOf(err) != contracts.KindInvalid {
		t.Fatalf("got %v, want an invalid order", err)
	}
	if _, found, _ := r.stock.Reservations.Get(context.Background(), "o1"); found {
		t.Fatal("an invalid order was recorded")
	}
}

func TestAMessageHandledTwiceHasOneEffect(t *testing.T) {
	t.Parallel()
	reserveTwo := func(t *testing.T, r replica) {
		must(t, r.reserve.Handle(context.Background(), order("o1", grinders(2))))
	}
	cases := []struct {
		name        string
		prepare     func(t *testing.T, r replica)
		deliver     func(ctx context.Context, r replica) error
		wantIDs     []string
		wantGrinder [3]int
		wantStatus  inventory.Status
		wantMetrics map[string]float64
	}{
		{
			name:        "an order is reserved once and announced twice with one event id",
			prepare:     func(*testing.T, replica) {},
			deliver:     func(ctx context.Context, r replica) error { return r.reserve.Handle(ctx, order("o1", grinders(2))) },
			wantIDs:     []string{"o1.StockReserved", "o1.StockReserved"},
			wantGrinder: [3]int{18, 2, 0},
			wantStatus:  inventory.StatusReserved,
			wantMetrics: map[string]float64{`saga_stock_reservations_total{outcome="reserved"}`: 1, `saga_stock_available{product="grinder"}`: 18},
		},
		{
			name:        "an order beyond the stock is refused once and announced twice with one event id",
			prepare:     func(*testing.T, replica) {},
			deliver:     func(ctx context.Context, r replica) error { return r.reserve.Handle(ctx, order("o1", grinders(21))) },
			wantIDs:     []string{"o1.StockFailed", "o1.StockFailed"},
			wantGrinder: [3]int{20, 0, 0},
			wantStatus:  inventory.StatusFailed,
			wantMetrics: map[string]float64{`saga_stock_reservations_total{outcome="failed"}`: 1, `saga_stock_reservations_total{outcome="reserved"}`: 0},
		},
		{
			name:        "a payment sells the units once and announces nothing",
			prepare:     reserveTwo,
			deliver:     func(ctx context.Context, r replica) error { return r.settle.Handle(ctx, paid("o1")) },
			wantGrinder: [3]int{18, 0, 2},
			wantStatus:  inventory.StatusSold,
			wantMetrics: map[string]float64{"saga_stock_sold_units_total": 2, `saga_stock_reserved{product="grinder"}`: 0},
		},
		{
			name:        "a failed payment gives the units back once and announces it twice with one event id",
			prepare:     reserveTwo,
			deliver:     func(ctx context.Context, r replica) error { return r.settle.Handle(ctx, unpaid("o1")) },
			wantIDs:     []string{"o1.StockReleased", "o1.StockReleased"},
			wantGrinder: [3]int{20, 0, 0},
			wantStatus:  inventory.StatusReleased,
			wantMetrics: map[string]float64{"saga_stock_releases_total": 1, `saga_stock_available{product="grinder"}`: 20},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pub := &recordingPublisher{}
			r, _ := seeded(t, pub)
			tc.prepare(t, r)
			from := pub.count()
			for range 2 {
				must(t, tc.deliver(context.Background(), r))
			}
			if got := pub.ids(from); !slices.Equal(got, tc.wantIDs) {
				t.Fatalf("published %v, want %v", got, tc.wantIDs)
			}
			if got := r.stockOf(t, "grinder"); got != tc.wantGrinder {
				t.Fatalf("grinder %v, want %v", got, tc.wantGrinder)
			}
			if got := r.statusOf(t, "o1"); got != tc.wantStatus {
				t.Fatalf("status %s, want %s", got, tc.wantStatus)
			}
			for series, want := range tc.wantMetrics {
				if got := r.metric(t, series); got != want {
					t.Errorf("%s = %v, want %v", series, got, want)
				}
			}
		})
	}
}

func TestTwoReplicasHandlingTheSameOrdersAtOnceDecideEachOnce(t *testing.T) {
	t.Parallel()
	pub := &recordingPublisher{}
	first, backend := seeded(t, pub)
	replicas := []replica{first, newReplica(t, backend, pub)}
	const orders = 40 // for 2 grinders each, of 20: 10 are granted
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range orders {
		for _, r := range replicas {
			wg.Go(func() {
				<-start
				if err := r.reserve.Handle(context.Background(), order(fmt.Sprintf("o%d", i), grinders(2), beans(1))); err != nil {
					t.Error(err)
				}
			})
		}
	}
	close(start)
	wg.Wait()
	granted := 0
	for i := range orders {
		if first.statusOf(t, fmt.Sprintf("o%d", i)) == inventory.StatusReserved {
			granted++
		}
	}
	if granted != 10 {
		t.Fatalf("%d orders granted, want 10", granted)
	}
	if g, b := first.stockOf(t, "grinder"), first.stockOf(t, "beans"); g != [3]int{0, 20, 0} || b != [3]int{490, 10, 0} {
		t.Fatalf("grinder %v beans %v, want [0 20 0] and [490 10 0]", g, b)
	}
	decided := first.metric(t, `saga_stock_reservations_total{outcome="reserved"}`) + replicas[1].metric(t, `saga_stock_reservations_total{outcome="reserved"}`) +
		first.metric(t, `saga_stock_reservations_total{outcome="failed"}`) + replicas[1].metric(t, `saga_stock_reservations_total{outcome="failed"}`)
	if decided != orders {
		t.Fatalf("%v decisions counted, want one per order", decided)
	}
}
