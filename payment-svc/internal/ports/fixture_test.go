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
	"github.com/prometheus/client_golang/prometheus"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/pubsub"
	"github.com/example/order-saga/platform/statestore"

	"github.com/example/order-saga/payment-svc/internal/ports"
	"github.com/example/order-saga/payment-svc/internal/service"
)

const openingBalance = 100000

// fixture is the service with its real use cases and adapters, an
// in-memory state store and a recording publisher.
type fixture struct {
	handler   http.Handler
	events    pubsub.Handler
	published *recordingPublisher
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	published := &recordingPublisher{}
	log := slog.New(slog.DiscardHandler)
	application, err := service.NewApplication(service.Dependencies{
		State:               statestore.NewMemory(),
		Publisher:           published,
		Metrics:             prometheus.NewRegistry(),
		Log:                 log,
		Clock:               func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) },
		DefaultBalanceCents: openingBalance,
	})
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	ports.Routes(r, application, log)
	return &fixture{handler: r, events: ports.StockEvents(application), published: published}
}

type response struct {
	status      int
	contentType string
	body        map[string]any
}

func (f *fixture) do(t *testing.T, method, path, contentType, body string) response {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
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

func (f *fixture) deliver(t *testing.T, eventType string, event any) error {
	t.Helper()
	data, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	return f.events(context.Background(), eventType, data)
}

func stockReserved(orderID, customerID string, total int64) contracts.StockReserved {
	return contracts.StockReserved{
		Header:     contracts.NewHeader(contracts.TypeStockReserved, orderID, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)),
		CustomerID: customerID,
		Items:      []contracts.Item{{ProductID: "p1", Quantity: 1}},
		TotalCents: total,
	}
}

type recordingPublisher struct {
	mu      sync.Mutex
	headers []contracts.Header
}

func (p *recordingPublisher) Publish(_ context.Context, h contracts.Header, _ any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.headers = append(p.headers, h)
	return nil
}

func (p *recordingPublisher) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.headers)
}
