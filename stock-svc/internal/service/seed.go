package service

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/example/order-saga/platform/frame"
	"github.com/example/order-saga/stock-svc/internal/app"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// starterCatalog is the catalog of a first start, when none is stored.
var starterCatalog = []inventory.Product{
	{ID: "coffee-beans", Name: "Coffee beans 1 kg", PriceCents: 1899, Available: 500},
	{ID: "espresso-cup", Name: "Espresso cup", PriceCents: 650, Available: 200},
	{ID: "grinder", Name: "Burr grinder", PriceCents: 8900, Available: 20},
	{ID: "kettle", Name: "Gooseneck kettle", PriceCents: 4500, Available: 50},
	{ID: "filter-papers", Name: "Filter papers x100", PriceCents: 399, Available: 1000},
}

// seedOnRun seeds the starter catalog once a runs, and keeps a not ready
// until it is done: an order taken earlier would find no product.
func seedOnRun(a *frame.App, seed app.SeedCatalogHandler) {
	var seeded atomic.Bool
	a.AddReadiness(func(context.Context) error {
		if !seeded.Load() {
			return errors.New("the catalog is not seeded yet")
		}
		return nil
	})
	a.OnRun(func(ctx context.Context) {
		seedUntilDone(ctx, a.Log, seedRetry, func(ctx context.Context) (bool, error) {
			return seed.Handle(ctx, app.SeedCatalog{Products: starterCatalog})
		})
		seeded.Store(true)
	})
}

// retryDelays is how long to wait between two attempts: first, then
// doubling up to most.
type retryDelays struct {
	first, most time.Duration
}

// seedRetry waits for a sidecar that starts after the service, as it may
// in a pod.
var seedRetry = retryDelays{first: 250 * time.Millisecond, most: 5 * time.Second}

// seedUntilDone calls seed until it succeeds or ctx ends, logging each
// failure.
func seedUntilDone(ctx context.Context, log *slog.Logger, delays retryDelays, seed func(context.Context) (bool, error)) {
	wait := delays.first
	for {
		seeded, err := seed(ctx)
		if err == nil {
			log.Info("catalog ready", "seeded", seeded)
			return
		}
		log.Warn("catalog not seeded yet, retrying", "error", err, "retryIn", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, delays.most)
	}
}
