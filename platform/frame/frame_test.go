package frame_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/example/order-saga/platform/frame"
	"github.com/example/order-saga/platform/obs"
)

func TestRoutesSeeTheRequestsTraceparent(t *testing.T) {
	t.Parallel()
	a, err := frame.New(frame.Config{Name: "svc", Port: 0, DaprGRPCPort: 1}, "store")
	if err != nil {
		t.Fatal(err)
	}
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
