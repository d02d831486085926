package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/example/order-saga/order-svc/internal/domain/order"
)

// tracker applies changes to orders and reports those that finish.
type tracker struct {
	Orders   Orders
	Observer Observer
	Log      *slog.Logger
	Waiters  *FinishWaiters
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
		t.Waiters.finished(id, after)
		t.Observer.OrderFinished(after)
		t.Log.InfoContext(ctx, "order finished", "orderId", id, "status", after.Status, "reason", after.Reason)
	}
	return after, nil
}

// RecordStep is a saga step reported for an order by an event of type
// EventType, one of the contracts type constants.
type RecordStep struct {
	OrderID   string
	EventType string
	Step      order.Step
}

// RecordStepHandler applies what the other services report to the order.
// It is idempotent: a step seen before changes nothing.
type RecordStepHandler struct{ tracker }

// NewRecordStepHandler returns the handler of saga steps.
func NewRecordStepHandler(orders Orders, obs Observer, log *slog.Logger, waiters *FinishWaiters) RecordStepHandler {
	return RecordStepHandler{tracker{orders, obs, log, waiters}}
}

// Handle records the step. A step that contradicts what the order has seen
// changes nothing and writes nothing, and is acknowledged all the same:
// delivering it again would not make it fit. It is logged and counted
// instead, because it means two services disagree about the order.
func (h RecordStepHandler) Handle(ctx context.Context, cmd RecordStep) error {
	var outcome order.Outcome
	o, err := h.apply(ctx, cmd.OrderID, func(o *order.Order) bool {
		outcome = o.Record(cmd.OrderID, cmd.Step)
		return outcome == order.Changed
	})
	if err != nil || outcome != order.Contradicting {
		return err
	}
	h.Observer.EventContradicting(cmd.EventType)
	h.Log.WarnContext(ctx, "event contradicts the order and is ignored",
		"orderId", cmd.OrderID, "eventType", cmd.EventType, "status", o.Status)
	return nil
}

// StoreCreatedHandler stores an order from its own OrderCreated event. It
// covers a crash between publishing the event and storing the order.
type StoreCreatedHandler struct{ tracker }

// NewStoreCreatedHandler returns the handler of order-svc's own events.
func NewStoreCreatedHandler(orders Orders, obs Observer, log *slog.Logger, waiters *FinishWaiters) StoreCreatedHandler {
	return StoreCreatedHandler{tracker{orders, obs, log, waiters}}
}

// Handle stores the order unless it is stored already.
func (h StoreCreatedHandler) Handle(ctx context.Context, o order.Order) error {
	_, err := h.apply(ctx, o.ID, func(cur *order.Order) bool {
		return cur.Place(o.ID, o.CustomerID, o.Items, o.CreatedAt)
	})
	return err
}

// GetOrderHandler reads one order, and can wait for it to finish.
type GetOrderHandler struct {
	Orders  Orders
	Waiters *FinishWaiters
	// Poll is how often a waiting read looks at the store, for orders that
	// another replica finishes.
	Poll time.Duration
}

// Handle returns the order, or order.ErrNotFound. An order known only from
// later steps is not shown until its own creation is stored. With wait
// above zero, it returns as soon as the order is final, or after wait.
func (h GetOrderHandler) Handle(ctx context.Context, id string, wait time.Duration) (order.Order, error) {
	if wait <= 0 {
		return h.get(ctx, id)
	}
	// Registered before the first read, so a finish in between is not
	// missed; the finish hands over the order, so waking costs no read.
	finished, stop := h.Waiters.wait(id)
	defer stop()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	poll := time.NewTicker(h.Poll)
	defer poll.Stop()
	for {
		o, err := h.get(ctx, id)
		if err != nil || o.Status.Final() {
			return o, err
		}
		select {
		case o := <-finished:
			return o, nil
		case <-poll.C:
		case <-deadline.C:
			return o, nil
		case <-ctx.Done():
			return o, nil
		}
	}
}

func (h GetOrderHandler) get(ctx context.Context, id string) (order.Order, error) {
	o, found, err := h.Orders.Get(ctx, id)
	if err != nil {
		return o, err
	}
	if !found || !o.Placed {
		return o, order.ErrNotFound
	}
	return o, nil
}
