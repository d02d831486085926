package adapters

import (
	"context"

	"github.com/example/order-saga/platform/statestore"

	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
)

// PaymentRepository keeps one payment record per order. A record, once
// created, is never changed.
type PaymentRepository struct {
	store *statestore.Store[paymentRecord]
}

// NewPaymentRepository stores payments in the state store called storeName.
func NewPaymentRepository(backend statestore.Backend, storeName string) *PaymentRepository {
	return &PaymentRepository{store: statestore.New[paymentRecord](backend, storeName)}
}

func paymentKey(orderID string) string { return "payment-" + orderID }

// Get returns the payment of an order; found is false when there is none.
func (r *PaymentRepository) Get(ctx context.Context, orderID string) (p wallet.Payment, found bool, err error) {
	rec, found, err := r.store.Get(ctx, paymentKey(orderID))
	if err != nil || !found {
		return wallet.Payment{}, false, err
	}
	return paymentFromRecord(rec), true, nil
}

// Create saves p unless its order already has a record. It returns the
// record that stands, and whether it is p.
func (r *PaymentRepository) Create(ctx context.Context, p wallet.Payment) (recorded wallet.Payment, created bool, err error) {
	rec, created, err := r.store.Create(ctx, paymentKey(p.OrderID), paymentToRecord(p))
	if err != nil {
		return wallet.Payment{}, false, err
	}
	return paymentFromRecord(rec), created, nil
}
