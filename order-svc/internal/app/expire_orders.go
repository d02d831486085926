package app

import (
	"context"
	"time"

	"github.com/example/order-saga/order-svc/internal/domain/order"
	"github.com/example/order-saga/platform/reminders"
)

// ExpireOrdersHandler ends the orders whose deadline passed, and sees the
// cancellation through. It is handed each order at its deadline by the
// durable reminders (see PlaceOrderHandler), from whichever replica sweeps
// them, at least once.
//
// An order that ended by then is left as it is: a CONFIRMED order is never
// undone. One that has not is CANCELED, "deadline exceeded", under the
// order's ETag, so that exactly one of the confirmation and the
// cancellation is stored whatever their interleaving; the order's
// OrderCanceled tells stock-svc to give back what it holds or sold for
// it, and payment-svc, through stock-svc, to void or refund its payment.
// Both answer, and until both answers are stored the cancellation is
// announced again, less and less often: a participant that was down
// undoes its part once it is back. Every step is idempotent, so a second
// firing, or two replicas firing at once, change nothing.
type ExpireOrdersHandler struct {
	Tracker
	Events Events
	// Again and MaxAgain space the announcements of a cancellation not
	// answered yet: Again after the first, doubling up to MaxAgain.
	Again, MaxAgain time.Duration
}

// Handle looks at the orders due, read in one call, and returns those to
// look at again.
func (h ExpireOrdersHandler) Handle(ctx context.Context, due []reminders.Due, now time.Time) ([]reminders.Later, error) {
	found, err := h.Orders.GetMany(ctx, reminders.IDs(due))
	if err != nil {
		return nil, err
	}
	var again []reminders.Later
	for _, d := range due {
		later, err := h.look(ctx, d, found[d.ID], now)
		if err != nil {
			return nil, err
		}
		if later != nil {
			again = append(again, *later)
		}
	}
	return again, nil
}

// look handles one order due, read as o (the zero Order when none is
// stored), and tells when to look at it again, if ever.
func (h ExpireOrdersHandler) look(ctx context.Context, d reminders.Due, o order.Order, now time.Time) (*reminders.Later, error) {
	switch {
	case o.Status.Final() && !o.Steps.Expired:
		return nil, nil
	case o.Steps.Expired && o.Compensated():
		return nil, nil
	case !o.Status.Final() && now.Before(o.Deadline):
		// Placed again, with a later deadline, after this one was set.
		return &reminders.Later{ID: d.ID, Attempt: d.Attempt, At: o.Deadline}, nil
	}
	if !o.Steps.Expired {
		var expired bool
		after, err := h.apply(ctx, d.ID, func(cur *order.Order) bool {
			expired = cur.Expire(d.ID, now)
			return expired
		})
		if err != nil {
			return nil, err
		}
		if !after.Steps.Expired {
			return nil, nil // it ended just before its deadline
		}
		if expired {
			h.Metrics.OrderExpired(CauseDeadline)
			h.Log.WarnContext(ctx, "order canceled at its deadline", "orderId", d.ID, "placed", after.Placed)
		}
		o = after
	}
	if err := h.Events.OrderCanceled(ctx, o); err != nil {
		h.Log.WarnContext(ctx, "cancellation not announced; announced at the next reminder", "orderId", d.ID, "error", err)
	}
	return &reminders.Later{ID: d.ID, Attempt: d.Attempt + 1, At: now.Add(reminders.Backoff(d.Attempt, h.Again, h.MaxAgain))}, nil
}
