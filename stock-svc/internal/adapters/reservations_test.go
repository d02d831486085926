package adapters_test

import (
	"context"
	"testing"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/statestore"
	"github.com/example/order-saga/stock-svc/internal/adapters"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

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
	rec, changed, found, err := repo.Update(context.Background(), "o1", func(r *inventory.Reservation) (bool, error) {
		return r.Refuse("insufficient stock for cup: want 9, available 5", intent.DecidedAt), nil
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
	if _, _, found, err := repo.Update(context.Background(), "o2", func(*inventory.Reservation) (bool, error) { return true, nil }); found || err != nil {
		t.Fatalf("an update of no record: found=%v err=%v", found, err)
	}
	if stored(t, backend, "reservation-o2") != nil {
		t.Fatal("an update of no record wrote one")
	}
}
