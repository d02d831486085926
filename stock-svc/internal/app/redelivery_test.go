package app_test

import (
	"context"
	"slices"
	"testing"

	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

func TestAMessageHandledTwiceHasOneEffect(t *testing.T) {
	t.Parallel()
	reserveTwo := func(t *testing.T, r replica) {
		if err := r.app.ReserveStock(context.Background(), orderCreated("o1", grinders(2))); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name        string
		prepare     func(t *testing.T, r replica)
		deliver     func(ctx context.Context, r replica) error
		wantIDs     []string
		wantGrinder [2]int
		wantStatus  inventory.Status
		wantMetrics map[string]float64
	}{
		{
			name:    "an order is reserved once and announced twice with one event id",
			prepare: func(*testing.T, replica) {},
			deliver: func(ctx context.Context, r replica) error {
				return r.app.ReserveStock(ctx, orderCreated("o1", grinders(2)))
			},
			wantIDs:     repeat("o1.StockReserved", 2),
			wantGrinder: [2]int{18, 2},
			wantStatus:  inventory.StatusReserved,
			wantMetrics: map[string]float64{`saga_stock_reservations_total{outcome="reserved"}`: 1, `saga_stock_available{product="grinder"}`: 18},
		},
		{
			name:    "an order beyond the stock is refused once and announced twice with one event id",
			prepare: func(*testing.T, replica) {},
			deliver: func(ctx context.Context, r replica) error {
				return r.app.ReserveStock(ctx, orderCreated("o1", grinders(21)))
			},
			wantIDs:     repeat("o1.StockFailed", 2),
			wantGrinder: [2]int{20, 0},
			wantStatus:  inventory.StatusFailed,
			wantMetrics: map[string]float64{`saga_stock_reservations_total{outcome="failed"}`: 1, `saga_stock_reservations_total{outcome="reserved"}`: 0},
		},
		{
			name:        "a payment sells the units once and announces nothing",
			prepare:     reserveTwo,
			deliver:     func(ctx context.Context, r replica) error { return r.app.SellStock(ctx, paymentCompleted("o1")) },
			wantGrinder: [2]int{18, 0},
			wantStatus:  inventory.StatusReserved, // the catalog alone records the sale
			wantMetrics: map[string]float64{"saga_stock_sold_units_total": 2, `saga_stock_reserved{product="grinder"}`: 0},
		},
		{
			name:        "a failed payment gives the units back once and announces it twice with one event id",
			prepare:     reserveTwo,
			deliver:     func(ctx context.Context, r replica) error { return r.app.ReleaseStock(ctx, paymentFailed("o1")) },
			wantIDs:     repeat("o1.StockReleased", 2),
			wantGrinder: [2]int{20, 0},
			wantStatus:  inventory.StatusReleased,
			wantMetrics: map[string]float64{"saga_stock_releases_total": 1, `saga_stock_available{product="grinder"}`: 20},
		},
		{
			name: "a failed payment of a refused order releases and announces nothing",
			prepare: func(t *testing.T, r replica) {
				if err := r.app.ReserveStock(context.Background(), orderCreated("o1", grinders(21))); err != nil {
					t.Fatal(err)
				}
			},
			deliver:     func(ctx context.Context, r replica) error { return r.app.ReleaseStock(ctx, paymentFailed("o1")) },
			wantGrinder: [2]int{20, 0},
			wantStatus:  inventory.StatusFailed,
			wantMetrics: map[string]float64{"saga_stock_releases_total": 0},
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
				if err := tc.deliver(context.Background(), r); err != nil {
					t.Fatal(err)
				}
			}
			if got := pub.ids(from); !slices.Equal(got, tc.wantIDs) {
				t.Errorf("published %v, want %v", got, tc.wantIDs)
			}
			if got := r.stockOf(t, "grinder"); got != tc.wantGrinder {
				t.Errorf("grinder available, reserved = %v, want %v", got, tc.wantGrinder)
			}
			if got := r.statusOf(t, "o1"); got != tc.wantStatus {
				t.Errorf("record says %s, want %s", got, tc.wantStatus)
			}
			for series, want := range tc.wantMetrics {
				if got := r.metric(t, series); got != want {
					t.Errorf("%s = %v, want %v", series, got, want)
				}
			}
		})
	}
}

func TestARefusalIsForgottenByTheCatalogOnceRecorded(t *testing.T) {
	t.Parallel()
	r, _ := seeded(t, &recordingPublisher{})
	if err := r.app.ReserveStock(context.Background(), orderCreated("o1", grinders(21))); err != nil {
		t.Fatal(err)
	}
	c, _, err := r.catalog.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if h, held := c.Hold("o1"); held {
		t.Fatalf("the catalog still holds %+v", h)
	}
}
