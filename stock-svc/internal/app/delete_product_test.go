package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/example/order-saga/stock-svc/internal/app"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

func TestAProductHoldingUnitsIsNotDeletedAndADeletedOneTakesNoOrder(t *testing.T) {
	t.Parallel()
	pub := &recordingPublisher{}
	r, _ := seeded(t, pub)
	del := app.DeleteProductHandler{Stock: r.stock}
	must(t, r.reserve.Handle(context.Background(), order("o1", grinders(2))))
	if err := del.Handle(context.Background(), app.DeleteProduct{ID: "grinder"}); !errors.Is(err, inventory.ErrProductHeld) {
		t.Fatalf("got %v, want ErrProductHeld while o1 holds 2", err)
	}
	must(t, r.settle.Handle(context.Background(), paid("o1")))
	must(t, del.Handle(context.Background(), app.DeleteProduct{ID: "grinder"}))
	if err := del.Handle(context.Background(), app.DeleteProduct{ID: "grinder"}); !errors.Is(err, app.ErrProductNotFound) {
		t.Fatalf("deleted twice: %v", err)
	}
	if _, err := (app.GetProductHandler{Products: r.products}).Handle(context.Background(), app.GetProduct{ID: "grinder"}); !errors.Is(err, app.ErrProductNotFound) {
		t.Fatalf("a deleted product is found: %v", err)
	}
	must(t, r.reserve.Handle(context.Background(), order("o2", grinders(1))))
	if got := r.statusOf(t, "o2"); got != inventory.StatusFailed {
		t.Fatalf("an order for a deleted product is %s", got)
	}
}
