package app

import (
	"context"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
)

// ErrPaymentNotFound is returned for an order that has no payment record.
var ErrPaymentNotFound = contracts.NotFound("payment-not-found", "no payment is recorded for this order")

// GetPaymentHandler reads the payment record of an order.
type GetPaymentHandler struct {
	Payments Payments
}

// Handle returns the payment of orderID, or ErrPaymentNotFound (at once for
// an id that no order can have).
func (h GetPaymentHandler) Handle(ctx context.Context, orderID string) (wallet.Payment, error) {
	if !contracts.ValidID(orderID) {
		return wallet.Payment{}, ErrPaymentNotFound
	}
	p, found, err := h.Payments.Get(ctx, orderID)
	if err != nil {
		return wallet.Payment{}, err
	}
	if !found {
		return wallet.Payment{}, ErrPaymentNotFound
	}
	return p, nil
}
