package adapters_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
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

// The stored JSON is the same, to the byte, as the one the stock has always
// written, so that the stock stored before reads as it was.
func TestTheStockIsStoredInTheJSONItHasAlwaysHad(t *testing.T) {
	t.Parallel()
	backend := statestore.NewMemory()
	products := adapters.NewProductRepository(backend, contracts.StockStore)
	reservations := adapters.NewReservationRepository(backend, contracts.StockStore)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"cup", "kettle"} {
		_, err := products.Put(ctx, id, func(p *inventory.Product, found bool) (bool, error) { return true, p.Put(found, id, "A "+id, 650, 5) })
		must(err)
	}
	_, err := products.Update(ctx, "cup", func(p *inventory.Product, found bool) (bool, error) {
		_, taken, err := p.Hold(found, "o1", "r1", 2)
		return taken, err
	})
	must(err)
	_, err = products.Put(ctx, "kettle", func(p *inventory.Product, _ bool) (bool, error) { return true, p.Delete() })
	must(err)
	must(products.MarkSeeded(ctx))
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, o := range []struct {
		id     string
		decide func(r *inventory.Reservation) bool
	}{
		{"o1", func(r *inventory.Reservation) bool {
			return r.Grant(map[string]inventory.Hold{"cup": {Ref: "r1", Quantity: 2, PriceCents: 650}}, at) && r.Sell(at.Add(time.Second))
		}},
		{"o2", func(r *inventory.Reservation) bool { return r.Refuse("insufficient", at) }},
	} {
		intent, err := inventory.NewReservation(o.id, "c1", []inventory.Line{{ProductID: "cup", Quantity: 2}})
		must(err)
		_, _, err = reservations.Create(ctx, intent)
		must(err)
		_, _, _, err = reservations.Update(ctx, o.id, func(r *inventory.Reservation) (bool, error) { return o.decide(r), nil })
		must(err)
	}

	for key, want := range map[string]string{
		"product-cup":    `{"id":"cup","name":"A cup","priceCents":650,"available":3,"reserved":2,"sold":0,"holds":{"o1":{"ref":"r1","quantity":2,"priceCents":650}},"revision":2}`,
		"product-kettle": `{"id":"kettle","name":"","priceCents":0,"available":0,"reserved":0,"sold":0,"deleted":true,"revision":2}`,
		"catalog-seeded": `{"seeded":true}`,
		"reservation-o1": `{"orderId":"o1","customerId":"c1","status":"SOLD","lines":[{"productId":"cup","quantity":2}],"holds":{"cup":"r1"},"totalCents":1300,"decidedAt":"2030-01-02T03:04:05Z","settledAt":"2030-01-02T03:04:06Z"}`,
		"reservation-o2": `{"orderId":"o2","customerId":"c1","status":"FAILED","lines":[{"productId":"cup","quantity":2}],"totalCents":0,"reason":"insufficient","decidedAt":"2030-01-02T03:04:05Z","settledAt":"0001-01-01T00:00:00Z"}`,
	} {
		item, err := backend.GetState(ctx, contracts.StockStore, key, nil)
		must(err)
		if string(item.Value) != want {
			t.Errorf("%s stored as\n%s\nwant\n%s", key, item.Value, want)
		}
	}
	var listed []string
	for after := ""; ; {
		page, next, err := products.List(ctx, after, 1)
		must(err)
		for _, p := range page {
			listed = append(listed, p.ID)
		}
		if next == "" {
			break
		}
		after = next
	}
	if len(listed) != 1 || listed[0] != "cup" {
		t.Errorf("listed %v, want the cup alone: the index keeps the ids of the catalog", listed)
	}
}

// A document written before reads as the product and the reservation it
// was written from.
func TestTheStockStoredBeforeReadsAsItWas(t *testing.T) {
	t.Parallel()
	backend := statestore.NewMemory()
	ctx := context.Background()
	for key, doc := range map[string]string{
		"product-cup":    `{"id":"cup","name":"A cup","priceCents":650,"available":3,"reserved":2,"sold":4,"holds":{"o1":{"ref":"r1","quantity":2,"priceCents":600}},"revision":7}`,
		"product-kettle": `{"id":"kettle","name":"","priceCents":0,"available":0,"reserved":0,"sold":0,"deleted":true,"revision":2}`,
		"reservation-o1": `{"orderId":"o1","customerId":"c1","status":"RESERVED","lines":[{"productId":"cup","quantity":2}],"holds":{"cup":"r1"},"totalCents":1200,"decidedAt":"2030-01-02T03:04:05Z","settledAt":"0001-01-01T00:00:00Z"}`,
	} {
		if err := backend.SaveStateWithETag(ctx, contracts.StockStore, key, []byte(doc), "", nil); err != nil {
			t.Fatal(err)
		}
	}
	products := adapters.NewProductRepository(backend, contracts.StockStore)
	cup, found, err := products.Get(ctx, "cup")
	want := inventory.Product{ID: "cup", Name: "A cup", PriceCents: 650, Available: 3, Reserved: 2, Sold: 4,
		Holds: map[string]inventory.Hold{"o1": {Ref: "r1", Quantity: 2, PriceCents: 600}}, Revision: 7}
	if err != nil || !found || !reflect.DeepEqual(cup, want) {
		t.Fatalf("cup %+v found=%v err=%v, want %+v", cup, found, err, want)
	}
	if _, found, err := products.Get(ctx, "kettle"); found || err != nil {
		t.Fatalf("a deleted kettle: found=%v err=%v", found, err)
	}
	if p, err := products.Update(ctx, "kettle", func(p *inventory.Product, found bool) (bool, error) {
		return false, nil
	}); err != nil || !p.Deleted || p.Revision != 2 {
		t.Fatalf("the kettle's tombstone read as %+v (%v)", p, err)
	}
	rec, found, err := adapters.NewReservationRepository(backend, contracts.StockStore).Get(ctx, "o1")
	wantRec := inventory.Reservation{OrderID: "o1", CustomerID: "c1", Status: inventory.StatusReserved,
		Lines: []inventory.Line{{ProductID: "cup", Quantity: 2}}, Holds: map[string]string{"cup": "r1"}, TotalCents: 1200,
		DecidedAt: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	if err != nil || !found || !reflect.DeepEqual(rec, wantRec) {
		t.Fatalf("record %+v found=%v err=%v, want %+v", rec, found, err, wantRec)
	}
}
