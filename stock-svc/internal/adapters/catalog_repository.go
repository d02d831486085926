// Package adapters keeps the stock in the Dapr state store and counts it in
// Prometheus.
package adapters

import (
	"context"

	"github.com/example/order-saga/platform/statestore"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// catalogKey is the one key of the whole catalog: every reservation is a
// change of one key, so it is atomic on any state store.
const catalogKey = "catalog"

// CatalogRepository keeps the catalog under one key.
type CatalogRepository struct {
	store *statestore.Store[catalogDocument]
}

// NewCatalogRepository returns the catalog of the state store storeName.
func NewCatalogRepository(backend statestore.Backend, storeName string) *CatalogRepository {
	return &CatalogRepository{store: statestore.New[catalogDocument](backend, storeName)}
}

// Get returns the stored catalog, or an empty one with found false.
func (r *CatalogRepository) Get(ctx context.Context) (*inventory.Catalog, bool, error) {
	d, found, err := r.store.Get(ctx, catalogKey)
	if err != nil {
		return nil, false, err
	}
	return d.catalog(), found, nil
}

// Update applies change to a fresh copy of the stored catalog, retrying on
// conflicting writes, and returns the catalog as written (nil when change
// changed nothing).
func (r *CatalogRepository) Update(ctx context.Context, change func(c *inventory.Catalog, found bool) (bool, error)) (*inventory.Catalog, error) {
	var written *inventory.Catalog
	err := r.store.Update(ctx, catalogKey, func(d *catalogDocument, found bool) error {
		written = nil
		c := d.catalog()
		changed, err := change(c, found)
		if err != nil {
			return err
		}
		if !changed {
			return statestore.ErrUnchanged
		}
		*d = catalogDocumentOf(c)
		written = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return written, nil
}
