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
	tracker := app.Tracker{Orders: orders, Metrics: adapters.NewMetrics(a.Metrics), Log: a.Log, Waiters: app.NewFinishWaiters()}

	ports.HTTP{
		Place: app.PlaceOrderHandler{
			Tracker: tracker,
			Claims:  adapters.NewClaimRepository(a.Dapr, contracts.OrderStore),
			Events:  adapters.EventPublisher{Publisher: pubsub.NewPublisher(a.Dapr, contracts.PubSub)},
			Now:     time.Now,
		},
		Get: app.GetOrderHandler{Orders: orders, Waiters: tracker.Waiters},
		Log: a.Log,
	}.Routes(a.Router)
	ports.Events{
		Record:  app.RecordStepHandler{Tracker: tracker},
		Created: app.StoreCreatedHandler{Tracker: tracker},
	}.Subscribe(a.Events)
	// Waiting reads of orders that another instance finishes.
	a.OnRun(func(ctx context.Context) { tracker.Waiters.Watch(ctx, orders, time.Second, a.Log) })
	return a, nil
}
