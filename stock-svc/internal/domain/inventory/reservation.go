package inventory

import (
	"slices"
	"time"
)

// Reservation is the record of what was decided for an order and what
// became of it. Once written it is the decision of the order: whoever
// handles the order again announces what it records.
type Reservation struct {
	OrderID    string
	CustomerID string
	Status     Status
	Ref        string
	Lines      []Line
	TotalCents int64
	Reason     string
	At         time.Time
}

// NewReservation records the decision h for an order.
func NewReservation(orderID, customerID string, h Hold) Reservation {
	return Reservation{
		OrderID: orderID, CustomerID: customerID, Status: h.Status, Ref: h.Ref,
		Lines: slices.Clone(h.Lines), TotalCents: h.TotalCents, Reason: h.Reason, At: h.At,
	}
}

// Granted tells whether the order got its units, whatever became of them.
func (r Reservation) Granted() bool { return r.Status != StatusFailed }

// Accounts tells whether h is the hold this record stands for: only a
// reservation still waiting for payment has a hold, the one it decided.
func (r Reservation) Accounts(h Hold) bool { return r.Status == StatusReserved && h.Ref == r.Ref }

// Sell marks the reserved units as sold, and tells whether that changed
// the record.
func (r *Reservation) Sell() bool {
	if r.Status != StatusReserved {
		return false
	}
	r.Status = StatusSold
	return true
}

// Release marks the reserved units as given back, and tells whether that
// changed the record.
func (r *Reservation) Release() bool {
	if r.Status != StatusReserved {
		return false
	}
	r.Status = StatusReleased
	return true
}
