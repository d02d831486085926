package adapters

import (
	"context"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/order-svc/internal/domain/order"
	"github.com/example/order-saga/platform/pubsub"
)

// EventPublisher publishes order-svc's events.
type EventPublisher struct {
	Publisher *pubsub.Publisher
}

// OrderCreated implements app.Events.
func (p EventPublisher) OrderCreated(ctx context.Context, o order.Order) error {
	return p.Publisher.Publish(ctx, contracts.OrderCreated{
		Header:     contracts.NewHeader(contracts.TypeOrderCreated, o.ID, o.CreatedAt),
		CustomerID: o.CustomerID,
		Items:      convert(o.Items, func(it order.Item) contracts.Item { return contracts.Item(it) }),
		Deadline:   o.Deadline,
	})
}

// OrderCanceled implements app.Events. Every announcement of an order's
// cancellation is the same event: its time is that of the cancellation.
func (p EventPublisher) OrderCanceled(ctx context.Context, o order.Order) error {
	at := o.UpdatedAt
	for _, t := range o.History {
		if t.Status == order.Canceled {
			at = t.At
			break
		}
	}
	return p.Publisher.Publish(ctx, contracts.OrderCanceled{
		Header:     contracts.NewHeader(contracts.TypeOrderCanceled, o.ID, at),
		CustomerID: o.CustomerID, Reason: o.Reason,
	})
}
