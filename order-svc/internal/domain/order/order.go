// Package order is the order aggregate: what was asked for and how far the
// saga has taken it. It knows nothing of Dapr or HTTP.
package order

import (
	"time"

	"github.com/example/order-saga/contracts"
)

// Status of an order, derived from the saga steps it has seen.
type Status string

// The statuses an order goes through.
const (
	Pending   Status = "PENDING"
	Reserved  Status = "RESERVED"
	Confirmed Status = "CONFIRMED"
	Canceled  Status = "CANCELED"
)

// Final reports whether no step can change the status any more: Record
// keeps a CONFIRMED or CANCELED order as it is.
func (s Status) Final() bool { return s == Confirmed || s == Canceled }

// ErrNotFound is returned when an order does not exist.
var ErrNotFound = contracts.NotFound("order-not-found", "no order has this id")

// Item is one line of an order.
type Item struct {
	ProductID string
	Quantity  int
}

// Transition is one change of status, for the order's history.
type Transition struct {
	Status Status
	At     time.Time
	Reason string
}

// Order is the aggregate: one order and the saga steps seen for it.
type Order struct {
	ID         string
	CustomerID string
	Items      []Item
	Status     Status
	Reason     string // why it was CANCELED
	TotalCents int64  // from StockReserved
	// Deadline is when the order is canceled if it has not ended (zero:
	// none, for orders placed before orders had one).
	Deadline time.Time
	// RefundedCents is what payment-svc gave back for an order canceled
	// at its deadline.
	RefundedCents int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
	History       []Transition
	// Placed is false while the order is known only from later steps,
	// which can arrive before the order's own creation is stored.
	Placed bool
	Steps  Steps
}

// Steps records which saga steps the order has seen. Steps arrive on
// different topics in any order and possibly more than once; the status is
// derived from them, so the result does not depend on their order. Steps
// only ever holds steps that one run of the saga can produce together.
type Steps struct {
	StockReserved    bool
	StockFailed      bool
	PaymentCompleted bool
	PaymentFailed    bool
	StockReleased    bool
	// Expired: order-svc canceled the order, at its deadline or because
	// one of its events was given up on (Reason says which); what the
	// participants took is being undone.
	Expired bool
	// PaymentRefunded: payment-svc answered the cancellation, and no
	// payment stands for the order.
	PaymentRefunded bool
	// Failure is the reason of the StockFailed or PaymentFailed seen (one
	// run has at most one), kept until the order can be CANCELED: a
	// refused payment seen before the reservation waits for it.
	Failure string
}

// Place fills in what the customer asked for. It returns false when the
// order was already placed, so placing twice is harmless.
func (o *Order) Place(id, customerID string, items []Item, at time.Time) bool {
	if o.Placed {
		return false
	}
	o.ID, o.CustomerID, o.Items, o.Placed = id, customerID, items, true
	if o.CreatedAt.IsZero() || at.Before(o.CreatedAt) {
		o.CreatedAt = at
	}
	if o.UpdatedAt.Before(at) {
		o.UpdatedAt = at
	}
	o.transition(Pending, at)
	// Steps stored before the order itself now count.
	if next := o.derive(); next != o.Status {
		o.transition(next, o.UpdatedAt)
	}
	return true
}
