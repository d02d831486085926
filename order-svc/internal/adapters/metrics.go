package adapters

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/example/order-saga/order-svc/internal/app"
	"github.com/example/order-saga/order-svc/internal/domain/order"
	"github.com/example/order-saga/platform/obs"
)

// Metrics are order-svc's business metrics, beside the shared ones.
type Metrics struct {
	shared   *obs.Metrics
	created  prometheus.Counter
	finished *prometheus.CounterVec
	duration prometheus.Histogram
	pending  prometheus.Gauge
	redriven prometheus.Counter
	expired  *prometheus.CounterVec
}

// NewMetrics registers the business metrics on the shared registry.
func NewMetrics(shared *obs.Metrics) *Metrics {
	m := &Metrics{
		shared: shared,
		created: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "saga_orders_created_total", Help: "Orders stored, once each.",
		}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "saga_orders_pending",
			Help: "Orders stored but not final, as counted by this instance: +1 when it stores one, -1 when it sees one finish. Sum over instances.",
		}),
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "saga_orders_finished_total", Help: "Orders that reached a final status, by status.",
		}, []string{"status"}),
		redriven: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "saga_orders_redriven_total", Help: "Open orders whose OrderCreated was published again because they stayed open too long.",
		}),
		expired: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "saga_orders_expired_total",
			Help: "Orders order-svc canceled before they ended, by cause: their deadline passed (deadline), or one of their events was given up on (dead_letter).",
		}, []string{"cause"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "saga_order_duration_seconds", Help: "Time from an order's creation to its final status.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}),
	}
	shared.Registry.MustRegister(m.created, m.finished, m.duration, m.pending, m.redriven, m.expired)
	// Both statuses are present from the start, so rates work at once.
	m.finished.WithLabelValues("confirmed")
	m.finished.WithLabelValues("canceled")
	m.expired.WithLabelValues(app.CauseDeadline)
	m.expired.WithLabelValues(app.CauseDeadLetter)
	return m
}

// OrderCreated implements app.Metrics.
func (m *Metrics) OrderCreated() {
	m.created.Inc()
	m.pending.Inc()
}

// OrderRedriven implements app.Metrics.
func (m *Metrics) OrderRedriven() { m.redriven.Inc() }

// OrderExpired implements app.Metrics.
func (m *Metrics) OrderExpired(cause string) { m.expired.WithLabelValues(cause).Inc() }

// OrderFinished implements app.Metrics.
func (m *Metrics) OrderFinished(o order.Order) {
	m.finished.WithLabelValues(strings.ToLower(string(o.Status))).Inc()
	m.pending.Dec()
	m.duration.Observe(o.UpdatedAt.Sub(o.CreatedAt).Seconds())
}

// EventContradicting implements app.Metrics, with the shared counter
// that stock-svc uses too.
func (m *Metrics) EventContradicting(eventType string) { m.shared.EventContradicting(eventType) }
