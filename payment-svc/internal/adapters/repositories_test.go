package adapters_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/example/order-saga/platform/statestore"

	"github.com/example/order-saga/payment-svc/internal/adapters"
	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
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
	err := newWallets(t, backend).Update(context.Background(), "c1", func(w *wallet.Wallet) error {
		var err error
		decided, err = w.Charge("o1", 2000, at)
		return err
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
	err := newWallets(t, backend).Update(context.Background(), "c1", func(w *wallet.Wallet) error {
		w.Settle("o1", 1)
		return nil
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
	err := newWallets(t, backend).Update(context.Background(), "c1", func(w *wallet.Wallet) error {
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

func TestTheFirstPaymentRecordOfAnOrderStands(t *testing.T) {
	t.Parallel()
	payments := adapters.NewPaymentRepository(statestore.NewMemory(), "paymentstore")
	first := wallet.PaymentOf("o1", "c1", wallet.Decision{Seq: 1, Status: wallet.Completed, AmountCents: 10, At: at})
	second := wallet.PaymentOf("o1", "c1", wallet.Decision{Seq: 2, Status: wallet.Failed, AmountCents: 10, Reason: "r", At: at.Add(time.Second)})
	tests := []struct {
		name        string
		create      wallet.Payment
		wantCreated bool
	}{
		{"the first record is created", first, true},
		{"a later record gets the first one back", second, false},
	}
	for _, tt := range tests { // in order: each case builds on the one before
		t.Run(tt.name, func(t *testing.T) {
			got, created, err := payments.Create(context.Background(), tt.create)
			if err != nil || created != tt.wantCreated || got != first {
				t.Fatalf("got %+v created=%v err=%v, want %+v created=%v", got, created, err, first, tt.wantCreated)
			}
		})
	}
	stored, found, err := payments.Get(context.Background(), "o1")
	if err != nil || !found || stored != first {
		t.Fatalf("stored %+v found=%v err=%v", stored, found, err)
	}
}
