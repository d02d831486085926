package app

import (
	"context"
	"fmt"

	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// RefuseOrder ends an order whose creation the stock gave up on: it broke
// the rules of orders, or could never be handled. Without it the order
// would stay open, and any unit a handler held for it would stay held.
type RefuseOrder struct {
	OrderID string
	Reason  string
}

// RefuseOrderHandler refuses such an order, unless it is decided already,
// gives back whatever was held for it, and announces the decision that
// stands, as ReserveStockHandler would: so the order still ends.
type RefuseOrderHandler struct{ Stock }

// Handle refuses the order and announces what its record stands for.
func (h RefuseOrderHandler) Handle(ctx context.Context, cmd RefuseOrder) error {
	at := h.Now()
	rec, created, err := h.Reservations.Create(ctx, inventory.RefusedReservation(cmd.OrderID, cmd.Reason, at))
	if err != nil {
		return fmt.Errorf("refuse order %s: %w", cmd.OrderID, err)
	}
	refused := created
	if !created && !rec.Decided() {
		if rec, refused, _, err = h.Reservations.Update(ctx, cmd.OrderID, func(r *inventory.Reservation) (bool, error) {
			return r.Refuse(cmd.Reason, at), nil
		}); err != nil {
			return fmt.Errorf("refuse order %s: %w", cmd.OrderID, err)
		}
	}
	if refused {
		h.Metrics.ReservationDecided(rec.Status)
		h.Log.WarnContext(ctx, "order refused: its creation could not be handled", "orderId", cmd.OrderID, "reason", cmd.Reason)
	}
	if rec.Settled() {
		if err := h.settle(ctx, rec); err != nil {
			return err
		}
	}
	return h.announce(ctx, rec)
}
