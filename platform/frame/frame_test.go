package frame_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/example/order-saga/platform/frame"
	"github.com/example/order-saga/platform/obs"
)

func newApp(t *testing.T) *frame.App {
	t.Helper()
	a, err := frame.New(frame.Config{Name: "svc", DaprGRPCPort: 1, AppToken: "app-secret", DaprToken: "dapr-secret"}, "store")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestRoutesSeeTheRequestsTraceparent(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	var seen string
	a.Router.Get("/probe", func(_ http.ResponseWriter, r *http.Request) { seen = obs.TraceParent(r.Context()) })
	req := httptest.NewRequest(http.MethodGet, "/probe", nil)
	req.Header.Set("traceparent", tp)
	a.Router.(http.Handler).ServeHTTP(httptest.NewRecorder(), req)
	if seen != tp {
		t.Fatalf("route saw traceparent %q, want %q", seen, tp)
	}
}

func TestOnlyTheSidecarReachesTheSidecarRoutes(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	cases := []struct {
		name, method, path, token string
		want                      int
	}{
		{"the subscriptions with the app token", http.MethodGet, "/dapr/subscribe", "app-secret", 200},
		{"the subscriptions without a token", http.MethodGet, "/dapr/subscribe", "", 401},
		{"the subscriptions with a wrong token", http.MethodGet, "/dapr/subscribe", "app-secreT", 401},
		{"the subscriptions with the API token instead", http.MethodGet, "/dapr/subscribe", "dapr-secret", 401},
		{"a delivery without a token", http.MethodPost, "/events/orders", "", 401},
		{"a delivery with a wrong token", http.MethodPost, "/events/orders", "guess", 401},
		{"a bulk delivery without a token", http.MethodPost, "/events/orders/bulk", "", 401},
		{"the health check needs none", http.MethodGet, "/healthz", "", 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(`{}`))
			if tc.token != "" {
				req.Header.Set("dapr-api-token", tc.token)
			}
			rec := httptest.NewRecorder()
			a.Router.(http.Handler).ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("answered %d %s, want %d", rec.Code, rec.Body, tc.want)
			}
			if tc.want == 401 && rec.Header().Get("Content-Type") != "application/problem+json" {
				t.Errorf("a refusal of type %q", rec.Header().Get("Content-Type"))
			}
		})
	}
}

func TestAServiceWithoutItsTokensDoesNotStart(t *testing.T) {
	t.Parallel()
	for _, cfg := range []frame.Config{
		{Name: "svc", DaprGRPCPort: 1, DaprToken: "d"},
		{Name: "svc", DaprGRPCPort: 1, AppToken: "a"},
	} {
		if _, err := frame.New(cfg, "store"); err == nil {
			t.Errorf("%+v: started", cfg)
		}
	}
	// The admin token is asked for after the tokens every service needs.
	for _, tc := range []struct {
		cfg  frame.Config
		want string
	}{
		{frame.Config{}, "APP_API_TOKEN is not set"},
		{frame.Config{AppToken: "a"}, "DAPR_API_TOKEN is not set"},
		{frame.Config{AppToken: "a", DaprToken: "d"}, "ADMIN_TOKEN is not set"},
	} {
		if err := tc.cfg.RequireAdminToken(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
	if err := (frame.Config{AppToken: "a", DaprToken: "d", AdminToken: "x"}).RequireAdminToken(); err != nil {
		t.Errorf("every token given: %v", err)
	}
}
