package ports_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/problem"
)

func TestWalletRequests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		wantStatus  int
		wantField   string // a field the problem must name
	}{
		{"a customer never seen has the opening balance", http.MethodGet, "/wallets/alice@example.com", "", "", http.StatusOK, ""},
		{"a malformed customer id is named in the problem", http.MethodGet, "/wallets/" + strings.Repeat("x", 65), "", "", http.StatusUnprocessableEntity, "customerId"},
		{"a customer id with a forbidden character is named in the problem", http.MethodPut, "/wallets/a%20b", "application/json", `{"balanceCents":1}`, http.StatusUnprocessableEntity, "customerId"},
		{"setting a balance answers with the wallet", http.MethodPut, "/wallets/c1", "application/json", `{"balanceCents":1234}`, http.StatusOK, ""},
		{"a zero balance can be set", http.MethodPut, "/wallets/c1", "application/json; charset=utf-8", `{"balanceCents":0}`, http.StatusOK, ""},
		{"a negative balance is named in the problem", http.MethodPut, "/wallets/c1", "application/json", `{"balanceCents":-1}`, http.StatusUnprocessableEntity, "balanceCents"},
		{"a balance above the maximum is named in the problem", http.MethodPut, "/wallets/c1", "application/json", `{"balanceCents":100000000001}`, http.StatusUnprocessableEntity, "balanceCents"},
		{"a missing balance is named in the problem", http.MethodPut, "/wallets/c1", "application/json", `{}`, http.StatusUnprocessableEntity, "balanceCents"},
		{"a balance that is not a number is named in the problem", http.MethodPut, "/wallets/c1", "application/json", `{"balanceCents":"ten"}`, http.StatusUnprocessableEntity, "balanceCents"},
		{"a body that is not JSON is unsupported", http.MethodPut, "/wallets/c1", "text/plain", `{"balanceCents":1}`, http.StatusUnsupportedMediaType, ""},
		{"a body without a content type is unsupported", http.MethodPut, "/wallets/c1", "", `{"balanceCents":1}`, http.StatusUnsupportedMediaType, ""},
		{"a body over 64 KiB is too large", http.MethodPut, "/wallets/c1", "application/json", `{"balanceCents":` + strings.Repeat(" ", 64<<10) + `1}`, http.StatusRequestEntityTooLarge, ""},
		{"an unknown field is a bad request", http.MethodPut, "/wallets/c1", "application/json", `{"balanceCents":1,"currency":"EUR"}`, http.StatusBadRequest, ""},
		{"malformed JSON is a bad request", http.MethodPut, "/wallets/c1", "application/json", `{"balanceCents":`, http.StatusBadRequest, ""},
		{"two JSON values are a bad request", http.MethodPut, "/wallets/c1", "application/json", `{"balanceCents":1}{}`, http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			res := f.do(t, tt.method, tt.path, tt.contentType, tt.body)
			if res.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%v)", res.status, tt.wantStatus, res.body)
			}
			if tt.wantStatus >= 400 && res.contentType != problem.ContentType {
				t.Fatalf("content type = %q, want %q", res.contentType, problem.ContentType)
			}
			if tt.wantField != "" && !res.fieldNamed(tt.wantField) {
				t.Fatalf("the problem does not name %s: %v", tt.wantField, res.body)
			}
		})
	}
}

func TestASetBalanceIsWhatTheWalletThenShows(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	put := f.do(t, http.MethodPut, "/wallets/c1", "application/json", `{"balanceCents":4321}`)
	if put.body["customerId"] != "c1" || put.body["balanceCents"] != 4321.0 {
		t.Fatalf("PUT answered %v", put.body)
	}
	get := f.do(t, http.MethodGet, "/wallets/c1", "", "")
	if get.status != http.StatusOK || get.body["balanceCents"] != 4321.0 {
		t.Fatalf("GET answered %d %v", get.status, get.body)
	}
	other := f.do(t, http.MethodGet, "/wallets/c2", "", "")
	if other.body["balanceCents"] != float64(openingBalance) {
		t.Fatalf("another customer has %v, want the opening balance", other.body)
	}
}

func TestPaymentRequests(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, ev := range []contracts.StockReserved{stockReserved("paid", "c1", 2500), stockReserved("refused", "c1", openingBalance)} {
		if status := f.deliver(t, ev); status != "SUCCESS" {
			t.Fatalf("the reservation of %s was answered %q", ev.OrderID, status)
		}
	}
	tests := []struct {
		name       string
		orderID    string
		wantStatus int
		wantBody   map[string]any
	}{
		{"a completed payment is shown", "paid", http.StatusOK, map[string]any{
			"orderId": "paid", "customerId": "c1", "amountCents": 2500.0, "status": "COMPLETED", "reason": "",
		}},
		{"a refused payment is shown with its reason", "refused", http.StatusOK, map[string]any{
			"orderId": "refused", "customerId": "c1", "amountCents": float64(openingBalance), "status": "FAILED",
			"reason": "insufficient balance: need 100000 cents, have 97500",
		}},
		{"an order without payment is not found", "unknown", http.StatusNotFound, nil},
		{"an id no order can have is not found", "a%7C%7Cb", http.StatusNotFound, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := f.do(t, http.MethodGet, "/payments/"+tt.orderID, "", "")
			if res.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d", res.status, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusNotFound {
				if res.contentType != problem.ContentType || res.body["type"] != "/problems/payment-not-found" {
					t.Fatalf("answered %q %v, want a payment-not-found problem", res.contentType, res.body)
				}
				return
			}
			for k, v := range tt.wantBody {
				if res.body[k] != v {
					t.Fatalf("%s = %v, want %v (body %v)", k, res.body[k], v, res.body)
				}
			}
		})
	}
}

func TestOnlyTheAdminTokenSetsABalance(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, auth := range []string{"", "Bearer wrong", "Basic " + adminToken, adminToken} {
		res := f.doAs(t, auth, http.MethodPut, "/wallets/alice", "application/json", `{"balanceCents":900000000}`)
		if res.status != http.StatusUnauthorized || res.contentType != problem.ContentType {
			t.Errorf("with Authorization %q: answered %d %s", auth, res.status, res.contentType)
		}
	}
	if w := f.do(t, http.MethodGet, "/wallets/alice", "", ""); w.body["balanceCents"] != float64(openingBalance) {
		t.Fatalf("the refused requests changed the wallet: %v", w.body)
	}
}
