package app

import (
	"context"
	"time"

	"github.com/example/order-saga/order-svc/internal/domain/order"
)

// StoreCreated is an order as its own OrderCreated event tells it.
type StoreCreated struct {
	OrderID    string
	CustomerID string
	Items      []order.Item
	CreatedAt  time.Time
}

// StoreCreatedHandler stores an order from its own OrderCreated event. It
// covers a crash between publishing the event and storing the order.
type StoreCreatedHandler struct {
	Tracker
}

// Handle stores the order unless it is stored already, and keeps it
// until it finishes when it is still open.
func (h StoreCreatedHandler) Handle(ctx context.Context, cmd StoreCreated) error {
	o, err := h.apply(ctx, cmd.OrderID, func(o *order.Order) bool {
		return o.Place(cmd.OrderID, cmd.CustomerID, cmd.Items, cmd.CreatedAt)
	})
	if err == nil && !o.Status.Final() {
		h.Redrive.track(cmd.OrderID, cmd.CreatedAt)
	}
	return err
}
