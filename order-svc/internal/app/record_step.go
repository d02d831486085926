package app

import (
	"context"

	"github.com/example/order-saga/order-svc/internal/domain/order"
)

// RecordStep is a saga step reported for an order by an event of type
// EventType, one of the contracts type constants.
type RecordStep struct {
	OrderID   string
	EventType string
	Step      order.Step
}

// RecordStepHandler applies what the other services report to the order.
// It is idempotent: a step seen before changes nothing.
type RecordStepHandler struct {
	Tracker
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
	h.Metrics.EventContradicting(cmd.EventType)
	h.Log.WarnContext(ctx, "event contradicts the order and is ignored",
		"orderId", cmd.OrderID, "eventType", cmd.EventType, "status", o.Status)
	return nil
}
