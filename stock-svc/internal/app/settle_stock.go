package app

import (
	"context"
	"fmt"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/faults"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// SettleStock tells the stock how the payment of an order ended.
type SettleStock struct {
	OrderID   string
	EventType string // contracts.TypePaymentCompleted or TypePaymentFailed
}

// SettleStockHandler sells the units of a paid order and gives back those
// of an order whose payment failed, announcing the release.
//
// The record moves first, from RESERVED to SOLD or RELEASED, under its
// ETag, so one outcome stands whatever the deliveries; the products
// follow it (see Stock.settle), each holding the order at most once, so
// a unit is sold or given back once. A redelivery finds the record moved
// and settles again, which finishes what a crash left and changes nothing
// otherwise. An outcome the record contradicts (a payment for an order
// refused, or sold and released both) is logged, counted and dropped.
type SettleStockHandler struct{ Stock }

// Handle applies the outcome of the payment.
func (h SettleStockHandler) Handle(ctx context.Context, cmd SettleStock) error {
	log := h.Log.With("orderId", cmd.OrderID, "eventType", cmd.EventType)
	paid := cmd.EventType == contracts.TypePaymentCompleted
	want := inventory.StatusReleased
	if paid {
		want = inventory.StatusSold
	}
	at := h.Now()
	rec, changed, found, err := h.Reservations.Update(ctx, cmd.OrderID, func(r *inventory.Reservation) (bool, error) {
		if paid {
			return r.Sell(at), nil
		}
		return r.Release(at), nil
	})
	switch {
	case err != nil:
		return fmt.Errorf("settle order %s: %w", cmd.OrderID, err)
	case !found:
		log.WarnContext(ctx, "payment of an order the stock never saw, ignored")
		h.Metrics.EventContradicting(cmd.EventType)
		return nil
	case rec.Status != want:
		log.WarnContext(ctx, "payment outcome contradicts the order's stock, ignored", "decision", rec.Status)
		h.Metrics.EventContradicting(cmd.EventType)
		return nil
	}
	faults.Crash(log, contracts.FaultStockBeforeSettling)
	if err := h.settle(ctx, rec); err != nil {
		return err
	}
	if changed {
		log.InfoContext(ctx, "stock settled", "decision", rec.Status, "units", rec.Units())
		if !paid {
			h.Metrics.StockReleased()
		}
	}
	if paid {
		return nil
	}
	return h.Events.StockReleased(ctx, rec)
}
