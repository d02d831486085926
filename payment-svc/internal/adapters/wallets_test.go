package adapters_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/example/order-saga/payment-svc/internal/adapters"
	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
	"github.com/example/order-saga/platform/statestore"
)

var at = time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)

func newWallets(t *testing.T, backend statestore.Backend) *adapters.WalletRepository {
	t.Helper()
	r, err := adapters.NewWalletRepository(backend, "paymentstore", 1000)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAWalletKeepsItsPendingDecisionsInStorage(t *testing.T) {
	t.Parallel()
	backend := statestore.NewMemory()
	var decided wallet.Decision
	err := newWallets(t, backend).Update(context.Background(), "c1", func(w *wallet.Wallet) (changed bool, err error) {
		decided, changed, err = w.Charge("o1", 2000, at)
		return changed, err
	})
	if err != nil {
		t.Fatal(err)
	}
	// A second repository reads it back, as another replica would.
	w, err := newWallets(t, backend).Get(context.Background(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := w.Pending("o1"); !ok || got != decided || w.LastSeq() != decided.Seq || w.BalanceCents() != 1000 {
		t.Fatalf("read back %+v %v, seq %d, balance %d; want %+v", got, ok, w.LastSeq(), w.BalanceCents(), decided)
	}
}

func TestAWalletUpdateThatChangesNothingStoresNothing(t *testing.T) {
	t.Parallel()
	backend := statestore.NewMemory()
	err := newWallets(t, backend).Update(context.Background(), "c1", func(w *wallet.Wallet) (bool, error) {
		_, changed := w.Settle("o1", 1)
		return changed, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if item, _ := backend.GetState(context.Background(), "paymentstore", "wallet-c1", nil); len(item.Value) != 0 {
		t.Fatalf("stored %s", item.Value)
	}
}

func TestAFailedWalletUpdateIsReturnedAndStoresNothing(t *testing.T) {
	t.Parallel()
	backend := statestore.NewMemory()
	err := newWallets(t, backend).Update(context.Background(), "c1", func(w *wallet.Wallet) (bool, error) {
		return w.SetBalance(-5)
	})
	if !errors.Is(err, wallet.ErrBalanceOutOfRange) {
		t.Fatalf("err = %v", err)
	}
	if item, _ := backend.GetState(context.Background(), "paymentstore", "wallet-c1", nil); len(item.Value) != 0 {
		t.Fatalf("stored %s", item.Value)
	}
}

func TestANegativeOpeningBalanceIsRefused(t *testing.T) {
	t.Parallel()
	if _, err := adapters.NewWalletRepository(statestore.NewMemory(), "paymentstore", -1); !errors.Is(err, wallet.ErrBalanceOutOfRange) {
		t.Fatalf("err = %v", err)
	}
}
