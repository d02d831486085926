package adapters

import (
	"context"
	"maps"
	"time"

	"github.com/example/order-saga/platform/statestore"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// ReservationRepository keeps the reservation record of each order under
// its own key.
type ReservationRepository struct {
	store *statestore.Store[reservationRecord]
}

// reservationRecord is a reservation as stored under reservation-<orderId>.
// Its JSON names are those of every record stored so far: a renamed one
// would no longer read them.
type reservationRecord struct {
	OrderID    string            `json:"orderId"`
	CustomerID string            `json:"customerId"`
	Status     string            `json:"status"`
	Lines      []lineRecord      `json:"lines"`
	Holds      map[string]string `json:"holds,omitempty"`
	TotalCents int64             `json:"totalCents"`
	Reason     string            `json:"reason,omitempty"`
	DecidedAt  time.Time         `json:"decidedAt"`
	SettledAt  time.Time         `json:"settledAt"`
	Deadline   time.Time         `json:"deadline,omitzero"`
	Canceled   bool              `json:"canceledByOrder,omitempty"`
}

type lineRecord struct {
	ProductID string `json:"productId"`
	Quantity  int    `json:"quantity"`
}

func reservationRecordOf(r inventory.Reservation) reservationRecord {
	rec := reservationRecord{
		OrderID: r.OrderID, CustomerID: r.CustomerID, Status: string(r.Status), Holds: maps.Clone(r.Holds),
		TotalCents: r.TotalCents, Reason: r.Reason, DecidedAt: r.DecidedAt, SettledAt: r.SettledAt,
		Deadline: r.Deadline, Canceled: r.CanceledByOrder,
	}
	if r.Lines != nil {
		rec.Lines = make([]lineRecord, len(r.Lines))
		for i, l := range r.Lines {
			rec.Lines[i] = lineRecord{ProductID: l.ProductID, Quantity: l.Quantity}
		}
	}
	return rec
}

func (rec reservationRecord) reservation() inventory.Reservation {
	r := inventory.Reservation{
		OrderID: rec.OrderID, CustomerID: rec.CustomerID, Status: inventory.Status(rec.Status), Holds: maps.Clone(rec.Holds),
		TotalCents: rec.TotalCents, Reason: rec.Reason, DecidedAt: rec.DecidedAt, SettledAt: rec.SettledAt,
		Deadline: rec.Deadline, CanceledByOrder: rec.Canceled,
	}
	if rec.Lines != nil {
		r.Lines = make([]inventory.Line, len(rec.Lines))
		for i, l := range rec.Lines {
			r.Lines[i] = inventory.Line{ProductID: l.ProductID, Quantity: l.Quantity}
		}
	}
	return r
}

// NewReservationRepository returns the records of the state store storeName.
func NewReservationRepository(backend statestore.Backend, storeName string) *ReservationRepository {
	return &ReservationRepository{store: statestore.New[reservationRecord](backend, storeName)}
}

func reservationKey(orderID string) string { return "reservation-" + orderID }

// Get returns the record of an order.
func (r *ReservationRepository) Get(ctx context.Context, orderID string) (inventory.Reservation, bool, error) {
	rec, found, err := r.store.Get(ctx, reservationKey(orderID))
	return rec.reservation(), found, err
}

// Create writes rec unless the order has a record already, with one write
// in the usual case, and returns the record that stands and whether it is
// rec.
func (r *ReservationRepository) Create(ctx context.Context, rec inventory.Reservation) (inventory.Reservation, bool, error) {
	stored, created, err := r.store.Create(ctx, reservationKey(rec.OrderID), reservationRecordOf(rec))
	return stored.reservation(), created, err
}

// Update applies fn to the stored record of an order, retrying on
// conflicting writes, and writes it when fn reports a change. It returns
// the record as it stands, whether fn changed it, and whether there is a
// record at all (fn is not called when there is none).
func (r *ReservationRepository) Update(ctx context.Context, orderID string, fn func(rec *inventory.Reservation) (bool, error)) (rec inventory.Reservation, changed, found bool, err error) {
	err = r.store.Update(ctx, reservationKey(orderID), func(v *reservationRecord, ok bool) error {
		rec, changed, found = v.reservation(), false, ok
		if !ok {
			return statestore.ErrUnchanged
		}
		next := v.reservation()
		moved, err := fn(&next)
		switch {
		case err != nil:
			return err
		case !moved:
			return statestore.ErrUnchanged
		}
		rec, changed, *v = next, true, reservationRecordOf(next)
		return nil
	})
	return rec, changed, found, err
}

// GetMany returns the records of the orders found among orderIDs.
func (r *ReservationRepository) GetMany(ctx context.Context, orderIDs []string) (map[string]inventory.Reservation, error) {
	return statestore.GetByIDs(ctx, r.store, orderIDs, reservationKey, reservationRecord.reservation)
}
