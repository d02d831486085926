// Package service wires payment-svc together: it is the composition root.
package service

import (
	"fmt"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/payment-svc/internal/adapters"
	"github.com/example/order-saga/payment-svc/internal/app"
	"github.com/example/order-saga/payment-svc/internal/ports"
	"github.com/example/order-saga/platform/frame"
	"github.com/example/order-saga/platform/pubsub"
)

// defaultBalanceCents is the balance of a customer seen for the first
// time, unless PAYMENT_DEFAULT_BALANCE_CENTS says otherwise.
const defaultBalanceCents = 100000

// New builds payment-svc: its frame, routes, subscriptions and use cases,
// ready to Run. An opening balance that no wallet can have stops it from
// starting.
func New(cfg frame.Config) (*frame.App, error) {
	if err := cfg.RequireAdminToken(); err != nil {
		return nil, err
	}
	opening, err := frame.EnvInt64("PAYMENT_DEFAULT_BALANCE_CENTS", defaultBalanceCents)
	if err != nil {
		return nil, err
	}
	a, err := frame.New(cfg, contracts.PaymentStore)
	if err != nil {
		return nil, err
	}
	a.KeepDeadLetters(contracts.PaymentStore, contracts.TopicPayments)
	wallets, err := adapters.NewWalletRepository(a.Dapr, contracts.PaymentStore, opening)
	if err != nil {
		return nil, fmt.Errorf("PAYMENT_DEFAULT_BALANCE_CENTS=%d: %w", opening, err)
	}
	payments := adapters.NewPaymentRepository(a.Dapr, contracts.PaymentStore)

	ports.HTTP{
		SetBalance: app.SetBalanceHandler{Wallets: wallets},
		GetWallet:  app.GetWalletHandler{Wallets: wallets},
		GetPayment: app.GetPaymentHandler{Payments: payments},
		Log:        a.Log,
		AdminToken: cfg.AdminToken,
	}.Routes(a.Router)

	charge := app.ChargeOrderHandler{
		Wallets: wallets, Payments: payments,
		Events:  adapters.EventPublisher{Publisher: pubsub.NewPublisher(a.Dapr, contracts.PubSub)},
		Metrics: adapters.NewMetrics(a.Metrics), Log: a.Log, Now: time.Now,
	}
	ports.Events{ChargeOrder: charge, RefuseCharge: app.RefuseChargeHandler{ChargeOrderHandler: charge}, Undo: app.UndoPaymentHandler{ChargeOrderHandler: charge}}.Subscribe(a.Events)
	return a, nil
}
