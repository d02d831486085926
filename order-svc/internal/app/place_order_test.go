package app_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/order-svc/internal/adapters"
	"github.com/example/order-saga/order-svc/internal/app"
	"github.com/example/order-saga/order-svc/internal/domain/order"
	"github.com/example/order-saga/platform/statestore"
)

type recordingEvents struct {
	mu   sync.Mutex
	sent []order.Order
	fail error
}

func (r *recordingEvents) OrderCreated(_ context.Context, o order.Order) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.sent = append(r.sent, o)
	return nil
}

type nopObserver struct{}

func (nopObserver) OrderCreated()             {}
func (nopObserver) OrderFinished(order.Order) {}
func (nopObserver) EventContradicting(string) {}

type fixture struct {
	place  app.PlaceOrderHandler
	orders adapters.OrderRepository
	events *recordingEvents
}

func newFixture() fixture {
	backend := statestore.NewMemory()
	orders := adapters.OrderRepository{Store: statestore.New[order.Order](backend, contracts.OrderStore)}
	events := &recordingEvents{}
	return fixture{
		place: app.PlaceOrderHandler{
			Orders: orders, Claims: adapters.NewClaimRepository(backend, contracts.OrderStore), Events: events,
			Observer: nopObserver{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Waiters: app.NewFinishWaiters(), Now: time.Now,
		},
		orders: orders,
		events: events,
	}
}

var kettle = []order.Item{{ProductID: "kettle", Quantity: 1}}

func TestAnOrderIsPublishedThenStored(t *testing.T) {
	t.Parallel()
	f := newFixture()
	o, replayed, err := f.place.Handle(context.Background(), app.PlaceOrder{CustomerID: "alice", Items: kettle})
	if err != nil || replayed {
		t.Fatalf("err %v replayed %v", err, replayed)
	}
	if len(f.events.sent) != 1 || f.events.sent[0].ID != o.ID {
		t.Fatalf("published %v, want the order %s", f.events.sent, o.ID)
	}
	if stored, found, _ := f.orders.Get(context.Background(), o.ID); !found || stored.Status != order.Pending {
		t.Fatalf("stored %+v found=%v", stored, found)
	}
}

func TestAnInvalidOrderNeitherPublishesNorStores(t *testing.T) {
	t.Parallel()
	f := newFixture()
	_, _, err := f.place.Handle(context.Background(), app.PlaceOrder{CustomerID: "", Items: nil, IdempotencyKey: "k"})
	var invalid *app.InvalidOrderError
	if !errors.As(err, &invalid) || len(invalid.Fields) != 2 {
		t.Fatalf("err %v, want two invalid fields", err)
	}
	if len(f.events.sent) != 0 {
		t.Fatal("an invalid order was published")
	}
}

func TestAnOrderThatCannotBePublishedIsNotStored(t *testing.T) {
	t.Parallel()
	f := newFixture()
	f.events.fail = errors.New("broker down")
	o, _, err := f.place.Handle(context.Background(), app.PlaceOrder{CustomerID: "alice", Items: kettle, IdempotencyKey: "k1"})
	if err == nil {
		t.Fatal("no error though the event could not be published")
	}
	if _, found, _ := f.orders.Get(context.Background(), o.ID); found {
		t.Fatal("an order whose event was never published was stored")
	}
}

func TestAnIdempotencyKeyReturnsTheFirstOrderAndRefusesAnotherRequest(t *testing.T) {
	t.Parallel()
	f := newFixture()
	ctx := context.Background()
	first, _, err := f.place.Handle(ctx, app.PlaceOrder{CustomerID: "alice", Items: kettle, IdempotencyKey: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	again, replayed, err := f.place.Handle(ctx, app.PlaceOrder{CustomerID: "alice", Items: kettle, IdempotencyKey: "k1"})
	if err != nil || !replayed || again.ID != first.ID {
		t.Fatalf("replay: %v %v %s, want %s", err, replayed, again.ID, first.ID)
	}
	if len(f.events.sent) != 1 {
		t.Fatalf("%d events published, want 1", len(f.events.sent))
	}
	_, _, err = f.place.Handle(ctx, app.PlaceOrder{CustomerID: "alice", Items: []order.Item{{ProductID: "kettle", Quantity: 2}}, IdempotencyKey: "k1"})
	if !errors.Is(err, app.ErrKeyReused) {
		t.Fatalf("err %v, want ErrKeyReused", err)
	}
}

func TestARetryAfterAFailedPublishPublishesTheSameOrderId(t *testing.T) {
	t.Parallel()
	f := newFixture()
	ctx := context.Background()
	f.events.fail = errors.New("broker down")
	lost, _, _ := f.place.Handle(ctx, app.PlaceOrder{CustomerID: "alice", Items: kettle, IdempotencyKey: "k2"})
	f.events.fail = nil
	o, replayed, err := f.place.Handle(ctx, app.PlaceOrder{CustomerID: "alice", Items: kettle, IdempotencyKey: "k2"})
	if err != nil || replayed || o.ID != lost.ID {
		t.Fatalf("retry: %v replayed=%v id %s, want a fresh placement of %s", err, replayed, o.ID, lost.ID)
	}
}

func TestAWaitingReadReturnsAsSoonAsTheOrderFinishes(t *testing.T) {
	t.Parallel()
	f := newFixture()
	ctx := context.Background()
	o, _, err := f.place.Handle(ctx, app.PlaceOrder{CustomerID: "alice", Items: kettle})
	if err != nil {
		t.Fatal(err)
	}
	get := app.GetOrderHandler{Orders: f.orders, Waiters: f.place.Waiters, Poll: time.Hour}
	record := app.NewRecordStepHandler(f.orders, nopObserver{}, f.place.Log, f.place.Waiters)

	done := make(chan order.Order)
	go func() {
		got, err := get.Handle(ctx, o.ID, time.Minute)
		if err != nil {
			t.Error(err)
		}
		done <- got
	}()
	for deadline := time.Now().Add(10 * time.Second); f.place.Waiters.Waiting(o.ID) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the read never started waiting")
		}
		<-time.After(time.Millisecond)
	}
	failed := order.Step{Kind: order.StockFailed, At: time.Now(), Reason: "no stock"}
	if err := record.Handle(ctx, app.RecordStep{OrderID: o.ID, EventType: contracts.TypeStockFailed, Step: failed}); err != nil {
		t.Fatal(err)
	}
	// The poll interval is an hour: only the wake-up can end the wait.
	select {
	case got := <-done:
		if got.Status != order.Canceled {
			t.Fatalf("status %s, want CANCELED", got.Status)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting read was not woken when the order finished")
	}
}
