package app_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/order-svc/internal/app"
	"github.com/example/order-saga/order-svc/internal/domain/order"
)

// redriven is a fixture whose orders are kept by a redriver that
// announces them again after 30s, then 60s, at most 120s apart.
func redriven(t *testing.T, max int) (fixture, *app.Redriver) {
	t.Helper()
	f := newFixture()
	r := app.NewRedriver(f.orders, f.events, nopMetrics{}, slog.New(slog.DiscardHandler), 30*time.Second, 120*time.Second, max)
	f.place.Redrive = r
	return f, r
}

func TestAnOrderStillOpenIsAnnouncedAgainLaterAndLaterUntilItFinishes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, r := redriven(t, 10)
	o, _, err := f.place.Handle(ctx, app.PlaceOrder{CustomerID: "alice", Items: kettle})
	if err != nil {
		t.Fatal(err)
	}
	placed := o.CreatedAt
	for _, tc := range []struct {
		after time.Duration
		want  int
	}{
		{29 * time.Second, 0},  // not due yet
		{31 * time.Second, 1},  // open after 30s: announced again
		{61 * time.Second, 0},  // the next look waits 60s more
		{92 * time.Second, 1},  // ...and announces it again
		{200 * time.Second, 0}, // then 120s, the most
		{213 * time.Second, 1},
	} {
		if n := r.Look(ctx, placed.Add(tc.after)); n != tc.want {
			t.Fatalf("look %s after placing: %d announced, want %d", tc.after, n, tc.want)
		}
	}
	if len(f.events.sent) != 4 || f.events.sent[3].ID != o.ID || f.events.sent[3].CustomerID != "alice" {
		t.Fatalf("published %+v, want the order once and three times again", f.events.sent)
	}

	// The order finishes: it is forgotten, and never announced again.
	record := app.RecordStepHandler{Tracker: f.place.Tracker}
	for _, step := range []app.RecordStep{
		{OrderID: o.ID, EventType: contracts.TypeStockReserved, Step: order.Step{Kind: order.StockReserved, At: placed, TotalCents: 700}},
		{OrderID: o.ID, EventType: contracts.TypePaymentCompleted, Step: order.Step{Kind: order.PaymentCompleted, At: placed}},
	} {
		if err := record.Handle(ctx, step); err != nil {
			t.Fatal(err)
		}
	}
	if r.Keeps(o.ID) {
		t.Fatalf("the confirmed order is still kept")
	}
	if n := r.Look(ctx, placed.Add(time.Hour)); n != 0 || len(f.events.sent) != 4 {
		t.Fatalf("a finished order was announced again (%d)", n)
	}
}

func TestAnOrderAnotherInstanceFinishedIsForgottenAtTheFirstLook(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, r := redriven(t, 10)
	o, _, err := f.place.Handle(ctx, app.PlaceOrder{CustomerID: "bob", Items: kettle})
	if err != nil {
		t.Fatal(err)
	}
	// Another instance records the refusal: this one does not see it.
	other := app.RecordStepHandler{Tracker: app.Tracker{Orders: f.orders, Metrics: nopMetrics{}, Log: slog.New(slog.DiscardHandler)}}
	if err := other.Handle(ctx, app.RecordStep{OrderID: o.ID, EventType: contracts.TypeStockFailed,
		Step: order.Step{Kind: order.StockFailed, At: o.CreatedAt, Reason: "insufficient stock"}}); err != nil {
		t.Fatal(err)
	}
	if !r.Keeps(o.ID) {
		t.Fatal("the order was forgotten before any look")
	}
	if n := r.Look(ctx, o.CreatedAt.Add(31*time.Second)); n != 0 || r.Keeps(o.ID) {
		t.Fatalf("the look announced %d and keeps=%v, want the canceled order forgotten unannounced", n, r.Keeps(o.ID))
	}
}

func TestTheRedriverKeepsNoMoreOrdersThanItsBound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, r := redriven(t, 3)
	for range 5 {
		if _, _, err := f.place.Handle(ctx, app.PlaceOrder{CustomerID: "carol", Items: kettle}); err != nil {
			t.Fatal(err)
		}
	}
	if r.Kept() != 3 {
		t.Fatalf("%d orders kept, want the bound 3", r.Kept())
	}
}
