// Package service wires stock-svc together: it is the composition root.
package service

import (
	"context"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/frame"
	"github.com/example/order-saga/platform/pubsub"
	"github.com/example/order-saga/platform/reminders"
	"github.com/example/order-saga/stock-svc/internal/adapters"
	"github.com/example/order-saga/stock-svc/internal/app"
	"github.com/example/order-saga/stock-svc/internal/ports"
)

// New builds stock-svc: its frame, routes, subscriptions and use cases,
// ready to Run. The starter catalog is seeded on the side once the sidecar
// answers, and the service is not ready before.
func New(cfg frame.Config) (*frame.App, error) {
	if err := cfg.RequireAdminToken(); err != nil {
		return nil, err
	}
	a, err := frame.New(cfg, contracts.StockStore)
	if err != nil {
		return nil, err
	}
	a.KeepDeadLetters(contracts.StockStore, contracts.TopicStock)
	products := adapters.NewProductRepository(a.Dapr, contracts.StockStore)
	stock := app.Stock{
		Products:     products,
		Reservations: adapters.NewReservationRepository(a.Dapr, contracts.StockStore),
		Events:       adapters.EventPublisher{Publisher: pubsub.NewPublisher(a.Dapr, contracts.PubSub)},
		Metrics:      adapters.NewMetrics(a.Metrics),
		Log:          a.Log,
		Now:          time.Now,
		FollowAfter:  FollowAfter,
	}
	// The followups' handler settles through the same Stock, which adds
	// to the followups: the two are made in turn.
	follow := app.FollowHoldsHandler{Again: FollowAfter, MaxAgain: FollowAtMost}
	followups := reminders.New(a.Dapr, contracts.StockStore, "holds", func(ctx context.Context, due []reminders.Due, now time.Time) ([]reminders.Later, error) {
		return follow.Handle(ctx, due, now)
	}, time.Now, a.Log)
	stock.Followups = followups
	follow.Stock = stock

	ports.HTTP{
		Put:    app.PutProductHandler{Stock: stock},
		Delete: app.DeleteProductHandler{Stock: stock},
		Get:    app.GetProductHandler{Products: products},
		List:   app.ListProductsHandler{Products: products},
		Log:    a.Log,
		// Only the catalog's owner changes it.
		AdminToken: cfg.AdminToken,
	}.Routes(a.Router)
	ports.Events{
		Reserve: app.ReserveStockHandler{Stock: stock},
		Refuse:  app.RefuseOrderHandler{Stock: stock},
		Settle:  app.SettleStockHandler{Stock: stock},
		Cancel:  app.CancelOrderHandler{Stock: stock},
	}.Subscribe(a.Events)
	// Units still held a while after they were granted are followed up,
	// by whichever replica sweeps first.
	a.OnRun(func(ctx context.Context) { followups.Run(ctx, SweepEvery) })

	seedOnRun(a, app.SeedCatalogHandler{Stock: stock})
	return a, nil
}

// How long after its units were held a reservation is looked at again,
// and then how often at most while they stay held; how often the
// followups are swept.
const (
	FollowAfter  = 10 * time.Second
	FollowAtMost = 16 * time.Second
	SweepEvery   = 2 * time.Second
)
