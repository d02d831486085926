package service_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/payment-svc/internal/service"
	"github.com/example/order-saga/platform/frame"
)

// TestNew sets PAYMENT_DEFAULT_BALANCE_CENTS, so it does not run in
// parallel.
func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		balance string // PAYMENT_DEFAULT_BALANCE_CENTS; empty is unset
		wantErr bool
	}{
		{"the default opening balance builds a service", "", false},
		{"a set opening balance builds a service", "100000", false},
		{"a zero opening balance builds a service", "0", false},
		{"a negative opening balance stops the service from starting", "-1", true},
		{"an opening balance above the maximum stops the service from starting", "100000000001", true},
		{"an opening balance that is not a number stops the service from starting", "ten", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PAYMENT_DEFAULT_BALANCE_CENTS", tt.balance)
			cfg := frame.Config{Name: contracts.AppPayment, DaprGRPCPort: 1, AppToken: "app", DaprToken: "dapr", AdminToken: "admin"}
			_, err := service.New(cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want an error: %v", err, tt.wantErr)
			}
		})
	}
}

// TestNewMountsTheAPIAndSubscribesToStock needs no sidecar: a malformed
// customer id is refused before any store is read.
func TestNewMountsTheAPIAndSubscribesToStock(t *testing.T) {
	t.Setenv("PAYMENT_DEFAULT_BALANCE_CENTS", "")
	a, err := service.New(frame.Config{Name: contracts.AppPayment, DaprGRPCPort: 1, AppToken: "app", DaprToken: "dapr", AdminToken: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	a.Router.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/wallets/a%20b", nil))
	if rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("GET /wallets/a%%20b answered %d, want 422", rec.Code)
	}
	rec = httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/dapr/subscribe", nil)
	req.Header.Set("dapr-api-token", "app")
	a.Router.ServeHTTP(rec, req)
	if body := rec.Body.String(); !strings.Contains(body, `"topic":"`+contracts.TopicStock+`"`) {
		t.Errorf("subscriptions %s, want the stock topic", body)
	}
}

func TestNoAdminTokenStopsTheServiceFromStarting(t *testing.T) {
	t.Setenv("PAYMENT_DEFAULT_BALANCE_CENTS", "")
	if _, err := service.New(frame.Config{Name: contracts.AppPayment, DaprGRPCPort: 1, AppToken: "app", DaprToken: "dapr"}); err == nil {
		t.Fatal("payment-svc started with its admin routes open")
	}
}
