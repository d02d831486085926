package app

import (
	"context"
	"time"

	"github.com/example/order-saga/order-svc/internal/domain/order"
)

// RecordStep is a saga step reported for an order by an event of type
// EventType, one of the contracts type constants.
type RecordStep struct {
	OrderID   string
	EventType string
	Step      order.Step
	// Placed, when the event tells it, is what the order is for.
	Placed *Placement
}

// Placement is what an order is for, as stock-svc reports it back with its
// decision.
type Placement struct {
	CustomerID string
	Items      []order.Item
	Deadline   time.Time
}

// RecordStepHandler applies what the other services report to the order.
// It is idempotent: a step seen before changes nothing.
//
// The first step of every order, stock-svc's decision, tells what the
// order is for. An order that PlaceOrder published but did not store (its
// process died in between) is stored from there: order-svc needs no
// delivery of its own OrderCreated, and nothing accepted is lost.
type RecordStepHandler struct {
	Tracker
	// Events announces again the cancellation of an expired order that a
	// late reservation or payment contradicts, so that it is undone now
	// rather than at the next reminder.
	Events Events
}

// Handle records the step. A step that contradicts what the order has seen
// changes nothing and writes nothing, and is acknowledged all the same:
// delivering it again would not make it fit. It is logged and counted
// instead, because it means two services disagree about the order.
func (h RecordStepHandler) Handle(ctx context.Context, cmd RecordStep) error {
	var outcome order.Outcome
	o, err := h.apply(ctx, cmd.OrderID, func(o *order.Order) bool {
		placed := cmd.Placed != nil && o.Place(cmd.OrderID, cmd.Placed.CustomerID, cmd.Placed.Items, cmd.Step.At)
		if placed && o.Deadline.IsZero() {
			o.Deadline = cmd.Placed.Deadline
		}
		outcome = o.Record(cmd.OrderID, cmd.Step)
		return placed || outcome == order.Changed
	})
	if err != nil || outcome != order.Contradicting {
		return err
	}
	h.Metrics.EventContradicting(cmd.EventType)
	h.Log.WarnContext(ctx, "event contradicts the order and is ignored",
		"orderId", cmd.OrderID, "eventType", cmd.EventType, "status", o.Status)
	if o.Steps.Expired && h.Events != nil {
		return h.Events.OrderCanceled(ctx, o)
	}
	return nil
}
