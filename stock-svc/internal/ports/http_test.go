package ports_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/problem"
	"github.com/example/order-saga/platform/statestore"
	"github.com/example/order-saga/stock-svc/internal/adapters"
	"github.com/example/order-saga/stock-svc/internal/app"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
	"github.com/example/order-saga/stock-svc/internal/ports"
)

type discardPublisher struct{}

func (discardPublisher) Publish(context.Context, contracts.Header, any) error { return nil }

// newStock returns the application and its HTTP routes over a new store
// holding a grinder.
func newStock(t *testing.T) (*app.Application, http.Handler) {
	t.Helper()
	backend := statestore.NewMemory()
	metrics, err := adapters.NewStockMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	a := app.New(app.Deps{
		Catalog:      adapters.NewCatalogRepository(backend, contracts.StockStore),
		Reservations: adapters.NewReservationRepository(backend, contracts.StockStore),
		Publisher:    discardPublisher{},
		Metrics:      metrics,
		Log:          log,
	})
	if _, err := a.SeedCatalog(context.Background(), []inventory.Product{{ID: "grinder", Name: "Burr grinder", PriceCents: 8900, Available: 20}}); err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	ports.NewHTTP(a, log).Register(r)
	return a, r
}

func serve(h http.Handler, method, path, contentType, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestPutProductRefusesABadRequest(t *testing.T) {
	t.Parallel()
	const good = `{"name":"Kettle","priceCents":4500,"available":50}`
	cases := []struct {
		name        string
		path        string
		contentType string
		body        string
		wantStatus  int
		wantType    string
		wantFields  []string
	}{
		{"an empty name is named", "/products/kettle", "application/json", `{"name":"","priceCents":1,"available":1}`, 422, "/problems/validation-failed", []string{"name"}},
		{"a name over 200 characters is named", "/products/kettle", "application/json", `{"name":"` + strings.Repeat("é", 201) + `","priceCents":1,"available":1}`, 422, "/problems/validation-failed", []string{"name"}},
		{"a negative price is named", "/products/kettle", "application/json", `{"name":"Kettle","priceCents":-1,"available":1}`, 422, "/problems/validation-failed", []string{"priceCents"}},
		{"a price over the limit is named", "/products/kettle", "application/json", `{"name":"Kettle","priceCents":100000001,"available":1}`, 422, "/problems/validation-failed", []string{"priceCents"}},
		{"a price that is not an integer is named", "/products/kettle", "application/json", `{"name":"Kettle","priceCents":"cheap","available":1}`, 422, "/problems/validation-failed", []string{"priceCents"}},
		{"negative units are named", "/products/kettle", "application/json", `{"name":"Kettle","priceCents":1,"available":-1}`, 422, "/problems/validation-failed", []string{"available"}},
		{"units over the limit are named", "/products/kettle", "application/json", `{"name":"Kettle","priceCents":1,"available":1000000001}`, 422, "/problems/validation-failed", []string{"available"}},
		{"missing numbers are named", "/products/kettle", "application/json", `{"name":"Kettle"}`, 422, "/problems/validation-failed", []string{"priceCents", "available"}},
		{"a bad id is named", "/products/no%20spaces", "application/json", good, 422, "/problems/validation-failed", []string{"id"}},
		{"an id over 64 characters is named", "/products/" + strings.Repeat("a", 65), "application/json", good, 422, "/problems/validation-failed", []string{"id"}},
		{"every bad field is named at once", "/products/kettle", "application/json", `{"name":"","priceCents":-1,"available":-1}`, 422, "/problems/validation-failed", []string{"name", "priceCents", "available"}},
		{"a body that is not JSON is unsupported", "/products/kettle", "text/plain", good, 415, "/problems/unsupported-media-type", nil},
		{"a body without content type is unsupported", "/products/kettle", "", good, 415, "/problems/unsupported-media-type", nil},
		{"a body over 64 KiB is too large", "/products/kettle", "application/json", `{"name":"` + strings.Repeat("a", 64<<10) + `","priceCents":1,"available":1}`, 413, "/problems/body-too-large", nil},
		{"an unknown field is refused", "/products/kettle", "application/json", `{"name":"Kettle","priceCents":1,"available":1,"color":"red"}`, 400, "/problems/unknown-field", nil},
		{"malformed JSON is refused", "/products/kettle", "application/json", `{"name":`, 400, "/problems/malformed-json", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, h := newStock(t)
			rec := serve(h, http.MethodPut, tc.path, tc.contentType, tc.body)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.wantStatus, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != problem.ContentType {
				t.Fatalf("content type %q, want %q", ct, problem.ContentType)
			}
			var p problem.Details
			if err := json.NewDecoder(rec.Body).Decode(&p); err != nil {
				t.Fatal(err)
			}
			if p.Type != tc.wantType {
				t.Fatalf("type %q, want %q", p.Type, tc.wantType)
			}
			var fields []string
			for _, f := range p.Errors {
				fields = append(fields, f.Field)
			}
			if !slices.Equal(fields, tc.wantFields) {
				t.Fatalf("fields %v, want %v", fields, tc.wantFields)
			}
			if _, err := a.Product(context.Background(), "kettle"); err == nil {
				t.Fatal("a refused request created the product")
			}
		})
	}
}

func TestPutProductCreatesOrReplacesAndKeepsReservedUnits(t *testing.T) {
	t.Parallel()
	a, h := newStock(t)
	order := contracts.OrderCreated{
		Header:     contracts.NewHeader(contracts.TypeOrderCreated, "o1", time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)),
		CustomerID: "c1",
		Items:      []contracts.Item{{ProductID: "grinder", Quantity: 3}},
	}
	if err := a.ReserveStock(context.Background(), order); err != nil {
		t.Fatal(err)
	}

	rec := serve(h, http.MethodPut, "/products/grinder", "application/json; charset=utf-8", `{"name":"Conical grinder","priceCents":9900,"available":40}`)

	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	want := `{"id":"grinder","name":"Conical grinder","priceCents":9900,"available":40,"reserved":3}`
	if got := strings.TrimSpace(rec.Body.String()); got != want {
		t.Fatalf("body %s, want %s", got, want)
	}
}

func TestGetProducts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		path       string
		wantStatus int
		wantBody   string
	}{
		{"the list is sorted by id", "/products", 200,
			`[{"id":"grinder","name":"Burr grinder","priceCents":8900,"available":20,"reserved":0},{"id":"kettle","name":"Kettle","priceCents":4500,"available":50,"reserved":0}]`},
		{"a known product is found", "/products/kettle", 200, `{"id":"kettle","name":"Kettle","priceCents":4500,"available":50,"reserved":0}`},
		{"an unknown product is not found", "/products/teapot", 404, ""},
		{"an id that cannot exist is not found", "/products/no%20spaces", 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, h := newStock(t)
			if rec := serve(h, http.MethodPut, "/products/kettle", "application/json", `{"name":"Kettle","priceCents":4500,"available":50}`); rec.Code != 200 {
				t.Fatalf("put: status %d: %s", rec.Code, rec.Body)
			}
			rec := serve(h, http.MethodGet, tc.path, "", "")
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.wantStatus, rec.Body)
			}
			if tc.wantStatus == http.StatusNotFound {
				var p problem.Details
				if err := json.NewDecoder(rec.Body).Decode(&p); err != nil || p.Type != "/problems/product-not-found" {
					t.Fatalf("problem %+v (%v), want product-not-found", p, err)
				}
				return
			}
			if got := strings.TrimSpace(rec.Body.String()); got != tc.wantBody {
				t.Fatalf("body %s, want %s", got, tc.wantBody)
			}
		})
	}
}
