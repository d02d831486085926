// Package adapters keeps the domain in the Dapr state store and reports it
// to Prometheus.
package adapters

import (
	"context"
	"reflect"

	"github.com/example/order-saga/platform/statestore"

	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
)

// WalletRepository keeps one wallet per customer, under its own key, so
// that every change to a wallet is atomic.
type WalletRepository struct {
	store   *statestore.Store[walletRecord]
	opening int64
}

// NewWalletRepository stores wallets in the state store called storeName.
// A customer without a stored wallet has openingBalanceCents.
func NewWalletRepository(backend statestore.Backend, storeName string, openingBalanceCents int64) (*WalletRepository, error) {
	if _, err := wallet.New(openingBalanceCents); err != nil {
		return nil, err
	}
	return &WalletRepository{store: statestore.New[walletRecord](backend, storeName), opening: openingBalanceCents}, nil
}

func walletKey(customerID string) string { return "wallet-" + customerID }

// Get returns the wallet of a customer.
func (r *WalletRepository) Get(ctx context.Context, customerID string) (*wallet.Wallet, error) {
	rec, found, err := r.store.Get(ctx, walletKey(customerID))
	if err != nil {
		return nil, err
	}
	return r.restore(rec, found), nil
}

// Update applies fn to the wallet of a customer and saves it, retrying on
// conflicts with other replicas. fn may run more than once. A change that
// leaves the wallet as it was writes nothing.
func (r *WalletRepository) Update(ctx context.Context, customerID string, fn func(*wallet.Wallet) error) error {
	return r.store.Update(ctx, walletKey(customerID), func(rec *walletRecord, found bool) error {
		w := r.restore(*rec, found)
		before := walletToRecord(w)
		if err := fn(w); err != nil {
			return err
		}
		after := walletToRecord(w)
		if reflect.DeepEqual(before, after) {
			// Nothing to write; an absent wallet stays absent, which
			// reads as the opening balance.
			return statestore.ErrUnchanged
		}
		*rec = after
		return nil
	})
}

func (r *WalletRepository) restore(rec walletRecord, found bool) *wallet.Wallet {
	if !found {
		return wallet.Restore(r.opening, 0, nil)
	}
	return walletFromRecord(rec)
}
