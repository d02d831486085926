package ports

import (
	"context"
	"errors"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/pubsub"
	"github.com/example/order-saga/stock-svc/internal/app"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// Events hands the events stock-svc listens to to the application.
type Events struct {
	app *app.Application
}

// NewEvents returns the event port of application.
func NewEvents(application *app.Application) Events { return Events{app: application} }

// Orders handles the orders topic: a new order is reserved.
func (e Events) Orders(ctx context.Context, eventType string, data []byte) error {
	if eventType != contracts.TypeOrderCreated {
		return nil
	}
	order, err := pubsub.Decode(data, validateOrderCreated)
	if err != nil {
		return err
	}
	return poisonInvalidOrder(e.app.ReserveStock(ctx, order))
}

// Payments handles the payments topic: a paid order is sold, an unpaid one
// is released.
func (e Events) Payments(ctx context.Context, eventType string, data []byte) error {
	switch eventType {
	case contracts.TypePaymentCompleted:
		paid, err := pubsub.Decode(data, func(p *contracts.PaymentCompleted) error { return validateOrderID(p.OrderID) })
		if err != nil {
			return err
		}
		return e.app.SellStock(ctx, paid)
	case contracts.TypePaymentFailed:
		failed, err := pubsub.Decode(data, func(p *contracts.PaymentFailed) error { return validateOrderID(p.OrderID) })
		if err != nil {
			return err
		}
		return e.app.ReleaseStock(ctx, failed)
	}
	return nil
}

// poisonInvalidOrder dead-letters an order the stock can take no decision
// on, since no redelivery would change that.
func poisonInvalidOrder(err error) error {
	if errors.Is(err, inventory.ErrInvalidOrder) {
		return pubsub.Poison(err)
	}
	return err
}
