package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/statestore"
	"github.com/example/order-saga/stock-svc/internal/adapters"
	"github.com/example/order-saga/stock-svc/internal/app"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

var decidedAt = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// recordingPublisher keeps what was published, in order.
type recordingPublisher struct {
	mu     sync.Mutex
	events []contracts.Header
}

func (p *recordingPublisher) Publish(_ context.Context, h contracts.Header, _ any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events = append(p.events, h)
	return nil
}

// ids returns the ids of the events published since the from-th.
func (p *recordingPublisher) ids(from int) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ids []string
	for _, h := range p.events[from:] {
		ids = append(ids, h.EventID)
	}
	sort.Strings(ids)
	return ids
}

func (p *recordingPublisher) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.events)
}

// replica is one instance of stock-svc over a state store it may share
// with others.
type replica struct {
	app          *app.Application
	catalog      app.CatalogRepository
	reservations app.ReservationRepository
	registry     *prometheus.Registry
}

type replicaOption func(*app.Deps)

func newReplica(t *testing.T, backend *statestore.Memory, pub *recordingPublisher, opts ...replicaOption) replica {
	t.Helper()
	reg := prometheus.NewRegistry()
	metrics, err := adapters.NewStockMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	deps := app.Deps{
		Catalog:      adapters.NewCatalogRepository(backend, contracts.StockStore),
		Reservations: adapters.NewReservationRepository(backend, contracts.StockStore),
		Publisher:    pub,
		Metrics:      metrics,
		Log:          slog.New(slog.DiscardHandler),
		Now:          func() time.Time { return decidedAt },
	}
	for _, o := range opts {
		o(&deps)
	}
	return replica{
		app: app.New(deps), catalog: deps.Catalog,
		reservations: deps.Reservations, registry: reg,
	}
}

// seeded returns a replica over a new store holding the starter products.
func seeded(t *testing.T, pub *recordingPublisher) (replica, *statestore.Memory) {
	t.Helper()
	backend := statestore.NewMemory()
	r := newReplica(t, backend, pub)
	if _, err := r.app.SeedCatalog(context.Background(), []inventory.Product{
		{ID: "grinder", Name: "Burr grinder", PriceCents: 8900, Available: 20},
		{ID: "beans", Name: "Coffee beans 1 kg", PriceCents: 1899, Available: 500},
	}); err != nil {
		t.Fatal(err)
	}
	return r, backend
}

func orderCreated(orderID string, items ...contracts.Item) contracts.OrderCreated {
	return contracts.OrderCreated{
		Header:     contracts.NewHeader(contracts.TypeOrderCreated, orderID, decidedAt),
		CustomerID: "customer-" + orderID,
		Items:      items,
	}
}

func paymentCompleted(orderID string) contracts.PaymentCompleted {
	return contracts.PaymentCompleted{Header: contracts.NewHeader(contracts.TypePaymentCompleted, orderID, decidedAt)}
}

func paymentFailed(orderID string) contracts.PaymentFailed {
	return contracts.PaymentFailed{Header: contracts.NewHeader(contracts.TypePaymentFailed, orderID, decidedAt)}
}

func grinders(n int) contracts.Item { return contracts.Item{ProductID: "grinder", Quantity: n} }

// stockOf returns the available and reserved units of a product.
func (r replica) stockOf(t *testing.T, productID string) [2]int {
	t.Helper()
	c, _, err := r.catalog.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p, _ := c.Product(productID)
	return [2]int{p.Available, p.Reserved}
}

func (r replica) statusOf(t *testing.T, orderID string) inventory.Status {
	t.Helper()
	rec, _, err := r.reservations.Get(context.Background(), orderID)
	if err != nil {
		t.Fatal(err)
	}
	return rec.Status
}

// metric returns the value of a series written as name{label="value"}.
func (r replica) metric(t *testing.T, series string) float64 {
	t.Helper()
	families, err := r.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
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

func repeat(id string, n int) []string { return slices.Repeat([]string{id}, n) }
