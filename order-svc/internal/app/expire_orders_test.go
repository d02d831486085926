package app_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/order-svc/internal/app"
	"github.com/example/order-saga/order-svc/internal/domain/order"
	"github.com/example/order-saga/platform/reminders"
)

func expirer(f fixture) app.ExpireOrdersHandler {
	return app.ExpireOrdersHandler{Tracker: f.place.Tracker, Events: f.events, Again: time.Second, MaxAgain: 4 * time.Second}
}

func TestAnOrderIsLookedAtAtItsDeadlineAndCanceledOnlyIfItHasNotEnded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture()
	expire := expirer(f)
	record := app.RecordStepHandler{Tracker: f.place.Tracker, Events: f.events}
	open, _, err := f.place.Handle(ctx, app.PlaceOrder{CustomerID: "alice", Items: kettle})
	if err != nil {
		t.Fatal(err)
	}
	done, _, err := f.place.Handle(ctx, app.PlaceOrder{CustomerID: "bob", Items: kettle})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []app.RecordStep{
		{OrderID: done.ID, EventType: contracts.TypeStockReserved, Step: order.Step{Kind: order.StockReserved, At: done.CreatedAt, TotalCents: 700}},
		{OrderID: done.ID, EventType: contracts.TypePaymentCompleted, Step: order.Step{Kind: order.PaymentCompleted, At: done.CreatedAt}},
	} {
		if err := record.Handle(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	now := open.Deadline.Add(time.Millisecond)
	again, err := expire.Handle(ctx, []reminders.Due{{ID: open.ID}, {ID: done.ID}, {ID: "never-placed"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	got, _, _ := f.orders.Get(ctx, open.ID)
	if got.Status != order.Canceled || got.Reason != order.DeadlineExceeded {
		t.Fatalf("the open order is %s %q at its deadline", got.Status, got.Reason)
	}
	if got, _, _ := f.orders.Get(ctx, done.ID); got.Status != order.Confirmed {
		t.Fatalf("the confirmed order became %s", got.Status)
	}
	if len(again) != 2 || len(f.events.canceled) != 2 {
		t.Fatalf("looked again at %v, announced %d cancellations; want the open and the unknown order", again, len(f.events.canceled))
	}
	// Once both participants answered, the order is not looked at again.
	for _, s := range []app.RecordStep{
		{OrderID: open.ID, EventType: contracts.TypeStockReleased, Step: order.Step{Kind: order.StockReleased, At: now}},
		{OrderID: open.ID, EventType: contracts.TypePaymentRefunded, Step: order.Step{Kind: order.PaymentRefunded, At: now}},
	} {
		if err := record.Handle(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	again, err = expire.Handle(ctx, []reminders.Due{{ID: open.ID, Attempt: 1}}, now.Add(time.Second))
	if err != nil || len(again) != 0 || len(f.events.canceled) != 2 {
		t.Fatalf("after both answers: again %v, err %v, %d cancellations", again, err, len(f.events.canceled))
	}
}

// The deadline races the payment's outcome on thousands of orders, each
// firing twice: each order ends once, as one or the other, and only a
// canceled order is announced canceled.
func TestTheDeadlineRacingThePaymentLeavesOneOutcomePerOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture()
	expire := expirer(f)
	record := app.RecordStepHandler{Tracker: f.place.Tracker, Events: f.events}
	const orders = 2000
	ids := make([]string, orders)
	for i := range ids {
		o, _, err := f.place.Handle(ctx, app.PlaceOrder{CustomerID: "carol", Items: kettle})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = o.ID
		if err := record.Handle(ctx, app.RecordStep{OrderID: o.ID, EventType: contracts.TypeStockReserved,
			Step: order.Step{Kind: order.StockReserved, At: o.CreatedAt, TotalCents: 700}}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(time.Hour)
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(3)
		for range 2 {
			go func() {
				defer wg.Done()
				if _, err := expire.Handle(ctx, []reminders.Due{{ID: id}}, deadline); err != nil {
					t.Error(err)
				}
			}()
		}
		go func() {
			defer wg.Done()
			if err := record.Handle(ctx, app.RecordStep{OrderID: id, EventType: contracts.TypePaymentCompleted,
				Step: order.Step{Kind: order.PaymentCompleted, At: deadline}}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	announced := map[string]bool{}
	for _, o := range f.events.canceled {
		announced[o.ID] = true
	}
	confirmed, canceled := 0, 0
	for _, id := range ids {
		o, _, _ := f.orders.Get(ctx, id)
		switch {
		case o.Status == order.Confirmed && !o.Steps.Expired && !announced[id]:
			confirmed++
		case o.Status == order.Canceled && o.Steps.Expired && !o.Steps.PaymentCompleted && announced[id]:
			canceled++
		default:
			t.Fatalf("order %s ended %s (expired %v, paid %v, announced canceled %v)", id, o.Status, o.Steps.Expired, o.Steps.PaymentCompleted, announced[id])
		}
		finals := 0
		for _, h := range o.History {
			if h.Status.Final() && h.Reason == o.Reason {
				finals++
			}
		}
		if finals != 1 {
			t.Fatalf("order %s has %d final entries in its history: %+v", id, finals, o.History)
		}
	}
	t.Logf("%d confirmed, %d canceled at their deadline", confirmed, canceled)
}
