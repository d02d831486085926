package app

import (
	"context"

	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// SeedCatalog asks for the first catalog of a new shop.
type SeedCatalog struct{ Products []inventory.Product }

// SeedCatalogHandler stores the first catalog of a new shop.
type SeedCatalogHandler struct{ Stock }

// Handle stores the products unless the first catalog was stored already,
// and tells whether it did. A product that exists is left as it is, so a
// seeding cut short and run again, or run by two replicas at once, puts
// each product once; once done, it never runs again, so a product deleted
// since does not come back.
func (h SeedCatalogHandler) Handle(ctx context.Context, cmd SeedCatalog) (bool, error) {
	done, err := h.Products.Seeded(ctx)
	if err != nil || done {
		return false, err
	}
	for _, sp := range cmd.Products {
		p, err := h.Products.Put(ctx, sp.ID, func(p *inventory.Product, found bool) (bool, error) {
			if found {
				return false, nil
			}
			return true, p.Put(false, sp.ID, sp.Name, sp.PriceCents, sp.Available)
		})
		if err != nil {
			return false, err
		}
		h.Metrics.StockLevel(p)
	}
	return true, h.Products.MarkSeeded(ctx)
}
