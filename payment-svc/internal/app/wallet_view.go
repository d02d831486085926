package app

// WalletView is what a customer's wallet shows.
type WalletView struct {
	CustomerID   string
	BalanceCents int64
}
