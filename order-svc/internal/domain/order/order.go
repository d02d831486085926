// Package order is the order aggregate: what was asked for and how far the
// saga has taken it. It knows nothing of Dapr or HTTP.
package order

import (
	"errors"
	"time"
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
var ErrNotFound = errors.New("order not found")

// Item is one line of an order.
type Item struct {
	ProductID string `json:"productId"`
	Quantity  int    `json:"quantity"`
}

// Transition is one change of status, for the order's history.
type Transition struct {
	Status Status    `json:"status"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

// Order is the stored aggregate.
type Order struct {
	ID         string       `json:"id"`
	CustomerID string       `json:"customerId"`
	Items      []Item       `json:"items"`
	Status     Status       `json:"status"`
	Reason     string       `json:"reason,omitempty"` // why it was CANCELED
	TotalCents int64        `json:"totalCents"`       // from StockReserved
	CreatedAt  time.Time    `json:"createdAt"`
	UpdatedAt  time.Time    `json:"updatedAt"`
	History    []Transition `json:"history"`
	// Placed is false while the order is known only from later steps,
	// which can arrive before the order's own creation is stored.
	Placed bool  `json:"placed"`
	Steps  Steps `json:"steps"`
}

// Steps records which saga steps the order has seen. Steps arrive on
// different topics in any order and possibly more than once; the status is
// derived from them, so the result does not depend on their order. Steps
// only ever holds steps that one run of the saga can produce together.
type Steps struct {
	StockReserved    bool `json:"stockReserved,omitempty"`
	StockFailed      bool `json:"stockFailed,omitempty"`
	PaymentCompleted bool `json:"paymentCompleted,omitempty"`
	PaymentFailed    bool `json:"paymentFailed,omitempty"`
	StockReleased    bool `json:"stockReleased,omitempty"`
	// Failure is the reason of the StockFailed or PaymentFailed seen (one
	// run has at most one), kept until the order can be CANCELED: a
	// refused payment seen before the reservation waits for it.
	Failure string `json:"failure,omitempty"`
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
