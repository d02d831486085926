package adapters

import (
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/example/order-saga/platform/obs"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// Metrics counts reservations, releases and sales, and shows the stock
// level of each product: stock-svc's business metrics, beside the shared
// ones.
type Metrics struct {
	shared       *obs.Metrics
	reservations *prometheus.CounterVec
	releases     prometheus.Counter
	soldUnits    prometheus.Counter
	available    *prometheus.GaugeVec
	reserved     *prometheus.GaugeVec

	mu sync.Mutex
	// revisions are those of the products the gauges show: an older copy,
	// told late by a slower handler, must not overwrite a newer one.
	revisions map[string]int64
}

// NewMetrics registers the business metrics on the shared registry.
func NewMetrics(shared *obs.Metrics) *Metrics {
	m := &Metrics{
		shared:    shared,
		revisions: map[string]int64{},
		reservations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "saga_stock_reservations_total", Help: "Orders decided by stock, by outcome (reserved, failed).",
		}, []string{"outcome"}),
		releases: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "saga_stock_releases_total", Help: "Reservations given back to stock after a failed payment.",
		}),
		soldUnits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "saga_stock_sold_units_total", Help: "Units that left stock with a paid order.",
		}),
		available: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "saga_stock_available", Help: "Units of a product that can be reserved.",
		}, []string{"product"}),
		reserved: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "saga_stock_reserved", Help: "Units of a product held for orders not paid yet.",
		}, []string{"product"}),
	}
	shared.Registry.MustRegister(m.reservations, m.releases, m.soldUnits, m.available, m.reserved)
	// Both outcomes are present from the start, so rates work at once.
	m.reservations.WithLabelValues(outcome(inventory.StatusReserved))
	m.reservations.WithLabelValues(outcome(inventory.StatusFailed))
	return m
}

func outcome(s inventory.Status) string { return strings.ToLower(string(s)) }

// ReservationDecided counts a new decision.
func (m *Metrics) ReservationDecided(s inventory.Status) {
	m.reservations.WithLabelValues(outcome(s)).Inc()
}

// EventContradicting counts an event its order's record contradicts.
func (m *Metrics) EventContradicting(eventType string) { m.shared.EventContradicting(eventType) }

// StockReleased counts a reservation given back.
func (m *Metrics) StockReleased() { m.releases.Inc() }

// UnitsSold counts units sold.
func (m *Metrics) UnitsSold(units int) { m.soldUnits.Add(float64(units)) }

// maxProductGauges bounds the products the gauges show, so that a catalog
// of a million products cannot make a million series: the first ones
// written since the process started are shown, and the API has the rest.
const maxProductGauges = 1000

// StockLevel shows the units of p, unless the gauges show a later copy of
// it already. A deleted product leaves the gauges.
func (m *Metrics) StockLevel(p inventory.Product) {
	m.mu.Lock()
	defer m.mu.Unlock()
	shown, ok := m.revisions[p.ID]
	if p.Revision <= shown || (!ok && len(m.revisions) >= maxProductGauges) {
		return
	}
	m.revisions[p.ID] = p.Revision
	if p.Deleted {
		m.available.DeleteLabelValues(p.ID)
		m.reserved.DeleteLabelValues(p.ID)
		return
	}
	m.available.WithLabelValues(p.ID).Set(float64(p.Available))
	m.reserved.WithLabelValues(p.ID).Set(float64(p.Reserved))
}
