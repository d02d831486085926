package app_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/example/order-saga/contracts"

	"github.com/example/order-saga/payment-svc/internal/app"
	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
)

func TestAMessageHandledTwiceChargesOnceAndPublishesTheSameEventTwice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		total       int64
		wantType    string
		wantBalance int64
		wantStatus  wallet.Status
	}{
		{"an affordable order is charged once", 2500, contracts.TypePaymentCompleted, openingBalance - 2500, wallet.Completed},
		{"an unaffordable order is refused once", openingBalance + 1, contracts.TypePaymentFailed, openingBalance, wallet.Failed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			r := w.replica(nil, nil)
			for range 2 {
				if err := r.charge.Handle(context.Background(), order("o1", "c1", tt.total)); err != nil {
					t.Fatal(err)
				}
			}
			if got := w.balance("c1"); got != tt.wantBalance {
				t.Fatalf("balance = %d, want %d", got, tt.wantBalance)
			}
			events := w.published.of("o1")
			if len(events) != 2 {
				t.Fatalf("published %d events, want 2", len(events))
			}
			if events[0].eventType != tt.wantType || events[0].payment.OrderID != "o1" || events[0].payment.Status != tt.wantStatus {
				t.Fatalf("published %+v, want a %s", events[0], tt.wantType)
			}
			if !reflect.DeepEqual(events[0], events[1]) {
				t.Fatalf("the republished event differs:\n%+v\n%+v", events[0], events[1])
			}
			if w.recorded.count(tt.wantStatus) != 1 {
				t.Fatalf("the payment was counted %d times, want once", w.recorded.count(tt.wantStatus))
			}
		})
	}
}

func TestThePublishedEventsCarryWhatTheSagaNeeds(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.replica(nil, nil)
	ctx := context.Background()
	if err := r.charge.Handle(ctx, order("paid", "c1", 700)); err != nil {
		t.Fatal(err)
	}
	if err := r.charge.Handle(ctx, order("refused", "c1", openingBalance)); err != nil {
		t.Fatal(err)
	}
	completed := w.published.of("paid")[0]
	if completed.eventType != contracts.TypePaymentCompleted || completed.payment.CustomerID != "c1" || completed.payment.AmountCents != 700 {
		t.Fatalf("completed event = %+v", completed)
	}
	failed := w.published.of("refused")[0]
	want := fmt.Sprintf("insufficient balance: need %d cents, have %d", openingBalance, openingBalance-700)
	if failed.eventType != contracts.TypePaymentFailed || failed.payment.CustomerID != "c1" || failed.payment.Reason != want {
		t.Fatalf("failed event = %+v, want reason %q", failed, want)
	}
}

func TestOneMessageHandledByTwoReplicasAtOnceChargesOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	replicas := []replica{w.replica(nil, nil), w.replica(nil, nil)}
	const orders, total = 50, 10
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range orders {
		for _, r := range replicas {
			wg.Go(func() {
				<-start
				if err := r.charge.Handle(context.Background(), order(fmt.Sprint("o", i), "c1", total)); err != nil {
					t.Error(err)
				}
			})
		}
	}
	close(start)
	wg.Wait()

	if got, want := w.balance("c1"), int64(openingBalance-orders*total); got != want {
		t.Fatalf("balance = %d, want %d", got, want)
	}
	for i := range orders {
		events := w.published.of(fmt.Sprint("o", i))
		if len(events) != 2 || !reflect.DeepEqual(events[0], events[1]) {
			t.Fatalf("order o%d published %+v, want the same event twice", i, events)
		}
	}
	if n := w.recorded.count(wallet.Completed); n != orders {
		t.Fatalf("%d payments counted, want %d", n, orders)
	}
}

func TestConcurrentOrdersOfOneCustomerNeverOverdraw(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	replicas := []replica{w.replica(nil, nil), w.replica(nil, nil)}
	const orders, total = 40, 3000 // 33 fit in the opening balance
	var wg sync.WaitGroup
	for i := range orders {
		wg.Go(func() {
			if err := replicas[i%2].charge.Handle(context.Background(), order(fmt.Sprint("o", i), "c1", total)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()

	completed, failed := w.recorded.count(wallet.Completed), w.recorded.count(wallet.Failed)
	if completed != openingBalance/total || failed != orders-completed {
		t.Fatalf("%d completed and %d failed, want %d and %d", completed, failed, openingBalance/total, orders-openingBalance/total)
	}
	if got := w.balance("c1"); got != openingBalance-int64(completed)*total {
		t.Fatalf("balance = %d after %d charges of %d", got, completed, total)
	}
}

func TestTheWalletKeepsNoChargeOnceThePaymentIsRecorded(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.replica(nil, nil)
	for i, total := range []int64{100, openingBalance * 2} {
		if err := r.charge.Handle(context.Background(), order(fmt.Sprint("o", i), "c1", total)); err != nil {
			t.Fatal(err)
		}
	}
	if pending := w.pending("c1"); len(pending) != 0 {
		t.Fatalf("charges still pending: %+v", pending)
	}
}

func TestADecisionMadeBeforeACrashIsTheOneRecordedOnRedelivery(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	crashed := w.replica(nil, func(p app.Payments) app.Payments { return failingCreate{p} })
	if err := crashed.charge.Handle(context.Background(), order("o1", "c1", 500)); !errors.Is(err, errInjected) {
		t.Fatalf("err = %v, want the injected failure", err)
	}
	decided, ok := w.pending("c1")["o1"]
	if !ok {
		t.Fatal("the decision is not in the wallet")
	}

	if err := w.replica(nil, nil).charge.Handle(context.Background(), order("o1", "c1", 500)); err != nil {
		t.Fatal(err)
	}
	if got := w.balance("c1"); got != openingBalance-500 {
		t.Fatalf("balance = %d, want one charge of 500", got)
	}
	events := w.published.of("o1")
	if len(events) != 1 || !events[0].payment.At.Equal(decided.At) {
		t.Fatalf("published %+v, want one event of the first decision at %v", events, decided.At)
	}
}

func TestAFailedPublishIsRetriedWithTheSameEventAndNoSecondCharge(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.replica(nil, nil)
	w.published.failNext(1)
	if err := r.charge.Handle(context.Background(), order("o1", "c1", 500)); !errors.Is(err, errInjected) {
		t.Fatalf("err = %v, want the injected failure", err)
	}
	if err := r.charge.Handle(context.Background(), order("o1", "c1", 500)); err != nil {
		t.Fatal(err)
	}
	if got := w.balance("c1"); got != openingBalance-500 {
		t.Fatalf("balance = %d, want one charge of 500", got)
	}
	if len(w.published.of("o1")) != 1 || len(w.pending("c1")) != 0 {
		t.Fatalf("published %+v, pending %+v", w.published.of("o1"), w.pending("c1"))
	}
}

func TestAHandlerThatMissedTheRecordGivesItsSecondChargeBack(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if err := w.replica(nil, nil).charge.Handle(context.Background(), order("o1", "c1", 500)); err != nil {
		t.Fatal(err)
	}
	late := w.replica(nil, func(p app.Payments) app.Payments { return stalePayments{p} })
	if err := late.charge.Handle(context.Background(), order("o1", "c1", 500)); err != nil {
		t.Fatal(err)
	}
	if got := w.balance("c1"); got != openingBalance-500 {
		t.Fatalf("balance = %d, want one charge of 500", got)
	}
	events := w.published.of("o1")
	if len(events) != 2 || !reflect.DeepEqual(events[0], events[1]) {
		t.Fatalf("published %+v, want the recorded event twice", events)
	}
	if len(w.pending("c1")) != 0 || w.recorded.count(wallet.Completed) != 1 {
		t.Fatalf("pending %+v, %d payments counted", w.pending("c1"), w.recorded.count(wallet.Completed))
	}
}

func TestASecondChargeLeftByAFailedHandlerIsGivenBackOnRedelivery(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if err := w.replica(nil, nil).charge.Handle(context.Background(), order("o1", "c1", 500)); err != nil {
		t.Fatal(err)
	}
	// It reads no record, charges again, then dies before settling.
	budget := &atomic.Int64{}
	budget.Store(1)
	late := w.replica(
		func(wl app.Wallets) app.Wallets { return walletsFailingAfter{wl, budget} },
		func(p app.Payments) app.Payments { return stalePayments{p} })
	if err := late.charge.Handle(context.Background(), order("o1", "c1", 500)); !errors.Is(err, errInjected) {
		t.Fatalf("err = %v, want the injected failure", err)
	}
	if got := w.balance("c1"); got != openingBalance-1000 {
		t.Fatalf("balance = %d, want the second charge still held", got)
	}

	if err := w.replica(nil, nil).charge.Handle(context.Background(), order("o1", "c1", 500)); err != nil {
		t.Fatal(err)
	}
	if got := w.balance("c1"); got != openingBalance-500 {
		t.Fatalf("balance = %d, want one charge of 500", got)
	}
	if len(w.pending("c1")) != 0 {
		t.Fatalf("pending %+v", w.pending("c1"))
	}
}
