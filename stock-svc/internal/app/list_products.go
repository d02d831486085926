package app

import (
	"context"
	"fmt"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

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

// Handle returns a page and the cursor of the next one, "" at the end. A
// page out of bounds is refused as invalid, naming the field.
func (h ListProductsHandler) Handle(ctx context.Context, q ListProducts) ([]inventory.Product, string, error) {
	var errs contracts.FieldErrors
	if q.Limit < 1 || q.Limit > MaxPageSize {
		errs.Add("limit", fmt.Sprintf("must be 1 to %d", MaxPageSize))
	}
	if q.After != "" && !contracts.ValidID(q.After) {
		errs.Add("after", "must be a product id")
	}
	if err := errs.Err(); err != nil {
		return nil, "", err
	}
	return h.Products.List(ctx, q.After, q.Limit)
}
