package app

import (
	"context"

	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
)

// GetWalletHandler reads a customer's wallet; a customer never seen has
// the opening balance.
type GetWalletHandler struct {
	Wallets Wallets
}

// Handle returns the wallet of customerID.
func (h GetWalletHandler) Handle(ctx context.Context, customerID string) (*wallet.Wallet, error) {
	return h.Wallets.Get(ctx, customerID)
}
