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
	wallets Wallets
}

// NewSetBalanceHandler returns the use case.
func NewSetBalanceHandler(wallets Wallets) SetBalanceHandler {
	return SetBalanceHandler{wallets: wallets}
}

// Handle sets the balance and returns the wallet as saved.
func (h SetBalanceHandler) Handle(ctx context.Context, cmd SetBalance) (WalletView, error) {
	err := h.wallets.Update(ctx, cmd.CustomerID, func(w *wallet.Wallet) error {
		return w.SetBalance(cmd.BalanceCents)
	})
	if err != nil {
		return WalletView{}, err
	}
	return WalletView{CustomerID: cmd.CustomerID, BalanceCents: cmd.BalanceCents}, nil
}
