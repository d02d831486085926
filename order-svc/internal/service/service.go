// Package service wires order-svc together: it is the composition root.
package service

import (
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/order-svc/internal/adapters"
	"github.com/example/order-saga/order-svc/internal/app"
	"github.com/example/order-saga/order-svc/internal/domain/order"
	"github.com/example/order-saga/order-svc/internal/ports"
	platform "github.com/example/order-saga/platform/app"
	"github.com/example/order-saga/platform/pubsub"
	"github.com/example/order-saga/platform/statestore"
)

// New builds order-svc: its frame, routes, subscriptions and use cases,
// ready to Run.
func New(cfg platform.Config) (*platform.App, error) {
	a, err := platform.New(cfg, contracts.OrderStore)
	if err != nil {
		return nil, err
	}
	orders := adapters.OrderRepository{Store: statestore.New[order.Order](a.Dapr, contracts.OrderStore)}
	metrics := adapters.NewMetrics(a.Metrics)
	events := adapters.EventPublisher{Publisher: pubsub.NewPublisher(a.Dapr, contracts.PubSub)}
	waiters := app.NewFinishWaiters()

	api := ports.HTTP{
		Place: app.PlaceOrderHandler{
			Orders: orders, Claims: adapters.NewClaimRepository(a.Dapr, contracts.OrderStore),
			Events: events, Observer: metrics, Log: a.Log, Waiters: waiters, Now: time.Now,
		},
		Get: app.GetOrderHandler{Orders: orders, Waiters: waiters, Poll: time.Second},
		Log: a.Log,
	}
	api.Routes(a.Router)

	subscriptions := ports.Events{
		Record:  app.NewRecordStepHandler(orders, metrics, a.Log, waiters),
		Created: app.NewStoreCreatedHandler(orders, metrics, a.Log, waiters),
		Log:     a.Log,
		Obs:     a.Metrics,
	}
	if err := subscriptions.Subscribe(a.Service, a.Router); err != nil {
		return nil, err
	}
	return a, nil
}
