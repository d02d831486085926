package app

import (
	"context"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// PutProduct creates a product or replaces its name, price and available
// units. Each is required: a number left out is nil, which tells it from
// a zero.
type PutProduct struct {
	ID         string
	Name       string
	PriceCents *int64
	Available  *int
}

// PutProductHandler creates or replaces products, keeping the units held
// for orders.
type PutProductHandler struct{ Stock }

// Handle puts the product and returns it as stored. Values a product
// cannot have, and numbers left out, are refused as invalid, every bad
// field named at once.
func (h PutProductHandler) Handle(ctx context.Context, cmd PutProduct) (inventory.Product, error) {
	var price int64
	var available int
	var missing contracts.FieldErrors
	if cmd.PriceCents == nil {
		missing.Add("priceCents", "is required")
	} else {
		price = *cmd.PriceCents
	}
	if cmd.Available == nil {
		missing.Add("available", "is required")
	} else {
		available = *cmd.Available
	}
	if err := append(inventory.CheckProduct(cmd.ID, cmd.Name, price, available), missing...).Err(); err != nil {
		return inventory.Product{}, err
	}
	p, err := h.Products.Put(ctx, cmd.ID, func(p *inventory.Product, found bool) (bool, error) {
		return true, p.Put(found, cmd.ID, cmd.Name, price, available)
	})
	if err != nil {
		return inventory.Product{}, err
	}
	h.Metrics.StockLevel(p)
	h.Log.InfoContext(ctx, "product put", "productId", p.ID, "available", p.Available, "reserved", p.Reserved)
	return p, nil
}
