// Package adapters connects payment-svc's use cases to Dapr and
// Prometheus: the wallets and payments in the state store, the events on
// the broker, the business metrics.
package adapters

import (
	"context"
	"time"

	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
	"github.com/example/order-saga/platform/statestore"
)

// walletRecord is how a wallet is stored. It is this service's own.
type walletRecord struct {
	BalanceCents int64                   `json:"balanceCents"`
	LastSeq      int64                   `json:"lastSeq,omitempty"`
	Charges      map[string]chargeRecord `json:"charges,omitempty"`
	Refunds      map[string]chargeRecord `json:"refunds,omitempty"`
}

type chargeRecord struct {
	Seq         int64     `json:"seq"`
	Status      string    `json:"status"`
	AmountCents int64     `json:"amountCents"`
	Reason      string    `json:"reason,omitempty"`
	At          time.Time `json:"at"`
}

func walletFromRecord(r walletRecord) *wallet.Wallet {
	return wallet.Restore(r.BalanceCents, r.LastSeq, decisionsOf(r.Charges), decisionsOf(r.Refunds))
}

func walletToRecord(w *wallet.Wallet) walletRecord {
	return walletRecord{BalanceCents: w.BalanceCents(), LastSeq: w.LastSeq(), Charges: recordsOf(w.Charges()), Refunds: recordsOf(w.Refunds())}
}

func decisionsOf(records map[string]chargeRecord) map[string]wallet.Decision {
	if len(records) == 0 {
		return nil
	}
	out := make(map[string]wallet.Decision, len(records))
	for orderID, c := range records {
		out[orderID] = wallet.Decision{Seq: c.Seq, Status: wallet.Status(c.Status), AmountCents: c.AmountCents, Reason: c.Reason, At: c.At}
	}
	return out
}

func recordsOf(decisions map[string]wallet.Decision) map[string]chargeRecord {
	if len(decisions) == 0 {
		return nil
	}
	out := make(map[string]chargeRecord, len(decisions))
	for orderID, d := range decisions {
		out[orderID] = chargeRecord{Seq: d.Seq, Status: string(d.Status), AmountCents: d.AmountCents, Reason: d.Reason, At: d.At}
	}
	return out
}

// WalletRepository keeps one wallet per customer, under its own key, so
// that every change to a wallet is atomic.
type WalletRepository struct {
	store   *statestore.Store[walletRecord]
	opening int64
}

// NewWalletRepository stores wallets in the state store called storeName.
// A customer without a stored wallet has openingBalanceCents, which must
// be a balance a wallet can have.
func NewWalletRepository(backend statestore.Backend, storeName string, openingBalanceCents int64) (*WalletRepository, error) {
	if _, err := wallet.New(openingBalanceCents); err != nil {
		return nil, err
	}
	return &WalletRepository{store: statestore.New[walletRecord](backend, storeName), opening: openingBalanceCents}, nil
}

func walletKey(customerID string) string { return "wallet-" + customerID }

// Get implements app.Wallets.
func (r *WalletRepository) Get(ctx context.Context, customerID string) (*wallet.Wallet, error) {
	rec, found, err := r.store.Get(ctx, walletKey(customerID))
	if err != nil {
		return nil, err
	}
	return r.restore(rec, found), nil
}

// Update implements app.Wallets, retrying on conflicts with other
// replicas. A change fn does not report writes nothing; so an absent
// wallet left as it was stays absent, which reads as the opening balance.
func (r *WalletRepository) Update(ctx context.Context, customerID string, fn func(w *wallet.Wallet) (changed bool, err error)) error {
	return r.store.Update(ctx, walletKey(customerID), func(rec *walletRecord, found bool) error {
		w := r.restore(*rec, found)
		changed, err := fn(w)
		if err != nil {
			return err
		}
		if !changed {
			return statestore.ErrUnchanged
		}
		*rec = walletToRecord(w)
		return nil
	})
}

func (r *WalletRepository) restore(rec walletRecord, found bool) *wallet.Wallet {
	if !found {
		return wallet.Restore(r.opening, 0, nil, nil)
	}
	return walletFromRecord(rec)
}
