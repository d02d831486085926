package app

import (
	"context"

	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// SeedCatalog stores products as the first catalog when the stored catalog
// has no product yet (it may exist already, holding the refusal of an
// order that came first), and tells whether it did. Either way the metrics
// learn the stock levels.
func (a *Application) SeedCatalog(ctx context.Context, products []inventory.Product) (bool, error) {
	// A read fails at once while the sidecar is not up, where an update
	// would go on retrying.
	c, found, err := a.catalog.Get(ctx)
	if err != nil {
		return false, err
	}
	if !found || len(c.Products()) == 0 {
		seeded, err := a.seed(ctx, products)
		if err != nil || seeded {
			return seeded, err
		}
		// Another replica seeded first.
		if c, _, err = a.catalog.Get(ctx); err != nil {
			return false, err
		}
	}
	a.metrics.StockLevels(c.Revision(), c.Products())
	return false, nil
}

func (a *Application) seed(ctx context.Context, products []inventory.Product) (seeded bool, err error) {
	err = a.updateCatalog(ctx, func(c *inventory.Catalog, found bool) (bool, error) {
		seeded = false
		if found && len(c.Products()) > 0 {
			return false, nil
		}
		for _, p := range products {
			if _, err := c.PutProduct(p.ID, p.Name, p.PriceCents, p.Available); err != nil {
				return false, err
			}
		}
		seeded = true
		return true, nil
	})
	return seeded, err
}
