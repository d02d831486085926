// Package app holds order-svc's use cases, one file each; deps.go holds
// the interfaces they reach the store, the broker and the metrics through.
package app

import (
	"context"
	"time"

	"github.com/example/order-saga/order-svc/internal/domain/order"
)

// Orders stores orders, one key each.
type Orders interface {
	Get(ctx context.Context, id string) (order.Order, bool, error)
	// Update applies fn to the order (the zero Order when absent), and
	// writes it only when fn reports a change. fn may run more than once.
	Update(ctx context.Context, id string, fn func(o *order.Order) (changed bool, err error)) error
	// Create stores o unless an order is stored under its id, and tells
	// whether it did.
	Create(ctx context.Context, o order.Order) (bool, error)
	// GetMany returns the orders found among ids, by id, in one read.
	GetMany(ctx context.Context, ids []string) (map[string]order.Order, error)
}

// Claim is what a customer's idempotency key stands for: the request it
// was first used with, and the order that request was given.
type Claim struct {
	RequestHash string
	OrderID     string
}

// Claims remembers what each customer's idempotency keys stand for. The
// same key from two customers is two claims.
type Claims interface {
	// Claim stores c for the customer's key unless the key is claimed
	// already, and returns the claim that holds the key after the call.
	Claim(ctx context.Context, customerID, key string, c Claim) (Claim, error)
}

// Events publishes order-svc's events, one method each.
type Events interface {
	OrderCreated(ctx context.Context, o order.Order) error
	OrderCanceled(ctx context.Context, o order.Order) error
}

// Deadlines remembers, durably, when to look at an order again: at its
// deadline, and then until what the saga took for it is undone (see
// ExpireOrdersHandler).
type Deadlines interface {
	Add(ctx context.Context, orderID string, at time.Time, attempt int) error
}

// Metrics is told of business events. OrderCreated is told when an order
// is first stored, whichever path stored it. EventContradicting is told of
// each delivery of an event that contradicts its order, with the event's
// type (a contracts type constant). OrderRedriven is told of each open
// order announced again.
type Metrics interface {
	OrderCreated()
	OrderFinished(o order.Order)
	EventContradicting(eventType string)
	OrderRedriven()
	// OrderExpired is told of each order order-svc canceled before it
	// ended, with its cause (CauseDeadline or CauseDeadLetter).
	OrderExpired(cause string)
}
