package app

import (
	"context"
	"fmt"

	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// CancelOrder is order-svc's cancellation of an order whose deadline
// passed before it ended.
type CancelOrder struct {
	OrderID    string
	CustomerID string // "" when order-svc never learned it
}

// CancelOrderHandler gives back whatever the stock took for a canceled
// order, whenever the cancellation comes: the record moves first, under
// its ETag (see Reservation.Cancel), so that of the cancellation and the
// payment's outcome the first to be written stands; then every product
// follows the record (see Stock.settle), each once. An order the stock
// never saw is recorded as refused, so that its creation, if it comes
// later, holds nothing. The record's state is announced on every
// delivery: StockFailed for an order refused, StockReleased (canceled)
// for one whose units came back, which tells payment-svc to void or
// refund the payment, and order-svc that the stock has done its part.
type CancelOrderHandler struct{ Stock }

// Handle cancels the order's reservation and announces where it stands.
func (h CancelOrderHandler) Handle(ctx context.Context, cmd CancelOrder) error {
	at := h.Now()
	refused := inventory.RefusedReservation(cmd.OrderID, inventory.Canceled, at)
	refused.CustomerID, refused.CanceledByOrder = cmd.CustomerID, true
	rec, created, err := h.Reservations.Create(ctx, refused)
	if err != nil {
		return fmt.Errorf("cancel order %s: %w", cmd.OrderID, err)
	}
	changed := created
	if !created {
		if rec, changed, _, err = h.Reservations.Update(ctx, cmd.OrderID, func(r *inventory.Reservation) (bool, error) {
			return r.Cancel(at), nil
		}); err != nil {
			return fmt.Errorf("cancel order %s: %w", cmd.OrderID, err)
		}
	}
	if changed {
		h.Log.WarnContext(ctx, "order canceled by order-svc; what it took goes back", "orderId", cmd.OrderID, "decision", rec.Status)
	}
	if err := h.settle(ctx, rec); err != nil {
		return err
	}
	return h.announce(ctx, rec)
}
