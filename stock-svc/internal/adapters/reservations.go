package adapters

import (
	"context"

	"github.com/example/order-saga/platform/statestore"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// ReservationRepository keeps the reservation record of each order under
// its own key.
type ReservationRepository struct {
	store *statestore.Store[inventory.Reservation]
}

// NewReservationRepository returns the records of the state store storeName.
func NewReservationRepository(backend statestore.Backend, storeName string) *ReservationRepository {
	return &ReservationRepository{store: statestore.New[inventory.Reservation](backend, storeName)}
}

func reservationKey(orderID string) string { return "reservation-" + orderID }

// Get returns the record of an order.
func (r *ReservationRepository) Get(ctx context.Context, orderID string) (inventory.Reservation, bool, error) {
	return r.store.Get(ctx, reservationKey(orderID))
}

// Create writes rec unless the order has a record already, with one write
// in the usual case, and returns the record that stands and whether it is
// rec.
func (r *ReservationRepository) Create(ctx context.Context, rec inventory.Reservation) (inventory.Reservation, bool, error) {
	return r.store.Create(ctx, reservationKey(rec.OrderID), rec)
}

// Update applies fn to the stored record of an order, retrying on
// conflicting writes, and writes it when fn reports a change. It returns
// the record as it stands, whether fn changed it, and whether there is a
// record at all (fn is not called when there is none).
func (r *ReservationRepository) Update(ctx context.Context, orderID string, fn func(rec *inventory.Reservation) bool) (rec inventory.Reservation, changed, found bool, err error) {
	err = r.store.Update(ctx, reservationKey(orderID), func(v *inventory.Reservation, ok bool) error {
		rec, changed, found = *v, false, ok
		if !ok {
			return statestore.ErrUnchanged
		}
		changed = fn(v)
		rec = *v
		if !changed {
			return statestore.ErrUnchanged
		}
		return nil
	})
	return rec, changed, found, err
}
