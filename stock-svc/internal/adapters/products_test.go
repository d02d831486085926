package adapters_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/obs"
	"github.com/example/order-saga/platform/statestore"
	"github.com/example/order-saga/stock-svc/internal/adapters"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

func stored(t *testing.T, backend *statestore.Memory, key string) map[string]any {
	t.Helper()
	item, err := backend.GetState(context.Background(), contracts.StockStore, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(item.Value) == 0 {
		return nil
	}
	var doc map[string]any
	if err := json.Unmarshal(item.Value, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestEachProductIsStoredUnderItsOwnKeyWithItsHolds(t *testing.T) {
	t.Parallel()
	backend := statestore.NewMemory()
	repo := adapters.NewProductRepository(backend, contracts.StockStore)
	ctx := context.Background()
	for _, id := range []string{"cup", "kettle"} {
		_, err := repo.Put(ctx, id, func(p *inventory.Product, found bool) (bool, error) {
			return true, p.Put(found, id, "A "+id, 650, 5)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := repo.Update(ctx, "cup", func(p *inventory.Product, found bool) (bool, error) {
		_, taken, err := p.Hold(found, "o1", "r1", 2)
		return taken, err
	})
	if err != nil {
		t.Fatal(err)
	}

	cup := stored(t, backend, "product-cup")
	if cup["available"] != 3.0 || cup["reserved"] != 2.0 || cup["holds"].(map[string]any)["o1"].(map[string]any)["quantity"] != 2.0 {
		t.Fatalf("stored cup %v", cup)
	}
	if kettle := stored(t, backend, "product-kettle"); kettle["available"] != 5.0 || kettle["holds"] != nil {
		t.Fatalf("a hold of the cup touched the kettle: %v", kettle)
	}
	if doc := stored(t, backend, "catalog"); doc != nil {
		t.Fatalf("a catalog document was written: %v", doc)
	}
	if _, err := repo.Update(ctx, "teapot", func(p *inventory.Product, found bool) (bool, error) {
		_, taken, err := p.Hold(found, "o1", "r1", 1)
		return taken, err
	}); err == nil || stored(t, backend, "product-teapot") != nil {
		t.Fatalf("holding an unknown product: %v", err)
	}
}

func TestAReservationIsStoredUnderTheKeyOfItsOrder(t *testing.T) {
	t.Parallel()
	backend := statestore.NewMemory()
	repo := adapters.NewReservationRepository(backend, contracts.StockStore)
	intent, err := inventory.NewReservation("o1", "c1", []inventory.Line{{ProductID: "cup", Quantity: 9}})
	if err != nil {
		t.Fatal(err)
	}
	if _, created, err := repo.Create(context.Background(), intent); err != nil || !created {
		t.Fatalf("created=%v err=%v", created, err)
	}
	rec, changed, found, err := repo.Update(context.Background(), "o1", func(r *inventory.Reservation) bool {
		return r.Refuse("insufficient stock for cup: want 9, available 5", intent.DecidedAt)
	})
	if err != nil || !changed || !found || rec.Status != inventory.StatusFailed {
		t.Fatalf("update: %+v changed=%v found=%v err=%v", rec, changed, found, err)
	}
	doc := stored(t, backend, "reservation-o1")
	for field, want := range map[string]any{"orderId": "o1", "customerId": "c1", "status": "FAILED", "reason": rec.Reason} {
		if doc[field] != want {
			t.Errorf("%s = %v, want %v", field, doc[field], want)
		}
	}
	if _, _, found, err := repo.Update(context.Background(), "o2", func(*inventory.Reservation) bool { return true }); found || err != nil {
		t.Fatalf("an update of no record: found=%v err=%v", found, err)
	}
	if stored(t, backend, "reservation-o2") != nil {
		t.Fatal("an update of no record wrote one")
	}
}

func TestStockGaugesAreBoundedWhateverTheSizeOfTheCatalog(t *testing.T) {
	t.Parallel()
	m := obs.NewMetrics(contracts.AppStock)
	metrics, err := adapters.NewStockMetrics(m)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5000 {
		metrics.StockLevel(inventory.Product{ID: fmt.Sprintf("p-%d", i), Available: 1, Revision: 1})
	}
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "saga_stock_available" && len(f.GetMetric()) > 1000 {
			t.Fatalf("%d series of saga_stock_available", len(f.GetMetric()))
		}
	}
}
