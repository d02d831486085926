// Package obs holds what every service exposes for operation: Prometheus
// metrics on an explicit registry and structured logs.
package obs

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/example/order-saga/contracts"
)

// Metrics is a service's registry with the metrics every service has.
type Metrics struct {
	Registry *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	events       *prometheus.CounterVec
	eventTime    *prometheus.HistogramVec
	contradicts  *prometheus.CounterVec
}

// NewMetrics returns a registry with the Go, process, HTTP and event
// handling metrics of the service called service.
func NewMetrics(service string) *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	constLabels := prometheus.Labels{"service": service}
	m := &Metrics{
		Registry: reg,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "saga_http_requests_total", Help: "HTTP requests by route pattern, method and status code.", ConstLabels: constLabels,
		}, []string{"route", "method", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "saga_http_request_duration_seconds", Help: "HTTP request duration by route pattern and method.", ConstLabels: constLabels,
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"route", "method"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "saga_events_handled_total", Help: "Events handled by topic, event type and outcome (success, retry, dead_letter).", ConstLabels: constLabels,
		}, []string{"topic", "event_type", "outcome"}),
		eventTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "saga_event_handler_duration_seconds", Help: "Event handler duration by topic and event type.", ConstLabels: constLabels,
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"topic", "event_type"}),
		contradicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "saga_events_contradicting_total", Help: "Events acknowledged without effect because they contradict what the service recorded for their order, by event type.", ConstLabels: constLabels,
		}, []string{"event_type"}),
	}
	reg.MustRegister(m.httpRequests, m.httpDuration, m.events, m.eventTime, m.contradicts)
	// Every event type is present from the start, so increase() sees the
	// first contradiction; the values are the contracts' constants only.
	for _, t := range []string{contracts.TypeOrderCreated, contracts.TypeStockReserved, contracts.TypeStockFailed,
		contracts.TypePaymentCompleted, contracts.TypePaymentFailed, contracts.TypeStockReleased,
		contracts.TypeOrderCanceled, contracts.TypePaymentRefunded} {
		m.contradicts.WithLabelValues(t)
	}
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// EventHandled counts one handled message.
func (m *Metrics) EventHandled(topic, eventType, outcome string, took time.Duration) {
	if eventType == "" {
		eventType = "unknown"
	}
	m.events.WithLabelValues(topic, eventType, outcome).Inc()
	m.eventTime.WithLabelValues(topic, eventType).Observe(took.Seconds())
}

// EventContradicting counts one event that contradicts what the service
// recorded for its order, and was acknowledged without effect. eventType
// is one of the contracts type constants; anything else counts as
// "unknown", so that input can never add a label value.
func (m *Metrics) EventContradicting(eventType string) {
	if contracts.TopicOf(eventType) == "" {
		eventType = "unknown"
	}
	m.contradicts.WithLabelValues(eventType).Inc()
}

// Middleware counts and times requests by their chi route pattern, which
// keeps the label set small whatever the URLs.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		method := methodLabel(r.Method)
		m.httpRequests.WithLabelValues(route, method, strconv.Itoa(sw.status)).Inc()
		m.httpDuration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	})
}

// methodLabel is the metric label of an HTTP method: one of the standard
// methods, or "other", so that no request can add a label value.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
