package adapters

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
)

// PaymentMetrics counts payments as they are first recorded.
type PaymentMetrics struct {
	payments *prometheus.CounterVec
	charged  prometheus.Counter
}

// NewPaymentMetrics registers the payment counters on reg.
func NewPaymentMetrics(reg prometheus.Registerer) (*PaymentMetrics, error) {
	m := &PaymentMetrics{
		payments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "saga_payments_total", Help: "Payments recorded, by status (completed, failed).",
		}, []string{"status"}),
		charged: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "saga_payment_charged_cents_total", Help: "Cents taken from wallets by completed payments.",
		}),
	}
	for _, c := range []prometheus.Collector{m.payments, m.charged} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	// Both statuses show from the start, at zero, so rates work at once.
	m.payments.WithLabelValues(statusLabel(wallet.Completed))
	m.payments.WithLabelValues(statusLabel(wallet.Failed))
	return m, nil
}

// PaymentRecorded counts a payment whose record was just created.
func (m *PaymentMetrics) PaymentRecorded(p wallet.Payment) {
	m.payments.WithLabelValues(statusLabel(p.Status)).Inc()
	if p.Status == wallet.Completed {
		m.charged.Add(float64(p.AmountCents))
	}
}

func statusLabel(s wallet.Status) string { return strings.ToLower(string(s)) }
