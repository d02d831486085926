package adapters

import (
	"context"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
	"github.com/example/order-saga/platform/pubsub"
)

// EventPublisher announces payments on the payments topic. Each event is
// built from the payment record alone, its time the decision's, so every
// republish of it is the same event with the same id.
type EventPublisher struct {
	Publisher *pubsub.Publisher
}

// PaymentCompleted implements app.Events.
func (p EventPublisher) PaymentCompleted(ctx context.Context, pay wallet.Payment) error {
	return p.Publisher.Publish(ctx, contracts.PaymentCompleted{
		Header:     contracts.NewHeader(contracts.TypePaymentCompleted, pay.OrderID, pay.At),
		CustomerID: pay.CustomerID, AmountCents: pay.AmountCents,
	})
}

// PaymentFailed implements app.Events.
func (p EventPublisher) PaymentFailed(ctx context.Context, pay wallet.Payment) error {
	return p.Publisher.Publish(ctx, contracts.PaymentFailed{
		Header:     contracts.NewHeader(contracts.TypePaymentFailed, pay.OrderID, pay.At),
		CustomerID: pay.CustomerID, Reason: pay.Reason,
	})
}

// PaymentRefunded implements app.Events: the payment of a canceled order,
// refunded or voided, with what went back to the wallet.
func (p EventPublisher) PaymentRefunded(ctx context.Context, pay wallet.Payment) error {
	at := pay.RefundedAt
	if at.IsZero() {
		at = pay.At
	}
	return p.Publisher.Publish(ctx, contracts.PaymentRefunded{
		Header:     contracts.NewHeader(contracts.TypePaymentRefunded, pay.OrderID, at),
		CustomerID: pay.CustomerID, AmountCents: pay.GivenBackCents(),
	})
}
