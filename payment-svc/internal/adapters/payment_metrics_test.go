package adapters_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/example/order-saga/payment-svc/internal/adapters"
	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
)

func TestPaymentsAreCountedByStatusAndChargedCentsAreSummed(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := adapters.NewPaymentMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.PaymentRecorded(wallet.PaymentOf("a", "c", wallet.Decision{Status: wallet.Completed, AmountCents: 300}))
	m.PaymentRecorded(wallet.PaymentOf("b", "c", wallet.Decision{Status: wallet.Completed, AmountCents: 200}))
	m.PaymentRecorded(wallet.PaymentOf("c", "c", wallet.Decision{Status: wallet.Failed, AmountCents: 9000}))

	want := `
# HELP saga_payment_charged_cents_total Cents taken from wallets by completed payments.
# TYPE saga_payment_charged_cents_total counter
saga_payment_charged_cents_total 500
# HELP saga_payments_total Payments recorded, by status (completed, failed).
# TYPE saga_payments_total counter
saga_payments_total{status="completed"} 2
saga_payments_total{status="failed"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}

func TestBothStatusesAreExposedBeforeAnyPayment(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	if _, err := adapters.NewPaymentMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if n, err := testutil.GatherAndCount(reg, "saga_payments_total"); err != nil || n != 2 {
		t.Fatalf("%d series, err %v; want 2", n, err)
	}
}
