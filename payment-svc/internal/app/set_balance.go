package app

import (
	"context"

	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
)

// SetBalance replaces the balance of a customer's wallet.
type SetBalance struct {
	CustomerID   string
	BalanceCents int64
}

// SetBalanceHandler sets balances. Charges still pending in the wallet are
// kept, so a payment in flight is neither lost nor made twice.
type SetBalanceHandler struct {
	Wallets Wallets
}

// Handle sets the balance and returns the wallet as saved. A balance out
// of range is wallet.ErrBalanceOutOfRange.
func (h SetBalanceHandler) Handle(ctx context.Context, cmd SetBalance) (*wallet.Wallet, error) {
	var saved *wallet.Wallet
	err := h.Wallets.Update(ctx, cmd.CustomerID, func(w *wallet.Wallet) (bool, error) {
		saved = w
		return w.SetBalance(cmd.BalanceCents)
	})
	if err != nil {
		return nil, err
	}
	return saved, nil
}
