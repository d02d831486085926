package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// ErrProductNotFound is returned for a product the catalog does not have.
var ErrProductNotFound = errors.New("product not found")

// PutProduct creates a product or replaces its name, price and available
// units.
type PutProduct struct {
	ID         string
	Name       string
	PriceCents int64
	Available  int
}

// PutProductHandler creates or replaces products, keeping the units held
// for orders.
type PutProductHandler struct{ Stock }

// Handle puts the product and returns it as stored.
func (h PutProductHandler) Handle(ctx context.Context, cmd PutProduct) (inventory.Product, error) {
	if err := inventory.ValidateProduct(cmd.ID, cmd.Name, cmd.PriceCents, cmd.Available); err != nil {
		return inventory.Product{}, err
	}
	p, err := h.Products.Put(ctx, cmd.ID, func(p *inventory.Product, found bool) (bool, error) {
		return true, p.Put(found, cmd.ID, cmd.Name, cmd.PriceCents, cmd.Available)
	})
	if err != nil {
		return inventory.Product{}, err
	}
	h.Metrics.StockLevel(p)
	h.Log.InfoContext(ctx, "product put", "productId", p.ID, "available", p.Available, "reserved", p.Reserved)
	return p, nil
}

// DeleteProductHandler takes products out of the catalog.
type DeleteProductHandler struct{ Stock }

// Handle deletes the product id: ErrProductNotFound when the catalog does
// not have it, inventory.ErrProductHeld while it holds units for orders.
func (h DeleteProductHandler) Handle(ctx context.Context, id string) error {
	p, err := h.Products.Put(ctx, id, func(p *inventory.Product, found bool) (bool, error) {
		if !p.Exists(found) {
			return false, ErrProductNotFound
		}
		return true, p.Delete()
	})
	if err != nil {
		return err
	}
	h.Metrics.StockLevel(p)
	h.Log.InfoContext(ctx, "product deleted", "productId", id)
	return nil
}

// GetProductHandler reads one product.
type GetProductHandler struct{ Products Products }

// Handle returns the product id, or ErrProductNotFound.
func (h GetProductHandler) Handle(ctx context.Context, id string) (inventory.Product, error) {
	if !inventory.ValidProductID(id) {
		return inventory.Product{}, ErrProductNotFound
	}
	p, found, err := h.Products.Get(ctx, id)
	if err != nil {
		return inventory.Product{}, err
	}
	if !found {
		return inventory.Product{}, ErrProductNotFound
	}
	return p, nil
}

// ListProducts asks for a page of the catalog.
type ListProducts struct {
	After string // the id the previous page ended with; "" for the first
	Limit int
}

// Bounds of a page of the catalog.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// ListProductsHandler pages through the catalog.
type ListProductsHandler struct{ Products Products }

// Handle returns a page and the cursor of the next one, "" at the end.
func (h ListProductsHandler) Handle(ctx context.Context, q ListProducts) ([]inventory.Product, string, error) {
	var errs inventory.ValidationError
	if q.Limit < 1 || q.Limit > MaxPageSize {
		errs = append(errs, inventory.FieldError{Field: "limit", Reason: fmt.Sprintf("must be 1 to %d", MaxPageSize)})
	}
	if q.After != "" && !inventory.ValidProductID(q.After) {
		errs = append(errs, inventory.FieldError{Field: "after", Reason: "must be a product id"})
	}
	if len(errs) > 0 {
		return nil, "", errs
	}
	return h.Products.List(ctx, q.After, q.Limit)
}

// SeedCatalogHandler stores the first catalog of a new shop.
type SeedCatalogHandler struct{ Stock }

// Handle stores products unless the first catalog was stored already,
// and tells whether it did. A product that exists is left as it is, so a
// seeding cut short and run again, or run by two replicas at once, puts
// each product once; once done, it never runs again, so a product deleted
// since does not come back.
func (h SeedCatalogHandler) Handle(ctx context.Context, products []inventory.Product) (bool, error) {
	done, err := h.Products.Seeded(ctx)
	if err != nil || done {
		return false, err
	}
	for _, sp := range products {
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
