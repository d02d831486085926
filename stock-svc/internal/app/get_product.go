package app

import (
	"context"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// ErrProductNotFound is returned for a product the catalog does not have.
var ErrProductNotFound = contracts.NotFound("product-not-found", "no product has this id")

// GetProduct asks for one product of the catalog.
type GetProduct struct{ ID string }

// GetProductHandler reads one product.
type GetProductHandler struct{ Products Products }

// Handle returns the product, or ErrProductNotFound; an id that cannot
// name a product is not found either.
func (h GetProductHandler) Handle(ctx context.Context, q GetProduct) (inventory.Product, error) {
	if !contracts.ValidID(q.ID) {
		return inventory.Product{}, ErrProductNotFound
	}
	p, found, err := h.Products.Get(ctx, q.ID)
	if err != nil {
		return inventory.Product{}, err
	}
	if !found {
		return inventory.Product{}, ErrProductNotFound
	}
	return p, nil
}
