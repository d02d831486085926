package app_test

import (
	"context"
	"slices"
	"testing"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/stock-svc/internal/app"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

func TestAnOrderWhoseCreationCannotBeHandledStillEndsRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pub := &recordingPublisher{}
	r, _ := seeded(t, pub)
	refuse := app.RefuseOrderHandler{Stock: r.stock}
	refusal := app.RefuseOrder{OrderID: "poison", Reason: "the event cannot be processed"}

	// Refused twice, as a redelivery would: one decision, announced each time.
	must(t, refuse.Handle(ctx, refusal))
	must(t, refuse.Handle(ctx, refusal))
	if got := r.statusOf(t, "poison"); got != inventory.StatusFailed {
		t.Fatalf("status %s, want FAILED", got)
	}
	if want := []string{"poison.StockFailed", "poison.StockFailed"}; !slices.Equal(pub.ids(0), want) {
		t.Fatalf("published %v, want %v", pub.ids(0), want)
	}
	if got := r.stockOf(t, "grinder"); got != [3]int{20, 0, 0} {
		t.Fatalf("grinder %v", got)
	}
	if n := r.metric(t, `saga_stock_reservations_total{outcome="failed"}`); n != 1 {
		t.Fatalf("%v refusals counted, want 1", n)
	}
}

func TestARefusalGivesBackWhatAHandlerHeldAndLeavesADecisionAsItIs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pub := &recordingPublisher{}
	r, _ := seeded(t, pub)
	refuse := app.RefuseOrderHandler{Stock: r.stock}

	// A handler held grinders for "halfway", then gave up before deciding.
	intent, err := inventory.NewReservation("halfway", "c1", []inventory.Line{grinders(3), beans(1)})
	must(t, err)
	_, _, err = r.stock.Reservations.Create(ctx, intent)
	must(t, err)
	_, err = r.stock.Products.Update(ctx, "grinder", func(p *inventory.Product, found bool) (bool, error) {
		_, taken, err := p.Hold(found, "halfway", "ref-1", 3)
		return taken, err
	})
	must(t, err)
	if got := r.stockOf(t, "grinder"); got != [3]int{17, 3, 0} {
		t.Fatalf("grinder held %v", got)
	}
	must(t, refuse.Handle(ctx, app.RefuseOrder{OrderID: "halfway", Reason: "given up"}))
	if got := r.statusOf(t, "halfway"); got != inventory.StatusFailed {
		t.Fatalf("status %s, want FAILED", got)
	}
	if got := r.stockOf(t, "grinder"); got != [3]int{20, 0, 0} {
		t.Fatalf("the held grinders were not given back: %v", got)
	}

	// An order reserved already keeps its units, and its decision is
	// announced again.
	must(t, r.reserve.Handle(ctx, order("kept", grinders(2))))
	from := pub.count()
	must(t, refuse.Handle(ctx, app.RefuseOrder{OrderID: "kept", Reason: "a stale copy"}))
	if got := r.statusOf(t, "kept"); got != inventory.StatusReserved {
		t.Fatalf("a reserved order became %s", got)
	}
	if got := r.stockOf(t, "grinder"); got != [3]int{18, 2, 0} {
		t.Fatalf("grinder %v, want the 2 units still held", got)
	}
	if want := []string{contracts.EventID("kept", contracts.TypeStockReserved)}; !slices.Equal(pub.ids(from), want) {
		t.Fatalf("published %v, want %v", pub.ids(from), want)
	}
}
