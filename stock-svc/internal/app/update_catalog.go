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

// settledTTL is how long the catalog remembers a settled order, from its
// decision: the time a late handler of the same order, one that read "no
// record" just before the record was written, may take to reach the
// catalog. Kept short, since every catalog write carries the list.
const settledTTL = 3 * time.Second

// updateCatalog applies change, prunes old refusals on the way, and tells
// the metrics the stock levels it wrote.
func (a *Application) updateCatalog(ctx context.Context, change func(c *inventory.Catalog, found bool) (bool, error)) error {
	now := a.now()
	written, err := a.catalog.Update(ctx, func(c *inventory.Catalog, found bool) (bool, error) {
		changed, err := change(c, found)
		if err != nil {
			return false, err
		}
		pruned := c.PruneFailedHolds(now.Add(-failedHoldTTL)) > 0
		// Only a change is worth a write; a pruning waits for one.
		if changed {
			c.PruneSettled(now.Add(-settledTTL))
		}
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
