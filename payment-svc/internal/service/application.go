package service

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/statestore"

	"github.com/example/order-saga/payment-svc/internal/adapters"
	"github.com/example/order-saga/payment-svc/internal/app"
)

// Dependencies are what the application runs on. Tests pass an in-memory
// state backend, a fake publisher and a fixed clock.
type Dependencies struct {
	State               statestore.Backend
	Publisher           app.Publisher
	Metrics             prometheus.Registerer
	Log                 *slog.Logger
	Clock               func() time.Time
	DefaultBalanceCents int64
}

// NewApplication wires the use cases over their adapters.
func NewApplication(d Dependencies) (app.Application, error) {
	wallets, err := adapters.NewWalletRepository(d.State, contracts.PaymentStore, d.DefaultBalanceCents)
	if err != nil {
		return app.Application{}, err
	}
	payments := adapters.NewPaymentRepository(d.State, contracts.PaymentStore)
	metrics, err := adapters.NewPaymentMetrics(d.Metrics)
	if err != nil {
		return app.Application{}, err
	}
	return app.Application{
		ChargeOrder: app.NewChargeOrderHandler(wallets, payments, d.Publisher, metrics, d.Log, d.Clock),
		SetBalance:  app.NewSetBalanceHandler(wallets),
		GetWallet:   app.NewGetWalletHandler(wallets),
		GetPayment:  app.NewGetPaymentHandler(payments),
	}, nil
}
