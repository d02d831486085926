package adapters

import (
	"context"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/pubsub"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// EventPublisher publishes stock-svc's events. Each is built from the
// order's record alone, with the time of the move it announces, so that
// every delivery of an order announces the same event under the same id.
type EventPublisher struct {
	Publisher *pubsub.Publisher
}

// StockReserved implements app.Events.
func (p EventPublisher) StockReserved(ctx context.Context, r inventory.Reservation) error {
	return p.Publisher.Publish(ctx, contracts.StockReserved{
		Header:     contracts.NewHeader(contracts.TypeStockReserved, r.OrderID, r.DecidedAt),
		CustomerID: r.CustomerID, Items: itemsOf(r.Lines), TotalCents: r.TotalCents, Deadline: r.Deadline,
	})
}

// StockFailed implements app.Events.
func (p EventPublisher) StockFailed(ctx context.Context, r inventory.Reservation) error {
	return p.Publisher.Publish(ctx, contracts.StockFailed{
		Header: contracts.NewHeader(contracts.TypeStockFailed, r.OrderID, r.DecidedAt), Reason: r.Reason,
		CustomerID: r.CustomerID, Items: itemsOf(r.Lines),
	})
}

// StockReleased implements app.Events.
func (p EventPublisher) StockReleased(ctx context.Context, r inventory.Reservation) error {
	return p.Publisher.Publish(ctx, contracts.StockReleased{
		Header: contracts.NewHeader(contracts.TypeStockReleased, r.OrderID, r.SettledAt), Items: itemsOf(r.Lines),
		CustomerID: r.CustomerID, Canceled: r.CanceledByOrder,
	})
}

func itemsOf(lines []inventory.Line) []contracts.Item {
	items := make([]contracts.Item, len(lines))
	for i, l := range lines {
		items[i] = contracts.Item{ProductID: l.ProductID, Quantity: l.Quantity}
	}
	return items
}
