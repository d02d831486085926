package service_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/order-svc/internal/service"
	"github.com/example/order-saga/platform/frame"
)

func TestTheServiceFollowsItsTopicsAndExposesItsMetrics(t *testing.T) {
	t.Parallel()
	a, err := service.New(frame.Config{Name: contracts.AppOrder, DaprGRPCPort: 1, AppToken: "app", DaprToken: "dapr", AdminToken: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) string {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("dapr-api-token", "app")
		a.Router.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
		return rec.Body.String()
	}
	var subs []struct{ Topic string }
	if err := json.Unmarshal([]byte(get("/dapr/subscribe")), &subs); err != nil {
		t.Fatal(err)
	}
	var topics []string
	for _, s := range subs {
		topics = append(topics, s.Topic)
	}
	if want := []string{contracts.TopicDeadLetters, contracts.TopicPayments, contracts.TopicStock}; !slices.Equal(topics, want) {
		t.Fatalf("subscribed to %v, want %v", topics, want)
	}
	metrics := get("/metrics")
	for _, name := range []string{"saga_orders_created_total", "saga_orders_expired_total", "saga_dead_letters_redriven_total"} {
		if !strings.Contains(metrics, name) {
			t.Fatalf("%s is not exposed", name)
		}
	}
}
