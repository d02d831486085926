// Package service wires order-svc together: it is the composition root.
package service

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/order-svc/internal/adapters"
	"github.com/example/order-saga/order-svc/internal/app"
	"github.com/example/order-saga/order-svc/internal/ports"
	"github.com/example/order-saga/platform/frame"
	"github.com/example/order-saga/platform/pubsub"
	"github.com/example/order-saga/platform/reminders"
)

// New builds order-svc: its frame, use cases, routes and subscriptions,
// ready to Run.
func New(cfg frame.Config) (*frame.App, error) {
	deadline, err := frame.EnvDuration("ORDER_DEADLINE", DefaultDeadline)
	if err != nil || deadline <= 0 {
		return nil, fmt.Errorf("ORDER_DEADLINE=%q: not a positive duration", os.Getenv("ORDER_DEADLINE"))
	}
	if err := cfg.RequireAdminToken(); err != nil {
		return nil, err
	}
	a, err := frame.New(cfg, contracts.OrderStore)
	if err != nil {
		return nil, err
	}
	a.KeepDeadLetters(contracts.OrderStore, contracts.TopicOrders)
	orders := adapters.NewOrderRepository(a.Dapr, contracts.OrderStore)
	metrics := adapters.NewMetrics(a.Metrics)
	events := adapters.EventPublisher{Publisher: pubsub.NewPublisher(a.Dapr, contracts.PubSub)}
	redrive := app.NewRedriver(orders, events, metrics, a.Log, RedriveAfter, 8*RedriveAfter, MaxOpenKept)
	tracker := app.Tracker{Orders: orders, Metrics: metrics, Log: a.Log, Waiters: app.NewFinishWaiters(), Redrive: redrive}
	expire := app.ExpireOrdersHandler{Tracker: tracker, Events: events, Again: CancelAgainAfter, MaxAgain: CancelAgainAtMost}
	deadlines := reminders.New(a.Dapr, contracts.OrderStore, "deadline", expire.Handle, time.Now, a.Log)

	ports.HTTP{
		Place: app.PlaceOrderHandler{
			Tracker:   tracker,
			Claims:    adapters.NewClaimRepository(a.Dapr, contracts.OrderStore),
			Events:    events,
			Deadlines: deadlines,
			Deadline:  deadline,
			Now:       time.Now,
		},
		Get: app.GetOrderHandler{Orders: orders, Waiters: tracker.Waiters},
		Log: a.Log,
	}.Routes(a.Router)
	ports.Events{
		Record: app.RecordStepHandler{Tracker: tracker, Events: events},
		GiveUp: app.GiveUpOrderHandler{Tracker: tracker, Events: events, Deadlines: deadlines, Again: CancelAgainAfter, Now: time.Now},
	}.Subscribe(a.Events)
	// Waiting reads of orders that another instance finishes.
	a.OnRun(func(ctx context.Context) { tracker.Waiters.Watch(ctx, orders, time.Second, a.Log) })
	// Orders whose deadline passed are canceled, and their cancellation
	// seen through, by whichever replica sweeps first.
	a.OnRun(func(ctx context.Context) { deadlines.Run(ctx, SweepEvery) })
	// Orders that stay open too long are announced again, sooner than
	// their deadline: an event lost on the way costs a little time, not
	// the order.
	a.OnRun(func(ctx context.Context) { redrive.Run(ctx, RedriveAfter/6, time.Now) })
	return a, nil
}

// DefaultDeadline is how long an order may take before it is canceled,
// when ORDER_DEADLINE does not say.
const DefaultDeadline = 2 * time.Minute

// How often the deadlines are swept, and how an unanswered cancellation
// is announced again: 2 s after the first time, doubling up to 16 s, so
// that a participant that comes back undoes its part within 20 s.
const (
	SweepEvery        = 2 * time.Second
	CancelAgainAfter  = 2 * time.Second
	CancelAgainAtMost = 16 * time.Second
)

// RedriveAfter is how long an order may stay open before its OrderCreated
// is published again: longer than the saga takes when a consumer died
// with its events (the pub/sub component's processingTimeout, 15s, and a
// few reclaim rounds), so that only an order whose event was lost is
// announced again.
const RedriveAfter = 30 * time.Second

// MaxOpenKept bounds the open orders one instance keeps for announcing
// again: at 500 orders/s, a minute of orders that do not finish.
const MaxOpenKept = 30_000
