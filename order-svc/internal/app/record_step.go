package app

import (
	"context"
	"log/slog"

	"github.com/example/order-saga/order-svc/internal/domain/order"
)

// tracker applies changes to orders and reports those that finish.
type tracker struct {
	Orders   Orders
	Observer Observer
	Log      *slog.Logger
}

// apply runs fn on the stored order, and tells the observer when this
// change is the one that stored the order, or made it final.
func (t tracker) apply(ctx context.Context, id string, fn func(o *order.Order) bool) (order.Order, error) {
	var after order.Order
	var placed, finished bool
	err := t.Orders.Update(ctx, id, func(o *order.Order) bool {
		wasPlaced, wasFinal := o.Placed, o.Status.Final()
		changed := fn(o)
		after, placed, finished = *o, changed && !wasPlaced && o.Placed, changed && !wasFinal && o.Status.Final()
		return changed
	})
	if err != nil {
		return after, err
	}
	if placed {
		t.Observer.OrderCreated()
	}
	if finished {
		t.Observer.OrderFinished(after)
		t.Log.InfoContext(ctx, "order finished", "orderId", id, "status", after.Status, "reason", after.Reason)
	}
	return after, nil
}

// RecordStepHandler applies what the other services report to the order.
// It is idempotent: a step seen before changes nothing.
type RecordStepHandler struct{ tracker }

// NewRecordStepHandler returns the handler of saga steps.
func NewRecordStepHandler(orders Orders, obs Observer, log *slog.Logger) RecordStepHandler {
	return RecordStepHandler{tracker{orders, obs, log}}
}

// Handle records step s for the order orderID.
func (h RecordStepHandler) Handle(ctx context.Context, orderID string, s order.Step) error {
	_, err := h.apply(ctx, orderID, func(o *order.Order) bool { return o.Record(orderID, s) })
	return err
}

// StoreCreatedHandler stores an order from its own OrderCreated event. It
// covers a crash between publishing the event and storing the order.
type StoreCreatedHandler struct{ tracker }

// NewStoreCreatedHandler returns the handler of order-svc's own events.
func NewStoreCreatedHandler(orders Orders, obs Observer, log *slog.Logger) StoreCreatedHandler {
	return StoreCreatedHandler{tracker{orders, obs, log}}
}

// Handle stores the order unless it is stored already.
func (h StoreCreatedHandler) Handle(ctx context.Context, o order.Order) error {
	_, err := h.apply(ctx, o.ID, func(cur *order.Order) bool {
		return cur.Place(o.ID, o.CustomerID, o.Items, o.CreatedAt)
	})
	return err
}

// GetOrderHandler reads one order.
type GetOrderHandler struct {
	Orders Orders
}

// Handle returns the order, or order.ErrNotFound. An order known only from
// later steps is not shown until its own creation is stored.
func (h GetOrderHandler) Handle(ctx context.Context, id string) (order.Order, error) {
	o, found, err := h.Orders.Get(ctx, id)
	if err != nil {
		return o, err
	}
	if !found || !o.Placed {
		return o, order.ErrNotFound
	}
	return o, nil
}
