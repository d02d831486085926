package ports_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dapr "github.com/dapr/go-sdk/client"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/obs"
	"github.com/example/order-saga/platform/problem"
	"github.com/example/order-saga/platform/pubsub"
	"github.com/example/order-saga/platform/statestore"
	"github.com/example/order-saga/stock-svc/internal/adapters"
	"github.com/example/order-saga/stock-svc/internal/app"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
	"github.com/example/order-saga/stock-svc/internal/ports"
	"github.com/go-chi/chi/v5"
)

type discardEvents struct{}

func (discardEvents) StockReserved(context.Context, inventory.Reservation) error { return nil }
func (discardEvents) StockFailed(context.Context, inventory.Reservation) error   { return nil }
func (discardEvents) StockReleased(context.Context, inventory.Reservation) error { return nil }

// stockFixture is stock-svc's ports over a new store holding a grinder:
// its API, and its subscriptions as the sidecar delivers to them.
type stockFixture struct {
	http   http.Handler
	events ports.Events
	stock  app.Stock
}

func newStock(t *testing.T) stockFixture {
	t.Helper()
	return newStockOver(t, statestore.NewMemory())
}

func newStockOver(t *testing.T, backend statestore.Backend) stockFixture {
	t.Helper()
	shared := obs.NewMetrics(contracts.AppStock)
	log := slog.New(slog.DiscardHandler)
	products := adapters.NewProductRepository(backend, contracts.StockStore)
	s := app.Stock{
		Products: products, Reservations: adapters.NewReservationRepository(backend, contracts.StockStore),
		Events: discardEvents{}, Metrics: adapters.NewMetrics(shared), Log: log, Now: time.Now,
	}
	seed := app.SeedCatalog{Products: []inventory.Product{{ID: "grinder", Name: "Burr grinder", PriceCents: 8900, Available: 20}}}
	if _, err := (app.SeedCatalogHandler{Stock: s}).Handle(context.Background(), seed); err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	ports.HTTP{
		Put: app.PutProductHandler{Stock: s}, Delete: app.DeleteProductHandler{Stock: s},
		Get: app.GetProductHandler{Products: products}, List: app.ListProductsHandler{Products: products}, Log: log,
		AdminToken: adminToken,
	}.Routes(r)
	events := ports.Events{Reserve: app.ReserveStockHandler{Stock: s}, Refuse: app.RefuseOrderHandler{Stock: s}, Settle: app.SettleStockHandler{Stock: s}}
	subscriptions := pubsub.NewRouter(contracts.PubSub, shared, log)
	events.Subscribe(subscriptions)
	subscriptions.Mount(r)
	return stockFixture{http: r, events: events, stock: s}
}

// adminToken is the fixture's admin token, which serve shows.
const adminToken = "test-admin-token"

func serve(h http.Handler, method, path, contentType, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminToken)
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
			f := newStock(t)
			rec := serve(f.http, http.MethodPut, tc.path, tc.contentType, tc.body)
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
			if _, found, _ := f.stock.Products.Get(context.Background(), "kettle"); found {
				t.Fatal("a refused request created the product")
			}
		})
	}
}

func TestPutProductCreatesOrReplacesAndKeepsReservedUnits(t *testing.T) {
	t.Parallel()
	f := newStock(t)
	reserve := app.ReserveStock{OrderID: "o1", CustomerID: "c1", Lines: []inventory.Line{{ProductID: "grinder", Quantity: 3}}}
	if err := f.events.Reserve.Handle(context.Background(), reserve); err != nil {
		t.Fatal(err)
	}

	rec := serve(f.http, http.MethodPut, "/products/grinder", "application/json; charset=utf-8", `{"name":"Conical grinder","priceCents":9900,"available":40}`)

	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	want := `{"id":"grinder","name":"Conical grinder","priceCents":9900,"available":40,"reserved":3,"sold":0}`
	if got := strings.TrimSpace(rec.Body.String()); got != want {
		t.Fatalf("body %s, want %s", got, want)
	}
}

func TestGetProducts(t *testing.T) {
	t.Parallel()
	const (
		grinder = `{"id":"grinder","name":"Burr grinder","priceCents":8900,"available":20,"reserved":0,"sold":0}`
		kettle  = `{"id":"kettle","name":"Kettle","priceCents":4500,"available":50,"reserved":0,"sold":0}`
	)
	cases := []struct {
		name       string
		path       string
		wantStatus int
		wantBody   string
		wantType   string
	}{
		{"a page holds every product when they fit", "/products", 200, ``, ""},
		{"a full page names the product to go on after", "/products?limit=1", 200, ``, ""},
		{"a known product is found", "/products/kettle", 200, kettle, ""},
		{"an unknown product is not found", "/products/teapot", 404, "", "/problems/product-not-found"},
		{"an id that cannot exist is not found", "/products/no%20spaces", 404, "", "/problems/product-not-found"},
		{"a limit that is not a number is named", "/products?limit=ten", 422, "", "/problems/validation-failed"},
		{"a limit over 1000 is named", "/products?limit=1001", 422, "", "/problems/validation-failed"},
		{"a cursor that is no product id is named", "/products?after=a%7C%7Cb", 422, "", "/problems/validation-failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newStock(t)
			if rec := serve(f.http, http.MethodPut, "/products/kettle", "application/json", `{"name":"Kettle","priceCents":4500,"available":50}`); rec.Code != 200 {
				t.Fatalf("put: status %d: %s", rec.Code, rec.Body)
			}
			rec := serve(f.http, http.MethodGet, tc.path, "", "")
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.wantStatus, rec.Body)
			}
			if tc.wantType != "" {
				var p problem.Details
				if err := json.NewDecoder(rec.Body).Decode(&p); err != nil || p.Type != tc.wantType {
					t.Fatalf("problem %+v (%v), want %s", p, err, tc.wantType)
				}
				return
			}
			if tc.wantBody != "" {
				if got := strings.TrimSpace(rec.Body.String()); got != tc.wantBody {
					t.Fatalf("body %s, want %s", got, tc.wantBody)
				}
				return
			}
			var page struct {
				Products []json.RawMessage `json:"products"`
				Next     *string           `json:"next"`
			}
			if err := json.NewDecoder(rec.Body).Decode(&page); err != nil {
				t.Fatal(err)
			}
			all := len(page.Products) == 2 && page.Next == nil
			first := len(page.Products) == 1 && page.Next != nil && strings.Contains(string(page.Products[0]), `"id":"`+*page.Next+`"`)
			if (tc.path == "/products" && !all) || (tc.path != "/products" && !first) {
				t.Fatalf("page %s", rec.Body)
			}
			for _, p := range page.Products {
				if s := string(p); s != grinder && s != kettle {
					t.Fatalf("product %s", s)
				}
			}
		})
	}
}

func TestDeleteProduct(t *testing.T) {
	t.Parallel()
	f := newStock(t)
	reserve := app.ReserveStock{OrderID: "o1", CustomerID: "c1", Lines: []inventory.Line{{ProductID: "grinder", Quantity: 1}}}
	if err := f.events.Reserve.Handle(context.Background(), reserve); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name       string
		path       string
		settle     bool
		wantStatus int
	}{
		{"a product holding units is in conflict", "/products/grinder", false, 409},
		{"a product whose orders are settled is deleted", "/products/grinder", true, 204},
		{"a deleted product is not found", "/products/grinder", false, 404},
		{"an id that cannot exist is not found", "/products/a%7C%7Cb", false, 404},
	}
	for _, st := range steps {
		if st.settle {
			if err := f.events.Settle.Handle(context.Background(), app.SettleStock{OrderID: "o1", EventType: contracts.TypePaymentCompleted}); err != nil {
				t.Fatal(err)
			}
		}
		if rec := serve(f.http, http.MethodDelete, st.path, "", ""); rec.Code != st.wantStatus {
			t.Fatalf("%s: status %d, want %d: %s", st.name, rec.Code, st.wantStatus, rec.Body)
		}
	}
}

// unanswered is a state store whose sidecar stops answering when down is
// set.
type unanswered struct {
	*statestore.Memory
	down atomic.Bool
}

var errRefused = errors.New("dial tcp 127.0.0.1:50001: connection refused")

func (u *unanswered) GetState(ctx context.Context, store, key string, meta map[string]string) (*dapr.StateItem, error) {
	if u.down.Load() {
		return nil, errRefused
	}
	return u.Memory.GetState(ctx, store, key, meta)
}

func (u *unanswered) GetBulkState(ctx context.Context, store string, keys []string, meta map[string]string, n int32) ([]*dapr.BulkStateItem, error) {
	if u.down.Load() {
		return nil, errRefused
	}
	return u.Memory.GetBulkState(ctx, store, keys, meta, n)
}

func (u *unanswered) SaveStateWithETag(ctx context.Context, store, key string, data []byte, etag string, meta map[string]string, so ...dapr.StateOption) error {
	if u.down.Load() {
		return errRefused
	}
	return u.Memory.SaveStateWithETag(ctx, store, key, data, etag, meta, so...)
}

func TestAStoreThatDoesNotAnswerIsUnavailableAndNeverShown(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, method, path, body string }{
		{"a product is read", http.MethodGet, "/products/grinder", ""},
		{"the catalog is listed", http.MethodGet, "/products", ""},
		{"a product is put", http.MethodPut, "/products/kettle", `{"name":"Kettle","priceCents":4500,"available":50}`},
		{"a product is deleted", http.MethodDelete, "/products/grinder", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			store := &unanswered{Memory: statestore.NewMemory()}
			f := newStockOver(t, store)
			store.down.Store(true)
			rec := serve(f.http, tc.method, tc.path, "application/json", tc.body)
			var p problem.Details
			if err := json.NewDecoder(rec.Body).Decode(&p); err != nil {
				t.Fatal(err)
			}
			if rec.Code != http.StatusServiceUnavailable || p.Type != "/problems/unavailable" || strings.Contains(p.Detail, "127.0.0.1") {
				t.Fatalf("answered %d %+v, want 503 /problems/unavailable with no address in it", rec.Code, p)
			}
		})
	}
}

func TestOnlyTheAdminTokenChangesTheCatalog(t *testing.T) {
	t.Parallel()
	f := newStock(t)
	before := serve(f.http, http.MethodGet, "/products/grinder", "", "").Body.String()
	for _, auth := range []string{"", "Bearer wrong", "Bearer " + adminToken + "x", "Basic " + adminToken} {
		for _, req := range []*http.Request{
			httptest.NewRequest(http.MethodPut, "/products/grinder", strings.NewReader(`{"name":"Cheap","priceCents":1,"available":1}`)),
			httptest.NewRequest(http.MethodPut, "/products/new-one", strings.NewReader(`{"name":"New","priceCents":1,"available":1}`)),
			httptest.NewRequest(http.MethodDelete, "/products/grinder", nil),
		} {
			req.Header.Set("Content-Type", "application/json")
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			rec := httptest.NewRecorder()
			f.http.ServeHTTP(rec, req)
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("%s %s with Authorization %q: %d", req.Method, req.URL.Path, auth, rec.Code)
			}
		}
	}
	if after := serve(f.http, http.MethodGet, "/products/grinder", "", "").Body.String(); after != before {
		t.Fatalf("the refused requests changed the product: %s to %s", before, after)
	}
	if rec := serve(f.http, http.MethodGet, "/products/new-one", "", ""); rec.Code != http.StatusNotFound {
		t.Fatalf("a refused PUT created a product: %d", rec.Code)
	}
}
