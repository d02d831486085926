package ports_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/payment-svc/internal/adapters"
	"github.com/example/order-saga/payment-svc/internal/app"
	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
	"github.com/example/order-saga/payment-svc/internal/ports"
	"github.com/example/order-saga/platform/pubsub"
	"github.com/example/order-saga/platform/statestore"
)

const openingBalance = 100000

// fixture is the service's routes and subscriptions with its real use
// cases and repositories, an in-memory state store and a recording
// publisher.
type fixture struct {
	handler   http.Handler
	published *recordingEvents
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	backend := statestore.NewMemory()
	wallets, err := adapters.NewWalletRepository(backend, contracts.PaymentStore, openingBalance)
	if err != nil {
		t.Fatal(err)
	}
	payments := adapters.NewPaymentRepository(backend, contracts.PaymentStore)
	published := &recordingEvents{}
	log := slog.New(slog.DiscardHandler)
	r := chi.NewRouter()
	ports.HTTP{
		SetBalance: app.SetBalanceHandler{Wallets: wallets},
		GetWallet:  app.GetWalletHandler{Wallets: wallets},
		GetPayment: app.GetPaymentHandler{Payments: payments},
		Log:        log,
		AdminToken: adminToken,
	}.Routes(r)
	events := pubsub.NewRouter(contracts.PubSub, noMetrics{}, log)
	charge := app.ChargeOrderHandler{
		Wallets: wallets, Payments: payments, Events: published, Metrics: noMetrics{}, Log: log,
		Now: func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) },
	}
	ports.Events{ChargeOrder: charge, RefuseCharge: app.RefuseChargeHandler{ChargeOrderHandler: charge}, Undo: app.UndoPaymentHandler{ChargeOrderHandler: charge}}.Subscribe(events)
	events.Mount(r)
	return &fixture{handler: r, published: published}
}

type response struct {
	status      int
	contentType string
	body        map[string]any
}

// adminToken is the fixture's admin token, which do shows.
const adminToken = "test-admin-token"

func (f *fixture) do(t *testing.T, method, path, contentType, body string) response {
	t.Helper()
	return f.doAs(t, "Bearer "+adminToken, method, path, contentType, body)
}

// doAs is do with the Authorization header auth ("" for none).
func (f *fixture) doAs(t *testing.T, auth, method, path, contentType, body string) response {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	raw := rec.Body.Bytes()
	out := response{status: rec.Code, contentType: rec.Header().Get("Content-Type")}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			t.Fatalf("body %q is not a JSON object: %v", raw, err)
		}
	}
	return out
}

// fieldNamed reports whether a problem names field among its errors.
func (r response) fieldNamed(field string) bool {
	errs, _ := r.body["errors"].([]any)
	for _, e := range errs {
		if m, _ := e.(map[string]any); m["field"] == field {
			return true
		}
	}
	return false
}

// deliver hands event to the service as the sidecar does, on the stock
// topic, and returns the answer: SUCCESS, RETRY or DROP.
func (f *fixture) deliver(t *testing.T, event any) string {
	t.Helper()
	data, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	ce, err := json.Marshal(map[string]any{"id": "1", "data": json.RawMessage(data)})
	if err != nil {
		t.Fatal(err)
	}
	res := f.do(t, http.MethodPost, "/events/"+contracts.TopicStock, "application/cloudevents+json", string(ce))
	status, _ := res.body["status"].(string)
	return status
}

func stockReserved(orderID, customerID string, total int64) contracts.StockReserved {
	return contracts.StockReserved{
		Header:     contracts.NewHeader(contracts.TypeStockReserved, orderID, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)),
		CustomerID: customerID,
		Items:      []contracts.Item{{ProductID: "p1", Quantity: 1}},
		TotalCents: total,
	}
}

// recordingEvents counts the payments announced.
type recordingEvents struct {
	mu sync.Mutex
	n  int
}

func (p *recordingEvents) PaymentCompleted(context.Context, wallet.Payment) error { return p.add() }
func (p *recordingEvents) PaymentFailed(context.Context, wallet.Payment) error    { return p.add() }
func (p *recordingEvents) PaymentRefunded(context.Context, wallet.Payment) error  { return p.add() }

func (p *recordingEvents) add() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	return nil
}

func (p *recordingEvents) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// noMetrics stands for the shared and the business metrics, which these
// tests do not read.
type noMetrics struct{}

func (noMetrics) EventHandled(string, string, string, time.Duration) {}
func (noMetrics) PaymentRecorded(wallet.Payment)                     {}
func (noMetrics) PaymentRefunded(wallet.Payment)                     {}
