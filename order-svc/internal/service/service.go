// Package service wires order-svc together: it is the composition root.
package service

import (
	"context"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/order-svc/internal/adapters"
	"github.com/example/order-saga/order-svc/internal/app"
	"github.com/example/order-saga/order-svc/internal/ports"
	"github.com/example/order-saga/platform/frame"
	"github.com/example/order-saga/platform/pubsub"
)

// New builds order-svc: its frame, use cases, routes and subscriptions,
// ready to Run.
func New(cfg frame.Config) (*frame.App, error) {
	a, err := frame.New(cfg, contracts.OrderStore)
	if err != nil {
		return nil, err
	}
	orders := adapters.NewOrderRepository(a.Dapr, contracts.OrderStore)
	metrics := adapters.NewMetrics(a.Metrics)
	events := adapters.EventPublisher{Publisher: pubsub.NewPublisher(a.Dapr, contracts.PubSub)}
	redrive := app.NewRedriver(orders, events, metrics, a.Log, RedriveAfter, 8*RedriveAfter, MaxOpenKept)
	tracker := app.Tracker{Orders: orders, Metrics: metrics, Log: a.Log, Waiters: app.NewFinishWaiters(), Redrive: redrive}

	ports.HTTP{
		Place: app.PlaceOrderHandler{
			Tracker: tracker,
			Claims:  adapters.NewClaimRepository(a.Dapr, contracts.OrderStore),
			Events:  events,
			Now:     time.Now,
		},
		Get: app.GetOrderHandler{Orders: orders, Waiters: tracker.Waiters},
		Log: a.Log,
	}.Routes(a.Router)
	ports.Events{
		Record: app.RecordStepHandler{Tracker: tracker},
	}.Subscribe(a.Events)
	// Waiting reads of orders that another instance finishes.
	a.OnRun(func(ctx context.Context) { tracker.Waiters.Watch(ctx, orders, time.Second, a.Log) })
	// Orders that stay open too long are announced again.
	a.OnRun(func(ctx context.Context) { redrive.Run(ctx, RedriveAfter/6, time.Now) })
	return a, nil
}

// RedriveAfter is how long an order may stay open before its OrderCreated
// is published again: longer than the saga takes when a consumer died
// with its events (the pub/sub component's processingTimeout, 15s, and a
// few reclaim rounds), so that only an order whose event was lost is
// announced again.
const RedriveAfter = 30 * time.Second

// MaxOpenKept bounds the open orders one instance keeps for announcing
// again: at 500 orders/s, a minute of orders that do not finish.
const MaxOpenKept = 30_000
