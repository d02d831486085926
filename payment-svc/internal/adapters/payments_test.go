package adapters_test

import (
	"context"
	"testing"
	"time"

	"github.com/example/order-saga/payment-svc/internal/adapters"
	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
	"github.com/example/order-saga/platform/statestore"
)

func TestTheFirstPaymentRecordOfAnOrderStands(t *testing.T) {
	t.Parallel()
	payments := adapters.NewPaymentRepository(statestore.NewMemory(), "paymentstore")
	first := wallet.PaymentOf("o1", "c1", wallet.Decision{Seq: 1, Status: wallet.Completed, AmountCents: 10, At: at})
	second := wallet.PaymentOf("o1", "c1", wallet.Decision{Seq: 2, Status: wallet.Failed, AmountCents: 10, Reason: "r", At: at.Add(time.Second)})
	tests := []struct {
		name        string
		create      wallet.Payment
		wantCreated bool
	}{
		{"the first record is created", first, true},
		{"a later record gets the first one back", second, false},
	}
	for _, tt := range tests { // in order: each case builds on the one before
		t.Run(tt.name, func(t *testing.T) {
			got, created, err := payments.Create(context.Background(), tt.create)
			if err != nil || created != tt.wantCreated || got != first {
				t.Fatalf("got %+v created=%v err=%v, want %+v created=%v", got, created, err, first, tt.wantCreated)
			}
		})
	}
	stored, found, err := payments.Get(context.Background(), "o1")
	if err != nil || !found || stored != first {
		t.Fatalf("stored %+v found=%v err=%v", stored, found, err)
	}
}
