package app_test

import (
	"context"
	"testing"

	"github.com/example/order-saga/stock-svc/internal/app"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

func TestTheStarterCatalogIsSeededOnceAndADeletedProductStaysDeleted(t *testing.T) {
	t.Parallel()
	r, _ := seeded(t, &recordingPublisher{})
	must(t, app.DeleteProductHandler{Stock: r.stock}.Handle(context.Background(), app.DeleteProduct{ID: "beans"}))
	seeded, err := app.SeedCatalogHandler{Stock: r.stock}.Handle(context.Background(), app.SeedCatalog{Products: []inventory.Product{{ID: "beans", Name: "Beans", PriceCents: 1, Available: 1}}})
	must(t, err)
	if seeded {
		t.Fatal("seeded a second time")
	}
	if _, found, _ := r.stock.Products.Get(context.Background(), "beans"); found {
		t.Fatal("a deleted product came back")
	}
}
