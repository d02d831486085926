// Package service builds stock-svc from its parts and runs it.
package service

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/app"
	"github.com/example/order-saga/platform/pubsub"
	"github.com/example/order-saga/stock-svc/internal/adapters"
	stock "github.com/example/order-saga/stock-svc/internal/app"
	"github.com/example/order-saga/stock-svc/internal/ports"
)

// Service is stock-svc, wired to its sidecar.
type Service struct {
	frame  *app.App
	stock  *stock.Application
	seeded atomic.Bool
}

// New builds stock-svc with the configuration cfg.
func New(cfg app.Config) (*Service, error) {
	frame, err := app.New(cfg, contracts.StockStore)
	if err != nil {
		return nil, err
	}
	metrics, err := adapters.NewStockMetrics(frame.Metrics.Registry)
	if err != nil {
		return nil, fmt.Errorf("stock metrics: %w", err)
	}
	application := stock.New(stock.Deps{
		Catalog:      adapters.NewCatalogRepository(frame.Dapr, contracts.StockStore),
		Reservations: adapters.NewReservationRepository(frame.Dapr, contracts.StockStore),
		Publisher:    pubsub.NewPublisher(frame.Dapr, contracts.PubSub),
		Metrics:      metrics,
		Log:          frame.Log,
	})

	ports.NewHTTP(application, frame.Log).Register(frame.Router)
	events := ports.NewEvents(application)
	if err := pubsub.Subscribe(frame.Service, frame.Router, contracts.PubSub, contracts.TopicOrders, events.Orders, frame.Metrics, frame.Log); err != nil {
		return nil, fmt.Errorf("subscribe to %s: %w", contracts.TopicOrders, err)
	}
	if err := pubsub.Subscribe(frame.Service, frame.Router, contracts.PubSub, contracts.TopicPayments, events.Payments, frame.Metrics, frame.Log); err != nil {
		return nil, fmt.Errorf("subscribe to %s: %w", contracts.TopicPayments, err)
	}
	s := &Service{frame: frame, stock: application}
	// Not ready before the catalog exists: an order taken earlier would
	// find no product.
	frame.AddReadiness(func(context.Context) error {
		if !s.seeded.Load() {
			return errors.New("the catalog is not seeded yet")
		}
		return nil
	})
	return s, nil
}

// Run serves until the process is told to stop, seeding the catalog on the
// side once the sidecar answers.
func (s *Service) Run() error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		seedUntilDone(ctx, s.frame.Log, seedRetry, func(ctx context.Context) (bool, error) {
			return s.stock.SeedCatalog(ctx, starterCatalog)
		})
		s.seeded.Store(true)
	}()
	return s.frame.Run()
}
