package app_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
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

type nopMetrics struct{}

func (nopMetrics) OrderCreated()             {}
func (nopMetrics) OrderFinished(order.Order) {}
func (nopMetrics) EventContradicting(string) {}

type fixture struct {
	place  app.PlaceOrderHandler
	orders adapters.OrderRepository
	events *recordingEvents
}

func newFixture() fixture {
	backend := statestore.NewMemory()
	orders := adapters.NewOrderRepository(backend, contracts.OrderStore)
	events := &recordingEvents{}
	return fixture{
		place: app.PlaceOrderHandler{
			Tracker: app.Tracker{Orders: orders, Metrics: nopMetrics{}, Log: slog.New(slog.DiscardHandler), Waiters: app.NewFinishWaiters()},
			Claims:  adapters.NewClaimRepository(backend, contracts.OrderStore), Events: events, Now: time.Now,
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
	var invalid *contracts.Error
	if !errors.As(err, &invalid) || invalid.Kind != contracts.KindInvalid || len(invalid.Fields) != 2 {
		t.Fatalf("err %v, want two invalid fields", err)
	}
	if len(f.events.sent) != 0 {
		t.Fatal("an invalid order was published")
	}
}

func TestAnOrderIsValidatedFieldByFieldBeforeAnythingHappens(t *testing.T) {
	t.Parallel()
	many := make([]order.Item, contracts.MaxItems+1)
	for i := range many {
		many[i] = order.Item{ProductID: "p", Quantity: 1}
	}
	cases := []struct {
		name     string
		customer string
		items    []order.Item
		key      string
		fields   []string
	}{
		{"a good order passes", "alice", []order.Item{{ProductID: "kettle", Quantity: 2}}, "", nil},
		{"a good order with a key passes", "alice", []order.Item{{ProductID: "kettle", Quantity: 2}}, "key-1", nil},
		{"a missing customer is named", "", []order.Item{{ProductID: "kettle", Quantity: 2}}, "", []string{"customerId"}},
		{"no items is refused", "alice", nil, "", []string{"items"}},
		{"too many items are refused", "alice", many, "", []string{"items"}},
		{"each bad line is named", "alice", []order.Item{{ProductID: "", Quantity: 0}, {ProductID: "ok", Quantity: contracts.MaxQuantity + 1}}, "",
			[]string{"items[0].productId", "items[0].quantity", "items[1].quantity"}},
		{"a key with a control character is named", "alice", kettle, "a\tb", []string{"Idempotency-Key"}},
		{"a key of 256 characters is named", "alice", kettle, strings.Repeat("k", 256), []string{"Idempotency-Key"}},
		{"a key that is not ASCII is named", "alice", kettle, "clé", []string{"Idempotency-Key"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture()
			_, _, err := f.place.Handle(context.Background(), app.PlaceOrder{CustomerID: tc.customer, Items: tc.items, IdempotencyKey: tc.key})
			var named []string
			if err != nil {
				var invalid *contracts.Error
				if !errors.As(err, &invalid) || invalid.Kind != contracts.KindInvalid {
					t.Fatalf("err %v, want invalid fields", err)
				}
				for _, fe := range invalid.Fields {
					named = append(named, fe.Field)
				}
			}
			if !slices.Equal(named, tc.fields) {
				t.Fatalf("named %v, want %v", named, tc.fields)
			}
			if published := len(f.events.sent) > 0; published != (tc.fields == nil) {
				t.Fatalf("published %v for an order refused for %v", f.events.sent, tc.fields)
			}
		})
	}
}

func TestAKeyClaimedBeforeStillKnowsItsRequest(t *testing.T) {
	t.Parallel()
	f := newFixture()
	ctx := context.Background()
	// What a claim has always held for alice's kettle: the request hash
	// must not change, or a retry of a request claimed before is refused.
	if _, err := f.place.Claims.Claim(ctx, "k0", "7c1da90ea599159e396e9ee4e074197a"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.place.Handle(ctx, app.PlaceOrder{CustomerID: "alice", Items: kettle, IdempotencyKey: "k0"}); err != nil {
		t.Fatalf("the retry of a claimed request was refused: %v", err)
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
	record := app.RecordStepHandler{Tracker: f.place.Tracker}

	done := make(chan order.Order)
	go func() {
		got, err := get.Handle(ctx, app.GetOrder{ID: o.ID, Wait: time.Minute})
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
