package ports

import (
	"context"
	"errors"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/pubsub"
	"github.com/example/order-saga/stock-svc/internal/app"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// Events hands the events stock-svc listens to to its use cases.
type Events struct {
	Reserve app.ReserveStockHandler
	Settle  app.SettleStockHandler
}

// Orders handles the orders topic: a new order is reserved.
func (e Events) Orders(ctx context.Context, eventType string, data []byte) error {
	if eventType != contracts.TypeOrderCreated {
		return nil
	}
	order, err := pubsub.Decode(data, validateOrderCreated)
	if err != nil {
		return err
	}
	lines := make([]inventory.Line, len(order.Items))
	for i, it := range order.Items {
		lines[i] = inventory.Line{ProductID: it.ProductID, Quantity: it.Quantity}
	}
	err = e.Reserve.Handle(ctx, app.ReserveStock{OrderID: order.OrderID, CustomerID: order.CustomerID, Lines: lines})
	if errors.Is(err, inventory.ErrInvalidOrder) {
		// No redelivery would change that.
		return pubsub.Poison(err)
	}
	return err
}

// Payments handles the payments topic: a paid order is sold, an unpaid one
// is released.
func (e Events) Payments(ctx context.Context, eventType string, data []byte) error {
	var orderID string
	switch eventType {
	case contracts.TypePaymentCompleted:
		paid, err := pubsub.Decode(data, func(p *contracts.PaymentCompleted) error { return validateOrderID(p.OrderID) })
		if err != nil {
			return err
		}
		orderID = paid.OrderID
	case contracts.TypePaymentFailed:
		failed, err := pubsub.Decode(data, func(p *contracts.PaymentFailed) error { return validateOrderID(p.OrderID) })
		if err != nil {
			return err
		}
		orderID = failed.OrderID
	default:
		return nil
	}
	return e.Settle.Handle(ctx, app.SettleStock{OrderID: orderID, EventType: eventType})
}
