package app

import (
	"context"

	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// PutProduct creates a product or replaces its name, price and available
// units, keeping the units reserved for orders.
func (a *Application) PutProduct(ctx context.Context, id, name string, priceCents int64, available int) (inventory.Product, error) {
	if err := inventory.ValidateProduct(id, name, priceCents, available); err != nil {
		return inventory.Product{}, err
	}
	var p inventory.Product
	err := a.updateCatalog(ctx, func(c *inventory.Catalog, _ bool) (bool, error) {
		var err error
		p, err = c.PutProduct(id, name, priceCents, available)
		return err == nil, err
	})
	if err != nil {
		return inventory.Product{}, err
	}
	a.log.InfoContext(ctx, "product put", "productId", id, "available", p.Available, "reserved", p.Reserved)
	return p, nil
}
