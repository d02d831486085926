package adapters

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
	"github.com/example/order-saga/platform/obs"
)

// Metrics are payment-svc's business metrics, beside the shared ones: the
// payments as they are first recorded.
type Metrics struct {
	payments *prometheus.CounterVec
	charged  prometheus.Counter
	refunded prometheus.Counter
}

// NewMetrics registers the business metrics on the shared registry.
func NewMetrics(shared *obs.Metrics) *Metrics {
	m := &Metrics{
		payments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "saga_payments_total", Help: "Payments recorded, by status (completed, failed), and those of canceled orders refunded or voided.",
		}, []string{"status"}),
		charged: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "saga_payment_charged_cents_total", Help: "Cents taken from wallets by completed payments.",
		}),
		refunded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "saga_payment_refunded_cents_total", Help: "Cents given back to wallets for payments of canceled orders.",
		}),
	}
	shared.Registry.MustRegister(m.payments, m.charged, m.refunded)
	// Both statuses show from the start, at zero, so rates work at once.
	m.payments.WithLabelValues(statusLabel(wallet.Completed))
	m.payments.WithLabelValues(statusLabel(wallet.Failed))
	m.payments.WithLabelValues(statusLabel(wallet.Refunded))
	m.payments.WithLabelValues(statusLabel(wallet.Voided))
	return m
}

// PaymentRecorded implements app.Metrics: it counts a payment whose record
// was just created.
func (m *Metrics) PaymentRecorded(p wallet.Payment) {
	m.payments.WithLabelValues(statusLabel(p.Status)).Inc()
	if p.Status == wallet.Completed {
		m.charged.Add(float64(p.AmountCents))
	}
}

func statusLabel(s wallet.Status) string { return strings.ToLower(string(s)) }

// PaymentRefunded implements app.Metrics: it counts a payment just
// refunded or voided, with the cents given back.
func (m *Metrics) PaymentRefunded(p wallet.Payment) {
	m.payments.WithLabelValues(statusLabel(p.Status)).Inc()
	m.refunded.Add(float64(p.GivenBackCents()))
}
