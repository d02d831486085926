package ports_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dapr "github.com/dapr/go-sdk/client"
	"github.com/go-chi/chi/v5"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/order-svc/internal/adapters"
	"github.com/example/order-saga/order-svc/internal/app"
	"github.com/example/order-saga/order-svc/internal/domain/order"
	"github.com/example/order-saga/order-svc/internal/ports"
	"github.com/example/order-saga/platform/obs"
	"github.com/example/order-saga/platform/problem"
	"github.com/example/order-saga/platform/pubsub"
	"github.com/example/order-saga/platform/statestore"
)

// flakyStore is the in-process store, down while down is set.
type flakyStore struct {
	*statestore.Memory
	down atomic.Bool
}

func (s *flakyStore) GetState(ctx context.Context, store, key string, meta map[string]string) (*dapr.StateItem, error) {
	if s.down.Load() {
		return nil, errors.New("connection refused")
	}
	return s.Memory.GetState(ctx, store, key, meta)
}

type discardEvents struct{}

func (discardEvents) OrderCreated(context.Context, order.Order) error  { return nil }
func (discardEvents) OrderCanceled(context.Context, order.Order) error { return nil }

type discardDeadlines struct{}

func (discardDeadlines) Add(context.Context, string, time.Time, int) error { return nil }

// contradictions remembers the event types counted as contradicting.
type contradictions struct {
	mu    sync.Mutex
	types []string
}

func (*contradictions) OrderCreated()             {}
func (*contradictions) OrderFinished(order.Order) {}
func (*contradictions) OrderRedriven()            {}
func (*contradictions) OrderExpired(string)       {}
func (c *contradictions) EventContradicting(eventType string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.types = append(c.types, eventType)
}

// orderSvc is order-svc's ports over an in-process store, as service.New
// wires them.
type orderSvc struct {
	http    http.Handler
	store   *flakyStore
	metrics *contradictions
}

func newOrderSvc() orderSvc {
	store := &flakyStore{Memory: statestore.NewMemory()}
	metrics := &contradictions{}
	log := slog.New(slog.DiscardHandler)
	orders := adapters.NewOrderRepository(store, contracts.OrderStore)
	tracker := app.Tracker{Orders: orders, Metrics: metrics, Log: log, Waiters: app.NewFinishWaiters()}
	r := chi.NewRouter()
	ports.HTTP{
		Place: app.PlaceOrderHandler{Tracker: tracker, Claims: adapters.NewClaimRepository(store, contracts.OrderStore), Events: discardEvents{}, Now: time.Now,
			Deadlines: discardDeadlines{}, Deadline: time.Minute},
		Get: app.GetOrderHandler{Orders: orders, Waiters: tracker.Waiters},
		Log: log,
	}.Routes(r)
	events := pubsub.NewRouter(contracts.PubSub, obs.NewMetrics(contracts.AppOrder), log)
	ports.Events{Record: app.RecordStepHandler{Tracker: tracker}}.Subscribe(events)
	events.Mount(r)
	return orderSvc{http: r, store: store, metrics: metrics}
}

func (s orderSvc) do(method, path, body string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.http.ServeHTTP(rec, req)
	return rec
}

func (s orderSvc) get(t *testing.T, id string) (status order.Status, reason string, total int64) {
	t.Helper()
	rec := s.do(http.MethodGet, "/orders/"+id, "", nil)
	var v struct {
		Status     order.Status
		Reason     string
		TotalCents int64
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &v) != nil {
		t.Fatalf("GET /orders/%s: %d %s", id, rec.Code, rec.Body)
	}
	return v.Status, v.Reason, v.TotalCents
}

const kettle = `{"customerId":"alice","items":[{"productId":"kettle","quantity":1}]}`

func TestAnOrderIsPlacedAndShown(t *testing.T) {
	t.Parallel()
	s := newOrderSvc()
	rec := s.do(http.MethodPost, "/orders", kettle, nil)
	var placed struct {
		ID    string
		Items []struct {
			ProductID string
			Quantity  int
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &placed); err != nil || rec.Code != http.StatusAccepted {
		t.Fatalf("POST: %d %s", rec.Code, rec.Body)
	}
	if rec.Header().Get("Location") != "/orders/"+placed.ID || len(placed.Items) != 1 || placed.Items[0].ProductID != "kettle" {
		t.Fatalf("POST answered %v %s", rec.Header(), rec.Body)
	}
	if status, _, _ := s.get(t, placed.ID); status != order.Pending {
		t.Fatalf("status %s, want PENDING", status)
	}
	again := s.do(http.MethodPost, "/orders", kettle, map[string]string{"Idempotency-Key": "k"})
	replay := s.do(http.MethodPost, "/orders", kettle, map[string]string{"Idempotency-Key": "k"})
	if replay.Code != http.StatusAccepted || replay.Header().Get("Idempotent-Replayed") != "true" || replay.Header().Get("Location") != again.Header().Get("Location") {
		t.Fatalf("replay: %d %v, want the order at %s", replay.Code, replay.Header(), again.Header().Get("Location"))
	}
}

func TestEachRefusalIsAProblemOfItsOwnType(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		method string
		path   string
		body   string
		key    string
		down   bool
		status int
		typ    string
		names  string
	}{
		{"an unknown order", http.MethodGet, "/orders/nope", "", "", false, 404, "/problems/order-not-found", ""},
		{"a wait that is no duration", http.MethodGet, "/orders/x?wait=forever", "", "", false, 422, "/problems/validation-failed", "wait"},
		{"a wait over 30s", http.MethodGet, "/orders/x?wait=31s", "", "", false, 422, "/problems/validation-failed", "wait"},
		{"an invalid order", http.MethodPost, "/orders", `{"customerId":"a b","items":[]}`, "", false, 422, "/problems/validation-failed", "customerId"},
		{"an invalid Idempotency-Key", http.MethodPost, "/orders", kettle, strings.Repeat("k", 256), false, 422, "/problems/validation-failed", "Idempotency-Key"},
		{"a key used for another order", http.MethodPost, "/orders", `{"customerId":"alice","items":[{"productId":"kettle","quantity":2}]}`, "used", false, 422, "/problems/idempotency-key-reused", ""},
		{"a read while the store is down", http.MethodGet, "/orders/x", "", "", true, 503, "/problems/unavailable", ""},
		{"an order while the store is down", http.MethodPost, "/orders", kettle, "k2", true, 503, "/problems/unavailable", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newOrderSvc()
			if first := s.do(http.MethodPost, "/orders", kettle, map[string]string{"Idempotency-Key": "used"}); first.Code != http.StatusAccepted {
				t.Fatalf("first order: %d %s", first.Code, first.Body)
			}
			s.store.down.Store(tc.down)
			header := map[string]string{}
			if tc.key != "" {
				header["Idempotency-Key"] = tc.key
			}
			rec := s.do(tc.method, tc.path, tc.body, header)
			var p problem.Details
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != tc.status || p.Type != tc.typ {
				t.Fatalf("%d %s, want %d %s", rec.Code, rec.Body, tc.status, tc.typ)
			}
			if rec.Header().Get("Content-Type") != problem.ContentType || !strings.Contains(p.Detail, tc.names) {
				t.Fatalf("%s %s, want a problem naming %q", rec.Header().Get("Content-Type"), rec.Body, tc.names)
			}
		})
	}
}
