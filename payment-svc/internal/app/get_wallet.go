package app

import "context"

// GetWalletHandler reads a customer's wallet; a customer never seen has
// the opening balance.
type GetWalletHandler struct {
	wallets Wallets
}

// NewGetWalletHandler returns the query.
func NewGetWalletHandler(wallets Wallets) GetWalletHandler {
	return GetWalletHandler{wallets: wallets}
}

// Handle returns the wallet of customerID.
func (h GetWalletHandler) Handle(ctx context.Context, customerID string) (WalletView, error) {
	w, err := h.wallets.Get(ctx, customerID)
	if err != nil {
		return WalletView{}, err
	}
	return WalletView{CustomerID: customerID, BalanceCents: w.BalanceCents()}, nil
}
