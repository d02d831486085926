package app

import (
	"context"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// DeleteProduct takes a product out of the catalog.
type DeleteProduct struct{ ID string }

// DeleteProductHandler takes products out of the catalog. A deleted
// product stays stored as a tombstone (see inventory.Product.Deleted).
type DeleteProductHandler struct{ Stock }

// Handle deletes the product: ErrProductNotFound when the catalog does not
// have it, inventory.ErrProductHeld while it holds units for orders.
func (h DeleteProductHandler) Handle(ctx context.Context, cmd DeleteProduct) error {
	if !contracts.ValidID(cmd.ID) {
		return ErrProductNotFound
	}
	p, err := h.Products.Put(ctx, cmd.ID, func(p *inventory.Product, found bool) (bool, error) {
		if !p.Exists(found) {
			return false, ErrProductNotFound
		}
		return true, p.Delete()
	})
	if err != nil {
		return err
	}
	h.Metrics.StockLevel(p)
	h.Log.InfoContext(ctx, "product deleted", "productId", cmd.ID)
	return nil
}
