package app

import (
	"context"

	"github.com/example/order-saga/contracts"

	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
)

// Wallets keeps one wallet per customer. Update may run fn more than once
// and saves nothing when fn fails or leaves the wallet as it was.
type Wallets interface {
	Get(ctx context.Context, customerID string) (*wallet.Wallet, error)
	Update(ctx context.Context, customerID string, fn func(*wallet.Wallet) error) error
}

// Payments keeps one record per order. Create keeps the first record of an
// order and returns the one that stands.
type Payments interface {
	Get(ctx context.Context, orderID string) (p wallet.Payment, found bool, err error)
	Create(ctx context.Context, p wallet.Payment) (recorded wallet.Payment, created bool, err error)
}

// Publisher sends an event whose header is h.
type Publisher interface {
	Publish(ctx context.Context, h contracts.Header, event any) error
}

// Metrics is told of every payment when its record is created.
type Metrics interface {
	PaymentRecorded(p wallet.Payment)
}
