package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/payment-svc/internal/app"
	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
)

func TestARefusedReservationIsAFailedPaymentOfNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	r := w.replica(nil, nil)
	refuse := app.RefuseChargeHandler{ChargeOrderHandler: r.charge}

	// A handler decided a charge of o1 in alice's wallet, then the
	// reservation was given up on before the payment was recorded.
	err := r.wallets.Update(ctx, "alice", func(wl *wallet.Wallet) (bool, error) {
		_, changed, err := wl.Charge("o1", 700, time.Now())
		return changed, err
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // redelivered: one record, announced each time
		if err := refuse.Handle(ctx, app.RefuseCharge{OrderID: "o1", CustomerID: "alice", Reason: "cannot be processed"}); err != nil {
			t.Fatal(err)
		}
	}
	p, found, err := r.payments.Get(ctx, "o1")
	if err != nil || !found || p.Status != wallet.Failed || p.AmountCents != 0 {
		t.Fatalf("payment %+v found=%v err=%v, want a failed payment of nothing", p, found, err)
	}
	if got := w.balance("alice"); got != openingBalance {
		t.Fatalf("balance %d, want the pending charge given back (%d)", got, openingBalance)
	}
	if n := len(w.pending("alice")); n != 0 {
		t.Fatalf("%d decisions still pending", n)
	}
	if got := w.published.events; len(got) != 2 || got[0].eventType != contracts.TypePaymentFailed {
		t.Fatalf("announced %+v, want PaymentFailed twice", got)
	}

	// An order with no valid customer is refused without touching a wallet,
	// and one paid already keeps its payment.
	if err := refuse.Handle(ctx, app.RefuseCharge{OrderID: "o2", Reason: "no customer"}); err != nil {
		t.Fatal(err)
	}
	if err := r.charge.Handle(ctx, app.ChargeOrder{OrderID: "o3", CustomerID: "bob", TotalCents: 300}); err != nil {
		t.Fatal(err)
	}
	if err := refuse.Handle(ctx, app.RefuseCharge{OrderID: "o3", CustomerID: "bob", Reason: "a stale copy"}); err != nil {
		t.Fatal(err)
	}
	if p, _, _ := r.payments.Get(ctx, "o3"); p.Status != wallet.Completed {
		t.Fatalf("a paid order's payment became %s", p.Status)
	}
	if got := w.balance("bob"); got != openingBalance-300 {
		t.Fatalf("bob's balance %d, want %d", got, openingBalance-300)
	}
}
