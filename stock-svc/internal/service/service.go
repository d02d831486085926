// Package service wires stock-svc together: it is the composition root.
package service

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/example/order-saga/contracts"
	platform "github.com/example/order-saga/platform/app"
	"github.com/example/order-saga/platform/pubsub"
	"github.com/example/order-saga/stock-svc/internal/adapters"
	"github.com/example/order-saga/stock-svc/internal/app"
	"github.com/example/order-saga/stock-svc/internal/ports"
)

// New builds stock-svc: its frame, routes, subscriptions and use cases,
// ready to Run. The starter catalog is seeded on the side once the sidecar
// answers, and the service is not ready before.
func New(cfg platform.Config) (*platform.App, error) {
	a, err := platform.New(cfg, contracts.StockStore)
	if err != nil {
		return nil, err
	}
	metrics, err := adapters.NewStockMetrics(a.Metrics)
	if err != nil {
		return nil, fmt.Errorf("stock metrics: %w", err)
	}
	products := adapters.NewProductRepository(a.Dapr, contracts.StockStore)
	stock := app.Stock{
		Products:     products,
		Reservations: adapters.NewReservationRepository(a.Dapr, contracts.StockStore),
		Publisher:    pubsub.NewPublisher(a.Dapr, contracts.PubSub),
		Metrics:      metrics,
		Log:          a.Log,
		Now:          time.Now,
	}

	api := ports.HTTP{
		Put:    app.PutProductHandler{Stock: stock},
		Delete: app.DeleteProductHandler{Stock: stock},
		Get:    app.GetProductHandler{Products: products},
		List:   app.ListProductsHandler{Products: products},
		Log:    a.Log,
	}
	api.Routes(a.Router)

	events := ports.Events{Reserve: app.ReserveStockHandler{Stock: stock}, Settle: app.SettleStockHandler{Stock: stock}}
	if err := pubsub.Subscribe(a.Service, a.Router, contracts.PubSub, contracts.TopicOrders, events.Orders, a.Metrics, a.Log); err != nil {
		return nil, fmt.Errorf("subscribe to %s: %w", contracts.TopicOrders, err)
	}
	if err := pubsub.Subscribe(a.Service, a.Router, contracts.PubSub, contracts.TopicPayments, events.Payments, a.Metrics, a.Log); err != nil {
		return nil, fmt.Errorf("subscribe to %s: %w", contracts.TopicPayments, err)
	}

	// Not ready before the catalog exists: an order taken earlier would
	// find no product.
	var seeded atomic.Bool
	a.AddReadiness(func(context.Context) error {
		if !seeded.Load() {
			return errors.New("the catalog is not seeded yet")
		}
		return nil
	})
	seed := app.SeedCatalogHandler{Stock: stock}
	a.OnRun(func(ctx context.Context) {
		seedUntilDone(ctx, a.Log, seedRetry, func(ctx context.Context) (bool, error) {
			return seed.Handle(ctx, starterCatalog)
		})
		seeded.Store(true)
	})
	return a, nil
}
