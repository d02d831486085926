package app

import (
	"context"

	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// Products returns every product, sorted by id.
func (a *Application) Products(ctx context.Context) ([]inventory.Product, error) {
	c, _, err := a.catalog.Get(ctx)
	if err != nil {
		return nil, err
	}
	return c.Products(), nil
}

// Product returns one product, or ErrProductNotFound.
func (a *Application) Product(ctx context.Context, id string) (inventory.Product, error) {
	c, _, err := a.catalog.Get(ctx)
	if err != nil {
		return inventory.Product{}, err
	}
	p, ok := c.Product(id)
	if !ok {
		return inventory.Product{}, ErrProductNotFound
	}
	return p, nil
}
