package adapters_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/payment-svc/internal/adapters"
	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
	"github.com/example/order-saga/platform/obs"
)

func TestPaymentsAreCountedByStatusAndChargedCentsAreSummed(t *testing.T) {
	t.Parallel()
	shared := obs.NewMetrics(contracts.AppPayment)
	m := adapters.NewMetrics(shared)
	m.PaymentRecorded(wallet.PaymentOf("a", "c", wallet.Decision{Status: wallet.Completed, AmountCents: 300}))
	m.PaymentRecorded(wallet.PaymentOf("b", "c", wallet.Decision{Status: wallet.Completed, AmountCents: 200}))
	m.PaymentRecorded(wallet.PaymentOf("c", "c", wallet.Decision{Status: wallet.Failed, AmountCents: 9000}))

	want := `
# HELP saga_payment_charged_cents_total Cents taken from wallets by completed payments.
# TYPE saga_payment_charged_cents_total counter
saga_payment_charged_cents_total 500
# HELP saga_payments_total Payments recorded, by status (completed, failed), and those of canceled orders refunded or voided.
# TYPE saga_payments_total counter
saga_payments_total{status="completed"} 2
saga_payments_total{status="failed"} 1
saga_payments_total{status="refunded"} 0
saga_payments_total{status="voided"} 0
`
	if err := testutil.GatherAndCompare(shared.Registry, strings.NewReader(want), "saga_payment_charged_cents_total", "saga_payments_total"); err != nil {
		t.Fatal(err)
	}
}

func TestEveryStatusIsExposedBeforeAnyPayment(t *testing.T) {
	t.Parallel()
	shared := obs.NewMetrics(contracts.AppPayment)
	adapters.NewMetrics(shared)
	if n, err := testutil.GatherAndCount(shared.Registry, "saga_payments_total"); err != nil || n != 4 {
		t.Fatalf("%d series, err %v; want 4", n, err)
	}
}
