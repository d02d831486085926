package app

import (
	"context"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// SellStock takes the units of a paid order out of stock for good. It
// announces nothing: the order is complete once paid.
func (a *Application) SellStock(ctx context.Context, e contracts.PaymentCompleted) error {
	log := a.log.With("orderId", e.OrderID, "eventType", e.Type)
	rec, found, err := a.reservations.Get(ctx, e.OrderID)
	if err != nil {
		return err
	}
	if !found || rec.Status != inventory.StatusReserved {
		// Sold already on an earlier delivery, or paid for without
		// reserved units, which no redelivery can change.
		log.InfoContext(ctx, "nothing reserved to sell", "decision", rec.Status, "recorded", found)
		return nil
	}

	var sold inventory.Hold
	var ok bool
	err = a.updateCatalog(ctx, func(c *inventory.Catalog, _ bool) (bool, error) {
		sold, ok = c.Sell(e.OrderID, rec.Ref)
		return ok, nil
	})
	if err != nil {
		return err
	}
	if !ok {
		log.InfoContext(ctx, "units sold already")
		return nil
	}
	// The record keeps saying RESERVED: the catalog alone knows the units
	// are sold, which spares a write on every order. A redelivery finds no
	// hold to sell and changes nothing.
	a.metrics.UnitsSold(sold.Units())
	log.InfoContext(ctx, "units sold", "decision", inventory.StatusSold)
	return nil
}
