package app

import (
	"context"
	"errors"

	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
)

// ErrPaymentNotFound is returned for an order that has no payment record.
var ErrPaymentNotFound = errors.New("payment not found")

// GetPaymentHandler reads the payment record of an order.
type GetPaymentHandler struct {
	payments Payments
}

// NewGetPaymentHandler returns the query.
func NewGetPaymentHandler(payments Payments) GetPaymentHandler {
	return GetPaymentHandler{payments: payments}
}

// Handle returns the payment of orderID, or ErrPaymentNotFound.
func (h GetPaymentHandler) Handle(ctx context.Context, orderID string) (wallet.Payment, error) {
	p, found, err := h.payments.Get(ctx, orderID)
	if err != nil {
		return wallet.Payment{}, err
	}
	if !found {
		return wallet.Payment{}, ErrPaymentNotFound
	}
	return p, nil
}
