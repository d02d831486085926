package adapters_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/statestore"
	"github.com/example/order-saga/stock-svc/internal/adapters"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

var decidedAt = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func stored(t *testing.T, backend *statestore.Memory, key string) string {
	t.Helper()
	item, err := backend.GetState(context.Background(), contracts.StockStore, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	return string(item.Value)
}

func TestTheCatalogIsStoredAsOneDocumentOfProductsAndHolds(t *testing.T) {
	t.Parallel()
	backend := statestore.NewMemory()
	repo := adapters.NewCatalogRepository(backend, contracts.StockStore)
	_, err := repo.Update(context.Background(), func(c *inventory.Catalog, _ bool) (bool, error) {
		if _, err := c.PutProduct("cup", "Espresso cup", 650, 5); err != nil {
			return false, err
		}
		_, _, err := c.Reserve("o1", []inventory.Line{{ProductID: "cup", Quantity: 2}}, "r1", decidedAt)
		return true, err
	})
	if err != nil {
		t.Fatal(err)
	}

	const want = `{"revision":2,"products":{"cup":{"name":"Espresso cup","priceCents":650,"available":3,"reserved":2}},` +
		`"holds":{"o1":{"status":"RESERVED","ref":"r1","items":[{"productId":"cup","quantity":2}],"totalCents":1300,"at":"2030-01-02T03:04:05Z"}}}`
	if got := stored(t, backend, "catalog"); got != want {
		t.Fatalf("stored\n%s\nwant\n%s", got, want)
	}
	c, found, err := repo.Get(context.Background())
	if err != nil || !found {
		t.Fatalf("found=%v err=%v", found, err)
	}
	if h, _ := c.Hold("o1"); h.Ref != "r1" || h.TotalCents != 1300 || !h.At.Equal(decidedAt) {
		t.Fatalf("read back %+v", h)
	}
}

func TestAReservationIsStoredUnderTheKeyOfItsOrder(t *testing.T) {
	t.Parallel()
	backend := statestore.NewMemory()
	repo := adapters.NewReservationRepository(backend, contracts.StockStore)
	hold := inventory.Hold{Ref: "r1", Status: inventory.StatusFailed, Lines: []inventory.Line{{ProductID: "cup", Quantity: 9}}, Reason: "insufficient stock for cup: want 9, available 5", At: decidedAt}
	err := repo.Update(context.Background(), "o1", func(r *inventory.Reservation, found bool) (bool, error) {
		*r = inventory.NewReservation("o1", "c1", hold)
		return !found, nil
	})
	if err != nil {
		t.Fatal(err)
	}

	var doc map[string]any
	if err := json.Unmarshal([]byte(stored(t, backend, "reservation-o1")), &doc); err != nil {
		t.Fatal(err)
	}
	for field, want := range map[string]any{"orderId": "o1", "customerId": "c1", "status": "FAILED", "reason": hold.Reason, "totalCents": 0.0} {
		if doc[field] != want {
			t.Errorf("%s = %v, want %v", field, doc[field], want)
		}
	}
	rec, found, err := repo.Get(context.Background(), "o1")
	if err != nil || !found || rec.Status != inventory.StatusFailed || rec.Lines[0].Quantity != 9 {
		t.Fatalf("read back %+v found=%v err=%v", rec, found, err)
	}
}
