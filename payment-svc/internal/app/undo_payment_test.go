package app_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/payment-svc/internal/app"
	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
)

func undo(r replica) app.UndoPaymentHandler {
	return app.UndoPaymentHandler{ChargeOrderHandler: r.charge}
}

func canceledOrder(id string) app.UndoPayment { return app.UndoPayment{OrderID: id, CustomerID: "c1"} }

func TestThePaymentOfACanceledOrderIsUndoneOnceWhereverItStood(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		before   func(t *testing.T, r replica)
		status   wallet.Status
		refunded int64
	}{
		{"an order never charged is voided", func(*testing.T, replica) {}, wallet.Voided, 0},
		{"a completed payment is refunded", func(t *testing.T, r replica) {
			must(t, r.charge.Handle(context.Background(), order("o1", "c1", 2500)))
		}, wallet.Refunded, 2500},
		{"a refused payment stays refused", func(t *testing.T, r replica) {
			must(t, r.charge.Handle(context.Background(), order("o1", "c1", openingBalance+1)))
		}, wallet.Failed, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			r := w.replica(nil, nil)
			tc.before(t, r)
			for range 2 {
				must(t, undo(r).Handle(context.Background(), canceledOrder("o1")))
			}
			if got := w.balance("c1"); got != openingBalance {
				t.Fatalf("balance %d, want the opening %d back", got, openingBalance)
			}
			p, _, _ := r.payments.Get(context.Background(), "o1")
			if p.Status != tc.status || p.GivenBackCents() != tc.refunded {
				t.Fatalf("payment %s giving back %d, want %s and %d", p.Status, p.GivenBackCents(), tc.status, tc.refunded)
			}
			events := w.published.of("o1")
			last := events[len(events)-1]
			if last.eventType != contracts.TypePaymentRefunded || last.payment.GivenBackCents() != tc.refunded {
				t.Fatalf("last announced %s of %d, want PaymentRefunded of %d", last.eventType, last.payment.GivenBackCents(), tc.refunded)
			}
			// A reservation that comes after the cancellation charges nothing.
			must(t, r.charge.Handle(context.Background(), order("o1", "c1", 700)))
			if got := w.balance("c1"); got != openingBalance || len(w.pending("c1")) != 0 {
				t.Fatalf("a late charge took money: balance %d, pending %v", got, w.pending("c1"))
			}
		})
	}
}

func TestRefundsRacingEachOtherAndTheChargeGiveBackExactlyWhatWasTaken(t *testing.T) {
	t.Parallel()
	for i := range 300 {
		w := newWorld(t)
		replicas := []replica{w.replica(nil, nil), w.replica(nil, nil), w.replica(nil, nil)}
		charged := i%2 == 0
		if charged {
			must(t, replicas[0].charge.Handle(context.Background(), order("o1", "c1", 2500)))
		}
		var wg sync.WaitGroup
		for j, r := range replicas {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if j == 0 && !charged {
					must(t, r.charge.Handle(context.Background(), order("o1", "c1", 2500)))
					return
				}
				must(t, undo(r).Handle(context.Background(), canceledOrder("o1")))
			}()
		}
		wg.Wait()
		p, _, _ := replicas[0].payments.Get(context.Background(), "o1")
		if got := w.balance("c1"); got != openingBalance {
			t.Fatalf("run %d: balance %d with the payment %s, want the opening %d", i, got, p.Status, openingBalance)
		}
		if p.Status != wallet.Refunded && p.Status != wallet.Voided {
			t.Fatalf("run %d: payment %s, want refunded or voided", i, p.Status)
		}
		if n := len(w.pending("c1")); n != 0 {
			t.Fatalf("run %d: %d decisions left pending", i, n)
		}
	}
}

func TestAnOrderPastItsDeadlineIsNeverCharged(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.replica(nil, nil)
	late := order("o1", "c1", 2500)
	late.Deadline = time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC)
	must(t, r.charge.Handle(context.Background(), late))
	p, _, _ := r.payments.Get(context.Background(), "o1")
	if p.Status != wallet.Failed || p.Reason != app.DeadlineExceeded || w.balance("c1") != openingBalance {
		t.Fatalf("payment %s %q, balance %d; want refused for the deadline, nothing taken", p.Status, p.Reason, w.balance("c1"))
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
