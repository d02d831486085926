package adapters

import (
	"context"

	"github.com/example/order-saga/platform/statestore"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// ReservationRepository keeps the reservation record of each order under
// its own key.
type ReservationRepository struct {
	store *statestore.Store[reservationDocument]
}

// NewReservationRepository returns the records of the state store storeName.
func NewReservationRepository(backend statestore.Backend, storeName string) *ReservationRepository {
	return &ReservationRepository{store: statestore.New[reservationDocument](backend, storeName)}
}

func reservationKey(orderID string) string { return "reservation-" + orderID }

// Get returns the record of an order.
func (r *ReservationRepository) Get(ctx context.Context, orderID string) (inventory.Reservation, bool, error) {
	d, found, err := r.store.Get(ctx, reservationKey(orderID))
	if err != nil || !found {
		return inventory.Reservation{}, false, err
	}
	return d.reservation(), true, nil
}

// Update applies change to a copy of the record of an order, retrying on
// conflicting writes, and writes it when change reports a change.
func (r *ReservationRepository) Update(ctx context.Context, orderID string, change func(r *inventory.Reservation, found bool) (bool, error)) error {
	return r.store.Update(ctx, reservationKey(orderID), func(d *reservationDocument, found bool) error {
		var rec inventory.Reservation
		if found {
			rec = d.reservation()
		}
		changed, err := change(&rec, found)
		if err != nil {
			return err
		}
		if !changed {
			return statestore.ErrUnchanged
		}
		*d = reservationDocumentOf(rec)
		return nil
	})
}

// Create implements app.ReservationRepository, with one write in the usual
// case.
func (r *ReservationRepository) Create(ctx context.Context, rec inventory.Reservation) (inventory.Reservation, bool, error) {
	d, created, err := r.store.Create(ctx, reservationKey(rec.OrderID), reservationDocumentOf(rec))
	if err != nil {
		return inventory.Reservation{}, false, err
	}
	return d.reservation(), created, nil
}
