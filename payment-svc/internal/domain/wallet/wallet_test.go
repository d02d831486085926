package wallet_test

import (
	"errors"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
)

var at = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func newWallet(t *testing.T, balance int64) *wallet.Wallet {
	t.Helper()
	w, err := wallet.New(balance)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestCharge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		balance     int64
		amount      int64
		wantStatus  wallet.Status
		wantBalance int64
		wantReason  string
	}{
		{"a charge within the balance completes and takes the amount", 1000, 300, wallet.Completed, 700, ""},
		{"a charge of the whole balance completes and leaves zero", 1000, 1000, wallet.Completed, 0, ""},
		{"a free order completes without taking anything", 1000, 0, wallet.Completed, 1000, ""},
		{"a charge above the balance is refused and takes nothing", 1000, 1001, wallet.Failed, 1000, "insufficient balance: need 1001 cents, have 1000"},
		{"an empty wallet refuses any paid order", 0, 1, wallet.Failed, 0, "insufficient balance: need 1 cents, have 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWallet(t, tt.balance)
			d, changed, err := w.Charge("o1", tt.amount, at)
			if err != nil || !changed {
				t.Fatalf("changed = %v, err = %v; want a change", changed, err)
			}
			if d.Status != tt.wantStatus || d.Reason != tt.wantReason || d.AmountCents != tt.amount {
				t.Fatalf("decision = %+v, want %s %q for %d", d, tt.wantStatus, tt.wantReason, tt.amount)
			}
			if w.BalanceCents() != tt.wantBalance {
				t.Fatalf("balance = %d, want %d", w.BalanceCents(), tt.wantBalance)
			}
			if p, ok := w.Pending("o1"); !ok || p != d {
				t.Fatalf("pending = %+v %v, want the decision", p, ok)
			}
		})
	}
}

func TestAChargeRepeatedForOneOrderReturnsTheFirstDecision(t *testing.T) {
	t.Parallel()
	w := newWallet(t, 1000)
	first, _, _ := w.Charge("o1", 600, at)
	again, changed, err := w.Charge("o1", 600, at.Add(time.Hour))
	if err != nil || changed {
		t.Fatalf("changed = %v, err = %v; want no change", changed, err)
	}
	if again != first {
		t.Fatalf("second decision %+v differs from first %+v", again, first)
	}
	if w.BalanceCents() != 400 {
		t.Fatalf("balance = %d, want 400: the order was charged twice", w.BalanceCents())
	}
}

func TestEveryDecisionOfAWalletHasItsOwnSeq(t *testing.T) {
	t.Parallel()
	w := newWallet(t, 100)
	a, _, _ := w.Charge("a", 10, at)
	b, _, _ := w.Charge("b", 1000, at)
	if a.Seq == b.Seq || w.LastSeq() != b.Seq {
		t.Fatalf("seqs %d and %d, last %d", a.Seq, b.Seq, w.LastSeq())
	}
}

func TestTheBalanceNeverGoesNegative(t *testing.T) {
	t.Parallel()
	w := newWallet(t, 100)
	completed := 0
	for i := range 50 {
		d, _, err := w.Charge(string(rune('a'+i)), 7, at)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status == wallet.Completed {
			completed++
		}
		if w.BalanceCents() < 0 {
			t.Fatalf("balance went to %d", w.BalanceCents())
		}
	}
	if completed != 14 || w.BalanceCents() != 2 {
		t.Fatalf("%d completed, balance %d; want 14 and 2", completed, w.BalanceCents())
	}
}

func TestANegativeAmountIsRejected(t *testing.T) {
	t.Parallel()
	w := newWallet(t, 100)
	if _, changed, err := w.Charge("o1", -1, at); !errors.Is(err, wallet.ErrNegativeAmount) || changed {
		t.Fatalf("changed = %v, err = %v; want ErrNegativeAmount and no change", changed, err)
	}
	if _, ok := w.Pending("o1"); ok || w.BalanceCents() != 100 {
		t.Fatal("a rejected charge changed the wallet")
	}
}

func TestSettle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		amount       int64
		recordedSeq  func(d wallet.Decision) int64
		wantRefund   int64
		wantBalance  int64
		chargeBefore bool // and so the settling changes the wallet
	}{
		{"settling the recorded decision drops it and keeps the charge", 300, func(d wallet.Decision) int64 { return d.Seq }, 0, 700, true},
		{"settling a completed decision that lost to another record gives the money back", 300, func(d wallet.Decision) int64 { return d.Seq + 1 }, 300, 1000, true},
		{"settling a refused decision that lost to another record gives nothing back", 5000, func(d wallet.Decision) int64 { return d.Seq + 1 }, 0, 1000, true},
		{"settling an order with nothing pending changes nothing", 0, func(wallet.Decision) int64 { return 1 }, 0, 1000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWallet(t, 1000)
			var d wallet.Decision
			if tt.chargeBefore {
				d, _, _ = w.Charge("o1", tt.amount, at)
			}
			got, changed := w.Settle("o1", tt.recordedSeq(d))
			if got != tt.wantRefund || changed != tt.chargeBefore {
				t.Fatalf("refund = %d, changed = %v; want %d, %v", got, changed, tt.wantRefund, tt.chargeBefore)
			}
			if _, ok := w.Pending("o1"); ok {
				t.Fatal("the decision is still pending")
			}
			if w.BalanceCents() != tt.wantBalance {
				t.Fatalf("balance = %d, want %d", w.BalanceCents(), tt.wantBalance)
			}
		})
	}
}

func TestBalanceBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		balance int64
		wantErr bool
	}{
		{"a zero balance is allowed", 0, false},
		{"the maximum balance is allowed", wallet.MaxBalanceCents, false},
		{"a negative balance is rejected", -1, true},
		{"a balance above the maximum is rejected", wallet.MaxBalanceCents + 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, newErr := wallet.New(tt.balance)
			w := newWallet(t, 5)
			changed, setErr := w.SetBalance(tt.balance)
			for _, err := range []error{newErr, setErr} {
				if got := errors.Is(err, wallet.ErrBalanceOutOfRange) && namesBalance(err); got != tt.wantErr {
					t.Fatalf("err = %v, want out of range: %v", err, tt.wantErr)
				}
			}
			if changed == tt.wantErr || (tt.wantErr && w.BalanceCents() != 5) {
				t.Fatalf("changed = %v, balance %d; a refused balance must change nothing", changed, w.BalanceCents())
			}
		})
	}
}

func TestSettingTheBalanceKeepsPendingCharges(t *testing.T) {
	t.Parallel()
	w := newWallet(t, 1000)
	d, _, _ := w.Charge("o1", 300, at)
	if changed, err := w.SetBalance(50); err != nil || !changed {
		t.Fatalf("changed = %v, err = %v; want a change", changed, err)
	}
	if p, ok := w.Pending("o1"); !ok || p != d || w.BalanceCents() != 50 {
		t.Fatalf("pending %+v %v, balance %d", p, ok, w.BalanceCents())
	}
}

func TestSettingTheBalanceAWalletHasChangesNothing(t *testing.T) {
	t.Parallel()
	w := newWallet(t, 1000)
	if changed, err := w.SetBalance(1000); err != nil || changed {
		t.Fatalf("changed = %v, err = %v; want no change", changed, err)
	}
}

// namesBalance tells whether err names balanceCents as its invalid field,
// as the API shows it.
func namesBalance(err error) bool {
	var e *contracts.Error
	return errors.As(err, &e) && len(e.Fields) == 1 && e.Fields[0].Field == "balanceCents"
}

func TestRestoreCopiesTheCharges(t *testing.T) {
	t.Parallel()
	charges := map[string]wallet.Decision{"o1": {Seq: 3, Status: wallet.Completed, AmountCents: 5}}
	w := wallet.Restore(10, 3, charges, nil)
	w.Settle("o1", 3)
	if _, ok := charges["o1"]; !ok {
		t.Fatal("settling a restored wallet changed the map it was restored from")
	}
}
