package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/order-svc/internal/app"
	"github.com/example/order-saga/order-svc/internal/domain/order"
)

// watchingMetrics remembers what it is told.
type watchingMetrics struct {
	mu            sync.Mutex
	finished      []order.Order
	contradicting []string
}

func (w *watchingMetrics) OrderCreated()       {}
func (w *watchingMetrics) OrderRedriven()      {}
func (w *watchingMetrics) OrderExpired(string) {}

func (w *watchingMetrics) OrderFinished(o order.Order) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.finished = append(w.finished, o)
}

func (w *watchingMetrics) EventContradicting(eventType string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.contradicting = append(w.contradicting, eventType)
}

// writeCounter counts the updates that write the order.
type writeCounter struct {
	app.Orders
	mu     sync.Mutex
	writes int
}

func (w *writeCounter) Update(ctx context.Context, id string, fn func(o *order.Order) (bool, error)) error {
	return w.Orders.Update(ctx, id, func(o *order.Order) (bool, error) {
		changed, err := fn(o)
		if changed && err == nil {
			w.mu.Lock()
			w.writes++
			w.mu.Unlock()
		}
		return changed, err
	})
}

func (w *writeCounter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writes
}

// stepFixture is a placed order and the handler of its saga steps.
type stepFixture struct {
	f      fixture
	id     string
	orders *writeCounter
	obs    *watchingMetrics
	log    *bytes.Buffer
	record app.RecordStepHandler
}

func newStepFixture(t *testing.T) stepFixture {
	t.Helper()
	f := newFixture()
	o, _, err := f.place.Handle(context.Background(), app.PlaceOrder{CustomerID: "alice", Items: kettle})
	if err != nil {
		t.Fatal(err)
	}
	sf := stepFixture{f: f, id: o.ID, orders: &writeCounter{Orders: f.orders}, obs: &watchingMetrics{}, log: &bytes.Buffer{}}
	log := slog.New(slog.NewJSONHandler(sf.log, nil))
	sf.record = app.RecordStepHandler{Tracker: app.Tracker{Orders: sf.orders, Metrics: sf.obs, Log: log, Waiters: f.place.Waiters}}
	return sf
}

var (
	reservedStep = app.RecordStep{EventType: contracts.TypeStockReserved, Step: order.Step{Kind: order.StockReserved, At: time.Unix(1, 0), TotalCents: 700}}
	paidStep     = app.RecordStep{EventType: contracts.TypePaymentCompleted, Step: order.Step{Kind: order.PaymentCompleted, At: time.Unix(2, 0)}}
	refusedStep  = app.RecordStep{EventType: contracts.TypePaymentFailed, Step: order.Step{Kind: order.PaymentFailed, At: time.Unix(2, 0), Reason: "insufficient balance"}}
	releasedStep = app.RecordStep{EventType: contracts.TypeStockReleased, Step: order.Step{Kind: order.StockReleased, At: time.Unix(3, 0)}}
	noStockStep  = app.RecordStep{EventType: contracts.TypeStockFailed, Step: order.Step{Kind: order.StockFailed, At: time.Unix(1, 0), Reason: "no stock"}}
)

func (sf stepFixture) handle(t *testing.T, cmds ...app.RecordStep) order.Order {
	t.Helper()
	for _, cmd := range cmds {
		cmd.OrderID = sf.id
		if err := sf.record.Handle(context.Background(), cmd); err != nil {
			t.Fatalf("%s: %v", cmd.EventType, err)
		}
	}
	o, _, err := sf.f.orders.Get(context.Background(), sf.id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestAPaymentBeforeTheReservationFinishesTheOrderOnlyWithTheReservation(t *testing.T) {
	t.Parallel()
	sf := newStepFixture(t)
	if o := sf.handle(t, paidStep); o.Status != order.Pending || len(sf.obs.finished) != 0 {
		t.Fatalf("after the payment alone: %s, %d finished", o.Status, len(sf.obs.finished))
	}
	o := sf.handle(t, reservedStep)
	if o.Status != order.Confirmed || o.TotalCents != 700 {
		t.Fatalf("status %s total %d, want CONFIRMED 700", o.Status, o.TotalCents)
	}
	if len(sf.obs.finished) != 1 || sf.obs.finished[0].TotalCents != 700 {
		t.Fatalf("finished %+v, want the order once, for 700", sf.obs.finished)
	}
}

func TestAContradictingEventIsAcknowledgedLoggedAndCountedAndWritesNothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		before []app.RecordStep
		event  app.RecordStep
		status order.Status
	}{
		{"missing stock after a confirmation", []app.RecordStep{reservedStep, paidStep}, noStockStep, order.Confirmed},
		{"a payment after missing stock", []app.RecordStep{noStockStep}, paidStep, order.Canceled},
		{"a payment after a refused one", []app.RecordStep{reservedStep, refusedStep, releasedStep}, paidStep, order.Canceled},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sf := newStepFixture(t)
			before := sf.handle(t, tc.before...)
			writes := sf.orders.count()
			sf.log.Reset()

			after := sf.handle(t, tc.event)
			if !reflect.DeepEqual(after, before) {
				t.Fatalf("the order changed from\n%+v\nto\n%+v", before, after)
			}
			if n := sf.orders.count() - writes; n != 0 {
				t.Fatalf("%d writes, want none", n)
			}
			if !reflect.DeepEqual(sf.obs.contradicting, []string{tc.event.EventType}) {
				t.Fatalf("counted %v, want [%s]", sf.obs.contradicting, tc.event.EventType)
			}
			var line struct {
				Level, OrderID, EventType, Status string
			}
			if err := json.Unmarshal(sf.log.Bytes(), &line); err != nil {
				t.Fatalf("log %q: %v", sf.log, err)
			}
			if line.Level != "WARN" || line.OrderID != sf.id || line.EventType != tc.event.EventType || line.Status != string(tc.status) {
				t.Fatalf("logged %+v, want a warning naming %s, %s and %s", line, sf.id, tc.event.EventType, tc.status)
			}
		})
	}
}

func TestTheReleaseAfterARefusedPaymentIsRecordedWithoutContradiction(t *testing.T) {
	t.Parallel()
	sf := newStepFixture(t)
	before := sf.handle(t, reservedStep, refusedStep)
	writes := sf.orders.count()
	after := sf.handle(t, releasedStep)
	if !after.Steps.StockReleased || sf.orders.count() != writes+1 {
		t.Fatalf("the release was not written: %+v", after.Steps)
	}
	if after.Status != order.Canceled || after.Reason != before.Reason || len(after.History) != len(before.History) {
		t.Fatalf("the canceled order moved: %+v", after)
	}
	if len(sf.obs.contradicting) != 0 || len(sf.obs.finished) != 1 {
		t.Fatalf("contradicting %v, finished %d times; want none and once", sf.obs.contradicting, len(sf.obs.finished))
	}
}
