package app

import (
	"context"
	"time"

	"github.com/example/order-saga/platform/reminders"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// FollowHoldsHandler makes sure no unit stays held for an order that
// ended. Each reservation granted is looked at again a while later (see
// Stock.follow); one still RESERVED then has not heard how its payment
// ended: the outcome was lost, or given up on while this service was down.
// Its StockReserved is announced again, and payment-svc answers it with
// the payment it recorded (or, past the order's deadline, a refusal, as it
// never charges a late order), which settles the units; order-svc, if it
// canceled the order meanwhile, announces the cancellation again. It is
// looked at again, less and less often, until it is settled.
type FollowHoldsHandler struct {
	Stock
	// Again and MaxAgain space the looks at a reservation still held.
	Again, MaxAgain time.Duration
}

// Handle looks at the reservations due, read in one call, and returns
// those to look at again.
func (h FollowHoldsHandler) Handle(ctx context.Context, due []reminders.Due, now time.Time) ([]reminders.Later, error) {
	found, err := h.Reservations.GetMany(ctx, reminders.IDs(due))
	if err != nil {
		return nil, err
	}
	var again []reminders.Later
	for _, d := range due {
		rec, ok := found[d.ID]
		if !ok || rec.Status != inventory.StatusReserved {
			continue
		}
		h.Log.WarnContext(ctx, "units still held for an order; its reservation is announced again", "orderId", d.ID, "since", now.Sub(rec.DecidedAt).Round(time.Millisecond))
		if err := h.announce(ctx, rec); err != nil {
			h.Log.WarnContext(ctx, "reservation not announced again; announced at the next look", "orderId", d.ID, "error", err)
		}
		again = append(again, reminders.Later{ID: d.ID, Attempt: d.Attempt + 1, At: now.Add(reminders.Backoff(d.Attempt, h.Again, h.MaxAgain))})
	}
	return again, nil
}
