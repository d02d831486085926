package adapters

import (
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/example/order-saga/platform/obs"

	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// StockMetrics counts reservations, releases and sales, and shows the
// stock level of each product.
type StockMetrics struct {
	service      *obs.Metrics
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

// NewStockMetrics registers the stock metrics on the service's registry.
func NewStockMetrics(service *obs.Metrics) (*StockMetrics, error) {
	m := &StockMetrics{
		service:   service,
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
	for _, c := range []prometheus.Collector{m.reservations, m.releases, m.soldUnits, m.available, m.reserved} {
		if err := service.Registry.Register(c); err != nil {
			return nil, err
		}
	}
	m.reservations.WithLabelValues(outcome(inventory.StatusReserved))
	m.reservations.WithLabelValues(outcome(inventory.StatusFailed))
	return m, nil
}

func outcome(s inventory.Status) string { return strings.ToLower(string(s)) }

// ReservationDecided counts a new decision.
func (m *StockMetrics) ReservationDecided(s inventory.Status) {
	m.reservations.WithLabelValues(outcome(s)).Inc()
}

// EventContradicting counts an event its order's record contradicts.
func (m *StockMetrics) EventContradicting(eventType string) { m.service.EventContradicting(eventType) }

// StockReleased counts a reservation given back.
func (m *StockMetrics) StockReleased() { m.releases.Inc() }

// UnitsSold counts units sold.
func (m *StockMetrics) UnitsSold(units int) { m.soldUnits.Add(float64(units)) }

// maxProductGauges bounds the products the gauges show, so that a catalog
// of a million products cannot make a million series: the first ones
// written since the process started are shown, and the API has the rest.
const maxProductGauges = 1000

// StockLevel shows the units of p, unless the gauges show a later copy of
// it already. A deleted product leaves the gauges.
func (m *StockMetrics) StockLevel(p inventory.Product) {
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
