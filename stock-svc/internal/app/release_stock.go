package app

import (
	"context"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// ReleaseStock gives the units of an order whose payment failed back to
// stock, and announces it. A redelivery announces it again.
func (a *Application) ReleaseStock(ctx context.Context, e contracts.PaymentFailed) error {
	log := a.log.With("orderId", e.OrderID, "eventType", e.Type)
	rec, found, err := a.reservations.Get(ctx, e.OrderID)
	if err != nil {
		return err
	}
	switch {
	case !found, rec.Status == inventory.StatusFailed:
		log.InfoContext(ctx, "nothing was reserved, nothing to release", "decision", rec.Status, "recorded", found)
		return nil
	case rec.Status == inventory.StatusSold:
		log.WarnContext(ctx, "payment failed for an order already sold, keeping it sold", "decision", rec.Status)
		return nil
	case rec.Status == inventory.StatusReserved:
		if err := a.release(ctx, rec); err != nil {
			return err
		}
		log.InfoContext(ctx, "units released", "decision", inventory.StatusReleased)
	}

	h := contracts.NewHeader(contracts.TypeStockReleased, e.OrderID, a.now())
	return a.publisher.Publish(ctx, h, contracts.StockReleased{Header: h, Items: itemsOf(rec.Lines)})
}

func (a *Application) release(ctx context.Context, rec inventory.Reservation) error {
	var ok bool
	err := a.updateCatalog(ctx, func(c *inventory.Catalog, _ bool) (bool, error) {
		_, ok = c.Release(rec.OrderID, rec.Ref)
		return ok, nil
	})
	if err != nil {
		return err
	}
	if ok {
		a.metrics.StockReleased()
	}
	return a.reservations.Update(ctx, rec.OrderID, func(r *inventory.Reservation, found bool) (bool, error) {
		return found && r.Release(), nil
	})
}
