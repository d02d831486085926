package app_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/order-svc/internal/adapters"
	"github.com/example/order-saga/order-svc/internal/app"
	"github.com/example/order-saga/order-svc/internal/domain/order"
	"github.com/example/order-saga/platform/statestore"
)

type recordingEvents struct {
	mu       sync.Mutex
	sent     []order.Order
	canceled []order.Order
	fail     error
}

func (r *recordingEvents) OrderCanceled(_ context.Context, o order.Order) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.canceled = append(r.canceled, o)
	return nil
}

// deadlinesSeen remembers the deadlines stored, by order.
type deadlinesSeen struct {
	mu sync.Mutex
	at map[string]time.Time
}

func (d *deadlinesSeen) Add(_ context.Context, id string, at time.Time, _ int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.at == nil {
		d.at = map[string]time.Time{}
	}
	d.at[id] = at
	return nil
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
func (nopMetrics) OrderRedriven()            {}
func (nopMetrics) OrderExpired(string)       {}

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
			Deadlines: &deadlinesSeen{}, Deadline: time.Minute,
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
	claimed := app.Claim{RequestHash: "7c1da90ea599159e396e9ee4e074197a", OrderID: "5e0c3a52-3c8b-4a57-9a60-0d3c2a1f7b10"}
	if _, err := f.place.Claims.Claim(ctx, "alice", "k0", claimed); err != nil {
		t.Fatal(err)
	}
	o, _, err := f.place.Handle(ctx, app.PlaceOrder{CustomerID: "alice", Items: kettle, IdempotencyKey: "k0"})
	if err != nil {
		t.Fatalf("the retry of a claimed request was refused: %v", err)
	}
	if o.ID != claimed.OrderID {
		t.Fatalf("the retry placed order %s, want the claimed %s", o.ID, claimed.OrderID)
	}
}

func TestAnIdempotencyKeyIsEachCustomersOwnAndTellsNothingOfTheOrderId(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture()
	alice, _, err := f.place.Handle(ctx, app.PlaceOrder{CustomerID: "alice", Items: kettle, IdempotencyKey: "shared"})
	if err != nil {
		t.Fatal(err)
	}
	// Another customer with the same key, even for another request, gets
	// an order of her own: the key does not block her.
	bob, replayed, err := f.place.Handle(ctx, app.PlaceOrder{CustomerID: "bob", Items: []order.Item{{ProductID: "kettle", Quantity: 3}}, IdempotencyKey: "shared"})
	if err != nil || replayed || bob.ID == alice.ID || bob.CustomerID != "bob" {
		t.Fatalf("bob's order with alice's key: %v replayed=%v %+v", err, replayed, bob)
	}
	// The same customer and key on another store give another id: an id
	// cannot be worked out from the key ahead of the order.
	other, _, err := newFixture().place.Handle(ctx, app.PlaceOrder{CustomerID: "alice", Items: kettle, IdempotencyKey: "shared"})
	if err != nil || other.ID == alice.ID {
		t.Fatalf("the id followed from the key: %v %s", err, other.ID)
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
	get := app.GetOrderHandler{Orders: f.orders, Waiters: f.place.Waiters}
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

// waitFor starts a waiting read of id and returns what it answers, once
// the read is registered.
func waitFor(t *testing.T, get app.GetOrderHandler, id string) <-chan order.Order {
	t.Helper()
	done := make(chan order.Order, 1)
	before := get.Waiters.Waiting(id)
	go func() {
		got, err := get.Handle(context.Background(), app.GetOrder{ID: id, Wait: time.Minute})
		if err != nil {
			t.Error(err)
		}
		done <- got
	}()
	for deadline := time.Now().Add(10 * time.Second); get.Waiters.Waiting(id) == before; {
		if time.Now().After(deadline) {
			t.Fatal("the read never started waiting")
		}
		<-time.After(time.Millisecond)
	}
	return done
}

func TestAWaitingReadOfAnOrderAnotherInstanceFinishesIsWokenByOneSharedRead(t *testing.T) {
	t.Parallel()
	f := newFixture()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o, _, err := f.place.Handle(ctx, app.PlaceOrder{CustomerID: "alice", Items: kettle})
	if err != nil {
		t.Fatal(err)
	}
	get := app.GetOrderHandler{Orders: f.orders, Waiters: f.place.Waiters}
	first, second := waitFor(t, get, o.ID), waitFor(t, get, o.ID)

	// Another instance records the finish: this one's waiters are not told.
	other := app.RecordStepHandler{Tracker: app.Tracker{Orders: f.orders, Metrics: nopMetrics{}, Log: slog.New(slog.DiscardHandler), Waiters: app.NewFinishWaiters()}}
	failed := order.Step{Kind: order.StockFailed, At: time.Now(), Reason: "no stock"}
	if err := other.Handle(ctx, app.RecordStep{OrderID: o.ID, EventType: contracts.TypeStockFailed, Step: failed}); err != nil {
		t.Fatal(err)
	}
	reads := &countingOrders{Orders: f.orders}
	go f.place.Waiters.Watch(ctx, reads, 10*time.Millisecond, slog.New(slog.DiscardHandler))
	for _, done := range []<-chan order.Order{first, second} {
		select {
		case got := <-done:
			if got.Status != order.Canceled {
				t.Fatalf("status %s, want CANCELED", got.Status)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the waiting read was not woken")
		}
	}
	if n := reads.gets.Load(); n != 0 {
		t.Errorf("the watch read orders one by one (%d reads)", n)
	}
}

type countingOrders struct {
	app.Orders
	gets atomic.Int64
}

func (c *countingOrders) Get(ctx context.Context, id string) (order.Order, bool, error) {
	c.gets.Add(1)
	return c.Orders.Get(ctx, id)
}

func TestWaitingReadsBeyondTheLimitAreRefusedAndTheOthersStillServed(t *testing.T) {
	t.Parallel()
	f := newFixture()
	f.place.Waiters.Max = 2
	ctx := context.Background()
	o, _, err := f.place.Handle(ctx, app.PlaceOrder{CustomerID: "alice", Items: kettle})
	if err != nil {
		t.Fatal(err)
	}
	get := app.GetOrderHandler{Orders: f.orders, Waiters: f.place.Waiters}
	waiting := []<-chan order.Order{waitFor(t, get, o.ID), waitFor(t, get, o.ID)}
	if _, err := get.Handle(ctx, app.GetOrder{ID: o.ID, Wait: time.Minute}); !errors.Is(err, app.ErrTooManyWaiting) {
		t.Fatalf("a third waiting read: %v, want ErrTooManyWaiting", err)
	}
	if got, err := get.Handle(ctx, app.GetOrder{ID: o.ID}); err != nil || got.ID != o.ID {
		t.Fatalf("a read without waiting: %v", err)
	}
	record := app.RecordStepHandler{Tracker: f.place.Tracker}
	failed := order.Step{Kind: order.StockFailed, At: time.Now(), Reason: "no stock"}
	if err := record.Handle(ctx, app.RecordStep{OrderID: o.ID, EventType: contracts.TypeStockFailed, Step: failed}); err != nil {
		t.Fatal(err)
	}
	for _, done := range waiting {
		<-done
	}
	// The finished reads gave their places back.
	if _, err := get.Handle(ctx, app.GetOrder{ID: o.ID, Wait: time.Minute}); err != nil {
		t.Fatalf("a waiting read once the others ended: %v", err)
	}
}

func TestAnIdNoOrderCanHaveIsNotFoundWithoutARead(t *testing.T) {
	t.Parallel()
	f := newFixture()
	reads := &countingOrders{Orders: f.orders}
	get := app.GetOrderHandler{Orders: reads, Waiters: f.place.Waiters}
	for _, id := range []string{"a||b", "", strings.Repeat("x", 65), "a b"} {
		if _, err := get.Handle(context.Background(), app.GetOrder{ID: id, Wait: time.Second}); !errors.Is(err, order.ErrNotFound) {
			t.Errorf("%q: %v, want not found", id, err)
		}
	}
	if n := reads.gets.Load(); n != 0 {
		t.Errorf("%d reads for ids no order can have", n)
	}
}
