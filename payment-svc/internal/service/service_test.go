package service_test

import (
	"testing"

	platform "github.com/example/order-saga/platform/app"

	"github.com/example/order-saga/payment-svc/internal/service"
)

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		balance int64
		wantErr bool
	}{
		{"the default opening balance builds a service", 100000, false},
		{"a zero opening balance builds a service", 0, false},
		{"a negative opening balance stops the service from starting", -1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := platform.Config{Name: "payment-svc", DaprGRPCPort: 1}
			_, err := service.New(service.Config{App: cfg, DefaultBalanceCents: tt.balance})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want an error: %v", err, tt.wantErr)
			}
		})
	}
}
