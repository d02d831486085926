package app

import (
	"context"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// Publisher sends an event whose header is h.
type Publisher interface {
	Publish(ctx context.Context, h contracts.Header, event any) error
}

// CatalogRepository keeps the one catalog.
type CatalogRepository interface {
	// Get returns the stored catalog, or an empty one with found false.
	Get(ctx context.Context) (c *inventory.Catalog, found bool, err error)
	// Update applies change to the stored catalog (an empty one with found
	// false when none is stored) and writes it when change reports a
	// change. change may run more than once, on a fresh copy each time. It
	// returns the catalog as written, or nil when nothing was written.
	Update(ctx context.Context, change func(c *inventory.Catalog, found bool) (changed bool, err error)) (*inventory.Catalog, error)
}

// ReservationRepository keeps one reservation record per order.
type ReservationRepository interface {
	Get(ctx context.Context, orderID string) (r inventory.Reservation, found bool, err error)
	// Update applies change to the record of an order and writes it when
	// change reports a change. change may run more than once.
	Update(ctx context.Context, orderID string, change func(r *inventory.Reservation, found bool) (changed bool, err error)) error
	// Create writes r unless the order has a record already, and returns
	// the record that stands and whether it is r.
	Create(ctx context.Context, r inventory.Reservation) (inventory.Reservation, bool, error)
}

// Metrics counts what the stock does. It is told only of first-time
// effects, never of a redelivery.
type Metrics interface {
	ReservationDecided(status inventory.Status)
	StockReleased()
	UnitsSold(units int)
	// StockLevels tells the products as of a catalog revision.
	StockLevels(revision int64, products []inventory.Product)
}
