package app

import (
	"context"
	"time"

	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// failedHoldTTL is how long the catalog keeps a refusal. Its reservation
// record keeps it for good; the catalog needs it only while another handler
// of the same order may still be deciding.
const failedHoldTTL = time.Hour

// updateCatalog applies change, prunes old refusals on the way, and tells
// the metrics the stock levels it wrote.
func (a *Application) updateCatalog(ctx context.Context, change func(c *inventory.Catalog, found bool) (bool, error)) error {
	cutoff := a.now().Add(-failedHoldTTL)
	written, err := a.catalog.Update(ctx, func(c *inventory.Catalog, found bool) (bool, error) {
		changed, err := change(c, found)
		if err != nil {
			return false, err
		}
		pruned := c.PruneFailedHolds(cutoff) > 0
		return changed || pruned, nil
	})
	if err != nil {
		return err
	}
	if written != nil {
		a.metrics.StockLevels(written.Revision(), written.Products())
	}
	return nil
}
