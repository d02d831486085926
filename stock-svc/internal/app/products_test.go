package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/example/order-saga/stock-svc/internal/app"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

func TestTheCatalogIsSeededOnlyWhenNoneIsStored(t *testing.T) {
	t.Parallel()
	pub := &recordingPublisher{}
	first, backend := seeded(t, pub)
	_, err := first.app.PutProduct(context.Background(), "grinder", "Burr grinder", 8900, 7)
	must(t, err)

	restarted := newReplica(t, backend, pub)
	seededAgain, err := restarted.app.SeedCatalog(context.Background(), []inventory.Product{{ID: "kettle", Name: "Kettle", Available: 1}})
	must(t, err)

	if seededAgain {
		t.Fatal("a stored catalog was seeded again")
	}
	if _, err := restarted.app.Product(context.Background(), "kettle"); !errors.Is(err, app.ErrProductNotFound) {
		t.Fatalf("got %v, want the seed to be ignored", err)
	}
	if got := restarted.metric(t, `saga_stock_available{product="grinder"}`); got != 7 {
		t.Fatalf("the restarted replica shows %v grinders, want the stored 7", got)
	}
}

func TestPuttingAProductKeepsItsReservedUnits(t *testing.T) {
	t.Parallel()
	r, _ := seeded(t, &recordingPublisher{})
	must(t, r.app.ReserveStock(context.Background(), orderCreated("o1", grinders(4))))
	p, err := r.app.PutProduct(context.Background(), "grinder", "Conical burr grinder", 9900, 50)
	must(t, err)
	want := inventory.Product{ID: "grinder", Name: "Conical burr grinder", PriceCents: 9900, Available: 50, Reserved: 4}
	if p != want {
		t.Fatalf("got %+v, want %+v", p, want)
	}
}
