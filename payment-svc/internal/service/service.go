// Package service builds the payment service from its parts.
package service

import (
	"fmt"
	"time"

	"github.com/example/order-saga/contracts"
	platform "github.com/example/order-saga/platform/app"
	"github.com/example/order-saga/platform/pubsub"

	"github.com/example/order-saga/payment-svc/internal/ports"
)

// Config is the payment service's configuration.
type Config struct {
	App                 platform.Config
	DefaultBalanceCents int64 // balance of a wallet never stored
}

// New builds the service, ready to Run.
func New(cfg Config) (*platform.App, error) {
	a, err := platform.New(cfg.App, contracts.PaymentStore)
	if err != nil {
		return nil, err
	}
	application, err := NewApplication(Dependencies{
		State:               a.Dapr,
		Publisher:           pubsub.NewPublisher(a.Dapr, contracts.PubSub),
		Metrics:             a.Metrics.Registry,
		Log:                 a.Log,
		Clock:               time.Now,
		DefaultBalanceCents: cfg.DefaultBalanceCents,
	})
	if err != nil {
		return nil, fmt.Errorf("payment application: %w", err)
	}
	ports.Routes(a.Router, application, a.Log)
	if err := pubsub.Subscribe(a.Service, a.Router, contracts.PubSub, contracts.TopicStock, ports.StockEvents(application), a.Metrics, a.Log); err != nil {
		return nil, fmt.Errorf("subscribe to %s: %w", contracts.TopicStock, err)
	}
	return a, nil
}
