// Package app holds the use cases of the payment service, one per file,
// and the interfaces of what they call out to.
package app

import (
	"context"

	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
)

// Wallets keeps one wallet per customer; a customer never stored has the
// opening balance. Update applies fn to the wallet and saves it when fn
// reports a change; it saves nothing when fn fails or changes nothing. fn
// may run more than once.
type Wallets interface {
	Get(ctx context.Context, customerID string) (*wallet.Wallet, error)
	Update(ctx context.Context, customerID string, fn func(w *wallet.Wallet) (changed bool, err error)) error
}

// Payments keeps one record per order. Create keeps the first record of an
// order and returns the one that stands. Update applies fn to the record
// of an order, writes it when fn reports a change, and returns the record
// as it stands (the zero Payment when there is none); fn may run more
// than once.
type Payments interface {
	Get(ctx context.Context, orderID string) (p wallet.Payment, found bool, err error)
	Create(ctx context.Context, p wallet.Payment) (recorded wallet.Payment, created bool, err error)
	Update(ctx context.Context, orderID string, fn func(p *wallet.Payment) (changed bool)) (wallet.Payment, error)
}

// Events announces the outcome of a payment, one method per event. The
// event is built from the record alone, so every republish of it is the
// same event.
type Events interface {
	PaymentCompleted(ctx context.Context, p wallet.Payment) error
	PaymentFailed(ctx context.Context, p wallet.Payment) error
	PaymentRefunded(ctx context.Context, p wallet.Payment) error
}

// Metrics is told of every payment when its record is created, and when
// the payment of a canceled order is refunded or voided.
type Metrics interface {
	PaymentRecorded(p wallet.Payment)
	PaymentRefunded(p wallet.Payment)
}
