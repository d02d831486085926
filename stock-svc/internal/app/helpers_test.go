package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/obs"
	"github.com/example/order-saga/platform/statestore"
	"github.com/example/order-saga/stock-svc/internal/adapters"
	"github.com/example/order-saga/stock-svc/internal/app"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

var decidedAt = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// recordingPublisher keeps the ids of the events published, in order.
type recordingPublisher struct {
	mu     sync.Mutex
	events []string
}

func (p *recordingPublisher) StockReserved(_ context.Context, r inventory.Reservation) error {
	return p.record(r.OrderID, contracts.TypeStockReserved)
}

func (p *recordingPublisher) StockFailed(_ context.Context, r inventory.Reservation) error {
	return p.record(r.OrderID, contracts.TypeStockFailed)
}

func (p *recordingPublisher) StockReleased(_ context.Context, r inventory.Reservation) error {
	return p.record(r.OrderID, contracts.TypeStockReleased)
}

func (p *recordingPublisher) record(orderID, eventType string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events = append(p.events, contracts.EventID(orderID, eventType))
	return nil
}

// ids returns the sorted ids of the events published since the from-th.
func (p *recordingPublisher) ids(from int) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Sorted(slices.Values(p.events[from:]))
}

func (p *recordingPublisher) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.events)
}

// clock is a time a test moves by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// replica is one instance of stock-svc over a state store it may share
// with others: each has its own repositories, and so its own copies of
// the keys it wrote last.
type replica struct {
	stock    app.Stock
	reserve  app.ReserveStockHandler
	settle   app.SettleStockHandler
	put      app.PutProductHandler
	metrics  *obs.Metrics
	products *adapters.ProductRepository
}

type replicaOption func(*app.Stock)

func newReplica(t *testing.T, backend *statestore.Memory, pub *recordingPublisher, opts ...replicaOption) replica {
	t.Helper()
	m := obs.NewMetrics(contracts.AppStock)
	metrics := adapters.NewMetrics(m)
	products := adapters.NewProductRepository(backend, contracts.StockStore)
	s := app.Stock{
		Products:     products,
		Reservations: adapters.NewReservationRepository(backend, contracts.StockStore),
		Events:       pub,
		Metrics:      metrics,
		Log:          slog.New(slog.DiscardHandler),
		Now:          func() time.Time { return decidedAt },
	}
	for _, o := range opts {
		o(&s)
	}
	return replica{
		stock: s, reserve: app.ReserveStockHandler{Stock: s}, settle: app.SettleStockHandler{Stock: s},
		put: app.PutProductHandler{Stock: s}, metrics: m, products: products,
	}
}

func withClock(c *clock) replicaOption { return func(s *app.Stock) { s.Now = c.Now } }

// seeded returns a replica over a new store holding a grinder (20 units)
// and beans (500).
func seeded(t *testing.T, pub *recordingPublisher, opts ...replicaOption) (replica, *statestore.Memory) {
	t.Helper()
	backend := statestore.NewMemory()
	r := newReplica(t, backend, pub, opts...)
	if _, err := (app.SeedCatalogHandler{Stock: r.stock}).Handle(context.Background(), app.SeedCatalog{Products: []inventory.Product{
		{ID: "grinder", Name: "Burr grinder", PriceCents: 8900, Available: 20},
		{ID: "beans", Name: "Coffee beans 1 kg", PriceCents: 1899, Available: 500},
	}}); err != nil {
		t.Fatal(err)
	}
	return r, backend
}

func order(orderID string, lines ...inventory.Line) app.ReserveStock {
	return app.ReserveStock{OrderID: orderID, CustomerID: "customer-" + orderID, Lines: lines}
}

func paid(orderID string) app.SettleStock {
	return app.SettleStock{OrderID: orderID, EventType: contracts.TypePaymentCompleted}
}

func unpaid(orderID string) app.SettleStock {
	return app.SettleStock{OrderID: orderID, EventType: contracts.TypePaymentFailed}
}

// product asks for the product id with its name, price and available units.
func product(id, name string, priceCents int64, available int) app.PutProduct {
	return app.PutProduct{ID: id, Name: name, PriceCents: &priceCents, Available: &available}
}

func grinders(n int) inventory.Line { return inventory.Line{ProductID: "grinder", Quantity: n} }
func beans(n int) inventory.Line    { return inventory.Line{ProductID: "beans", Quantity: n} }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// stockOf returns the available, reserved and sold units of a product,
// as stored.
func (r replica) stockOf(t *testing.T, productID string) [3]int {
	t.Helper()
	p, _, err := r.stock.Products.Get(context.Background(), productID)
	must(t, err)
	return [3]int{p.Available, p.Reserved, p.Sold}
}

func (r replica) statusOf(t *testing.T, orderID string) inventory.Status {
	t.Helper()
	rec, _, err := r.stock.Reservations.Get(context.Background(), orderID)
	must(t, err)
	return rec.Status
}

// metric returns the value of a series written as name{label="value"},
// leaving out the service label.
func (r replica) metric(t *testing.T, series string) float64 {
	t.Helper()
	families, err := r.metrics.Registry.Gather()
	must(t, err)
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				if l.GetName() != "service" {
					labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
				}
			}
			name := f.GetName()
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			if name != series {
				continue
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}
