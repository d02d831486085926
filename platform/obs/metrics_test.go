package obs_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/example/order-saga/platform/obs"
)

func TestNoRequestAddsALabelValue(t *testing.T) {
	t.Parallel()
	m := obs.NewMetrics("svc")
	r := chi.NewRouter()
	r.Use(m.Middleware)
	r.Get("/orders/{id}", func(http.ResponseWriter, *http.Request) {})
	for _, req := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "/orders/1", nil),
		httptest.NewRequest(http.MethodGet, "/orders/2", nil),
		httptest.NewRequest("BREW", "/orders/3", nil),
		httptest.NewRequest("SPAM-1", "/made/up/path", nil),
		httptest.NewRequest("SPAM-2", "/made/up/path", nil),
	} {
		r.ServeHTTP(httptest.NewRecorder(), req)
	}
	m.EventHandled("orders", "", "success", 0)
	m.EventContradicting("Made-Up")

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	for _, leak := range []string{"BREW", "SPAM", "/orders/1", "/made/up", "Made-Up"} {
		if strings.Contains(body, leak) {
			t.Errorf("the metrics show %q", leak)
		}
	}
	for _, want := range []string{`method="GET",route="/orders/{id}"`, `method="other"`, `route="unmatched"`, `event_type="unknown"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the metrics lack %s", want)
		}
	}
}
