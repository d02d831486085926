package app

import (
	"context"
	"time"

	"github.com/example/order-saga/order-svc/internal/domain/order"
)

// The causes of an order canceled by order-svc, as counted.
const (
	CauseDeadline   = "deadline"
	CauseDeadLetter = "dead_letter"
)

// GiveUpOrder tells that a subscriber gave up on an event of an order:
// the event, of type EventType, was dead-lettered.
type GiveUpOrder struct {
	OrderID   string
	EventType string
}

// GiveUpOrderHandler ends at once an order one of whose events was given
// up on, rather than at its deadline: the saga cannot finish it. It is
// canceled as at its deadline (see ExpireOrdersHandler), unless it ended
// meanwhile, and its deadline's reminder comes sooner, so that the
// cancellation is seen through. The event itself, when order-svc follows
// its type, is recorded first (a late delivery), so that an order it
// finishes is not canceled.
type GiveUpOrderHandler struct {
	Tracker
	Events    Events
	Deadlines Deadlines
	// Again is when the cancellation is looked at again.
	Again time.Duration
	Now   func() time.Time
}

// Handle cancels the order if it is still open, and announces it. A
// delivery that fails after the cancellation is stored asks for the letter
// again, which finds the order canceled: its reminder then announces it.
func (h GiveUpOrderHandler) Handle(ctx context.Context, cmd GiveUpOrder) error {
	now := h.Now().UTC()
	var gaveUp bool
	o, err := h.apply(ctx, cmd.OrderID, func(o *order.Order) bool {
		gaveUp = o.GiveUp(cmd.OrderID, now, "its "+cmd.EventType+" was given up on")
		return gaveUp
	})
	if err != nil || !gaveUp {
		// An order canceled before is seen through by its reminders.
		return err
	}
	h.Metrics.OrderExpired(CauseDeadLetter)
	h.Log.WarnContext(ctx, "order canceled: one of its events was given up on", "orderId", cmd.OrderID, "eventType", cmd.EventType)
	if err := h.Events.OrderCanceled(ctx, o); err != nil {
		return err
	}
	return h.Deadlines.Add(ctx, cmd.OrderID, now.Add(h.Again), 1)
}
