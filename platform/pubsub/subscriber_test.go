package pubsub_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	daprhttp "github.com/dapr/go-sdk/service/http"
	"github.com/go-chi/chi/v5"

	"github.com/example/order-saga/platform/obs"
	"github.com/example/order-saga/platform/pubsub"
)

type outcomes map[string]int

func (o outcomes) EventHandled(_, _, outcome string, _ time.Duration) { o[outcome]++ }

func TestEachDeliveryIsAnsweredSuccessRetryOrDrop(t *testing.T) {
	t.Parallel()
	const traceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	cases := []struct {
		name    string
		body    string
		handler error
		status  string
	}{
		{"a good event is acknowledged", `{"id":"1","traceparent":"` + traceParent + `","data":{"type":"OrderCreated","orderId":"o1"}}`, nil, "SUCCESS"},
		{"a failing handler asks for the event again", `{"id":"2","data":{"type":"OrderCreated"}}`, errors.New("store down"), "RETRY"},
		{"a handler's poison is dropped", `{"id":"3","data":{"type":"OrderCreated"}}`, pubsub.Poison(errors.New("bad")), "DROP"},
		{"a body that is not a CloudEvent is dropped", `not json`, nil, "DROP"},
		{"a text payload is dropped", `{"id":"4","data":"just text"}`, nil, "DROP"},
		{"a payload with no type is dropped", `{"id":"5","data":{"orderId":"o1"}}`, nil, "DROP"},
		{"an empty payload is dropped", `{"id":"6"}`, nil, "DROP"},
		{"a base64 payload is read", `{"id":"7","data_base64":"eyJ0eXBlIjoiT3JkZXJDcmVhdGVkIn0="}`, nil, "SUCCESS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			router := chi.NewRouter()
			svc := daprhttp.NewServiceWithMux(":0", router)
			seen := outcomes{}
			var gotTrace string
			handler := func(ctx context.Context, eventType string, _ []byte) error {
				gotTrace = obs.TraceParent(ctx)
				if eventType != "OrderCreated" {
					t.Errorf("event type %q", eventType)
				}
				return tc.handler
			}
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			if err := pubsub.Subscribe(svc, router, "pubsub", "orders", handler, seen, log); err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			router.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/events/orders", strings.NewReader(tc.body)))
			if want := `{"status":"` + tc.status + `"}`; rec.Code != http.StatusOK || rec.Body.String() != want {
				t.Fatalf("answered %d %s, want 200 %s", rec.Code, rec.Body, want)
			}
			if strings.Contains(tc.body, traceParent) && gotTrace != traceParent {
				t.Errorf("the handler's context carries traceparent %q", gotTrace)
			}
			if len(seen) != 1 {
				t.Errorf("outcomes counted %v, want one", seen)
			}
		})
	}
}
