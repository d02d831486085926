// Package app holds stock-svc's use cases, one handler each, and the
// outbound interfaces they need.
package app

import (
	"context"
	"time"

	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// Products keeps each product on its own.
type Products interface {
	// Get returns a product of the catalog; a deleted one is not found.
	Get(ctx context.Context, id string) (inventory.Product, bool, error)
	// Update applies fn to the stored product (given with its ID alone
	// and found false when none is stored) and writes it when fn reports
	// a change. fn may run more than once, on a fresh copy each time; a
	// decision to change nothing or to refuse is taken on a copy read
	// from the store. It returns the product as fn left it.
	Update(ctx context.Context, id string, fn func(p *inventory.Product, found bool) (changed bool, err error)) (inventory.Product, error)
	// Put is Update for a change that creates, replaces or deletes the
	// product, and also keeps the listing's index.
	Put(ctx context.Context, id string, fn func(p *inventory.Product, found bool) (changed bool, err error)) (inventory.Product, error)
	// List returns up to limit products after the product after, in a
	// stable order, and the id to ask the next page after ("" at the end).
	List(ctx context.Context, after string, limit int) ([]inventory.Product, string, error)
	// Seeded and MarkSeeded remember whether the first catalog was stored.
	Seeded(ctx context.Context) (bool, error)
	MarkSeeded(ctx context.Context) error
}

// Reservations keeps one reservation record per order.
type Reservations interface {
	Get(ctx context.Context, orderID string) (inventory.Reservation, bool, error)
	// Create writes r unless the order has a record already, and returns
	// the record that stands and whether it is r.
	Create(ctx context.Context, r inventory.Reservation) (inventory.Reservation, bool, error)
	// Update applies fn to the record of an order and writes it when fn
	// reports a change; fn may run more than once, and is not run when
	// the order has no record. It returns the record as it stands, whether
	// fn changed it, and whether there is one.
	Update(ctx context.Context, orderID string, fn func(r *inventory.Reservation) (changed bool, err error)) (rec inventory.Reservation, changed, found bool, err error)
	// GetMany returns the records found among orderIDs, by order id, in
	// one read.
	GetMany(ctx context.Context, orderIDs []string) (map[string]inventory.Reservation, error)
}

// Followups remembers, durably, when to look at a reservation again: a
// while after its units were held, in case the payment's outcome never
// arrives (see FollowHoldsHandler).
type Followups interface {
	Add(ctx context.Context, orderID string, at time.Time, attempt int) error
}

// Events publishes what the stock decided for an order. Each event of an
// order is the same on every call, so that a repeat is told apart by its
// id.
type Events interface {
	// StockReserved announces that the order r got its units.
	StockReserved(ctx context.Context, r inventory.Reservation) error
	// StockFailed announces that the order r was refused.
	StockFailed(ctx context.Context, r inventory.Reservation) error
	// StockReleased announces that the units of r went back to the stock.
	StockReleased(ctx context.Context, r inventory.Reservation) error
}

// Metrics counts what the stock does. It is told only of first-time
// effects, never of a redelivery.
type Metrics interface {
	ReservationDecided(status inventory.Status)
	StockReleased()
	UnitsSold(units int)
	// StockLevel tells a product as written.
	StockLevel(p inventory.Product)
	// EventContradicting counts an event that contradicts what the record of
	// its order says, acknowledged without effect.
	EventContradicting(eventType string)
}
