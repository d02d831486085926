package pubsub_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/obs"
	"github.com/example/order-saga/platform/pubsub"
)

// outcomes counts the messages handled by "<event type> <outcome>".
type outcomes struct {
	mu sync.Mutex
	n  map[string]int
}

func newOutcomes() *outcomes { return &outcomes{n: map[string]int{}} }

func (o *outcomes) EventHandled(_, eventType, outcome string, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.n[eventType+" "+outcome]++
}

func (o *outcomes) counted() map[string]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return maps.Clone(o.n)
}

const created = `{"type":"OrderCreated","orderId":"o1","occurredAt":"2026-01-02T03:04:05Z","customerId":"alice","items":[{"productId":"kettle","quantity":1}]}`

func TestEachDeliveryIsAnsweredSuccessRetryOrDrop(t *testing.T) {
	t.Parallel()
	const traceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	cases := []struct {
		name    string
		body    string
		handler error
		status  string
		counted string
		called  bool
	}{
		{"a good event is acknowledged", `{"id":"1","traceparent":"` + traceParent + `","data":` + created + `}`, nil, "SUCCESS", "OrderCreated success", true},
		{"a failing handler asks for the event again", `{"id":"2","data":` + created + `}`, errors.New("store down"), "RETRY", "OrderCreated retry", true},
		{"a handler's poison is dropped", `{"id":"3","data":` + created + `}`, pubsub.Poison(errors.New("bad")), "DROP", "OrderCreated dead_letter", true},
		{"a handler's invalid input is dropped", `{"id":"3","data":` + created + `}`, contracts.Invalid(contracts.FieldError{Field: "x", Detail: "y"}), "DROP", "OrderCreated dead_letter", true},
		{"an event breaking its rules is dropped unhandled", `{"id":"4","data":{"type":"OrderCreated","orderId":"a||b"}}`, nil, "DROP", "OrderCreated dead_letter", false},
		{"an event of the wrong shape is dropped unhandled", `{"id":"4","data":{"type":"OrderCreated","items":"three"}}`, nil, "DROP", "OrderCreated dead_letter", false},
		{"an event of a type not handled is acknowledged", `{"id":"5","data":{"type":"StockReleased"}}`, nil, "SUCCESS", "StockReleased success", false},
		{"a made-up type is counted as unknown", `{"id":"5","data":{"type":"Made-Up"}}`, nil, "SUCCESS", "unknown success", false},
		{"a body that is not a CloudEvent is dropped", `not json`, nil, "DROP", "unknown dead_letter", false},
		{"a text payload is dropped", `{"id":"6","data":"just text"}`, nil, "DROP", "unknown dead_letter", false},
		{"a payload with no type is dropped", `{"id":"7","data":{"orderId":"o1"}}`, nil, "DROP", "unknown dead_letter", false},
		{"an empty payload is dropped", `{"id":"8"}`, nil, "DROP", "unknown dead_letter", false},
		{"a delivery over the size limit is dropped unread", `{"id":"10","pad":"` + strings.Repeat("x", pubsub.MaxEventBytes) + `","data":` + created + `}`, nil, "DROP", "unknown dead_letter", false},
		{"a base64 payload is read", `{"id":"9","data_base64":"` + base64.StdEncoding.EncodeToString([]byte(created)) + `"}`, nil, "SUCCESS", "OrderCreated success", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			seen := newOutcomes()
			r := pubsub.NewRouter("pubsub", seen, slog.New(slog.NewTextHandler(io.Discard, nil)))
			var got *contracts.OrderCreated
			var gotTrace string
			pubsub.On(r, contracts.TypeOrderCreated, func(ctx context.Context, ev contracts.OrderCreated) error {
				got, gotTrace = &ev, obs.TraceParent(ctx)
				return tc.handler
			})
			mux := chi.NewRouter()
			r.Mount(mux)
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/events/orders", strings.NewReader(tc.body)))
			if want := `{"status":"` + tc.status + `"}`; rec.Code != http.StatusOK || rec.Body.String() != want {
				t.Fatalf("answered %d %s, want 200 %s", rec.Code, rec.Body, want)
			}
			if (got != nil) != tc.called {
				t.Fatalf("handler called: %v, want %v", got != nil, tc.called)
			}
			if got != nil && (got.OrderID != "o1" || got.CustomerID != "alice" || len(got.Items) != 1) {
				t.Errorf("handler got %+v", got)
			}
			if strings.Contains(tc.body, traceParent) && gotTrace != traceParent {
				t.Errorf("the handler's context carries traceparent %q", gotTrace)
			}
			if counted := seen.counted(); len(counted) != 1 || counted[tc.counted] != 1 {
				t.Errorf("outcomes counted %v, want one %q", counted, tc.counted)
			}
		})
	}
}

func TestTheSubscriptionsAreDeclaredOncePerTopic(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		bulk  int
		route string
		// declared is the bulkSubscribe of each subscription, as JSON.
		declared string
	}{
		{"one message per delivery", 0, "/events/%s", ""},
		{"in bulk", 32, "/events/%s/bulk", `{"enabled":true,"maxMessagesCount":32,"maxAwaitDurationMs":2}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := pubsub.NewRouter("pubsub", newOutcomes(), slog.New(slog.DiscardHandler))
			r.ReceiveInBulk(tc.bulk)
			ignore := func(context.Context, contracts.PaymentCompleted) error { return nil }
			pubsub.On(r, contracts.TypePaymentCompleted, ignore)
			pubsub.On(r, contracts.TypePaymentFailed, func(context.Context, contracts.PaymentFailed) error { return nil })
			pubsub.On(r, contracts.TypeOrderCreated, func(context.Context, contracts.OrderCreated) error { return nil })
			mux := chi.NewRouter()
			r.Mount(mux)

			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dapr/subscribe", nil))
			var subs []struct {
				PubsubName, Topic, Route, DeadLetterTopic string
				BulkSubscribe                             json.RawMessage
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &subs); err != nil {
				t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
			}
			topics := []string{"orders", "payments"}
			if len(subs) != len(topics) {
				t.Fatalf("subscriptions %s, want one for each of %v", rec.Body, topics)
			}
			for i, topic := range topics {
				got := subs[i]
				if got.PubsubName != "pubsub" || got.Topic != topic || got.Route != fmt.Sprintf(tc.route, topic) ||
					got.DeadLetterTopic != "deadletters" || string(got.BulkSubscribe) != tc.declared {
					t.Errorf("subscription %d: %+v, want topic %s, route %s, dead letters to deadletters, bulkSubscribe %q",
						i, got, topic, fmt.Sprintf(tc.route, topic), tc.declared)
				}
			}

			for _, path := range []string{"/events/stock", "/events/stock/bulk"} {
				rec = httptest.NewRecorder()
				mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(`{}`)))
				if rec.Code != http.StatusNotFound {
					t.Errorf("a topic not subscribed to answered %d on %s, want 404", rec.Code, path)
				}
			}
			defer func() {
				if recover() == nil {
					t.Error("a second handler for one event type was accepted")
				}
			}()
			pubsub.On(r, contracts.TypePaymentCompleted, ignore)
		})
	}
}

func TestARefusedEventEndsItsOrderBeforeItIsDeadLettered(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		data    string
		handler error
		refusal error
		status  string
		want    *pubsub.Refused
	}{
		{"an event breaking its rules", `{"type":"OrderCreated","orderId":"o1","customerId":"x||y"}`, nil, nil, "DROP",
			&pubsub.Refused{EventType: "OrderCreated", OrderID: "o1"}},
		{"an event its handler finds poison", created, pubsub.Poison(errors.New("never")), nil, "DROP",
			&pubsub.Refused{EventType: "OrderCreated", OrderID: "o1", CustomerID: "alice"}},
		{"an event whose order id is no id is only dropped", `{"type":"OrderCreated","orderId":"a||b"}`, nil, nil, "DROP", nil},
		{"a refusal that fails asks for the event again", `{"type":"OrderCreated","orderId":"o1"}`, nil, errors.New("store down"), "RETRY",
			&pubsub.Refused{EventType: "OrderCreated", OrderID: "o1"}},
		{"a handler's transient error is no refusal", created, errors.New("store down"), nil, "RETRY", nil},
		{"a good event is no refusal", created, nil, nil, "SUCCESS", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := pubsub.NewRouter("pubsub", newOutcomes(), slog.New(slog.DiscardHandler))
			pubsub.On(r, contracts.TypeOrderCreated, func(context.Context, contracts.OrderCreated) error { return tc.handler })
			var got *pubsub.Refused
			pubsub.OnRefused(r, contracts.TypeOrderCreated, func(_ context.Context, ev pubsub.Refused) error {
				got = &ev
				return tc.refusal
			})
			mux := chi.NewRouter()
			r.Mount(mux)
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/events/orders", strings.NewReader(`{"id":"1","data":`+tc.data+`}`)))
			if want := `{"status":"` + tc.status + `"}`; rec.Body.String() != want {
				t.Fatalf("answered %s, want %s", rec.Body, want)
			}
			switch {
			case tc.want == nil && got != nil:
				t.Fatalf("refused %+v", got)
			case tc.want != nil && got == nil:
				t.Fatal("no refusal")
			case tc.want != nil && (got.EventType != tc.want.EventType || got.OrderID != tc.want.OrderID || got.CustomerID != tc.want.CustomerID || got.Reason == ""):
				t.Fatalf("refused %+v, want %+v with a reason", got, tc.want)
			}
		})
	}
}

func TestAMessageThatKeepsFailingIsGivenUpOnAndEndsItsOrder(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		bulk int
		// deliver delivers the event of CloudEvent id ceID and returns the
		// status it was answered.
		deliver func(t *testing.T, mux http.Handler, ceID string) string
	}{
		{"delivered alone", 0, func(t *testing.T, mux http.Handler, ceID string) string {
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/events/orders", strings.NewReader(`{"id":"`+ceID+`","data":`+created+`}`)))
			var answer struct{ Status string }
			if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
				t.Fatalf("answered %d %s", rec.Code, rec.Body)
			}
			return answer.Status
		}},
		{"delivered in bulk", 8, func(t *testing.T, mux http.Handler, ceID string) string {
			// Beside another message that succeeds at once.
			got := deliverInBulk(t, mux, "orders",
				entry{"a", `{"id":"` + ceID + `","data":` + created + `}`},
				entry{"b", `{"id":"other","data":{"type":"StockReleased"}}`})
			if got["b"] != "SUCCESS" {
				t.Fatalf("the other message answered %s", got["b"])
			}
			return got["a"]
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := pubsub.NewRouter("pubsub", newOutcomes(), slog.New(slog.DiscardHandler))
			r.ReceiveInBulk(tc.bulk)
			var fail atomic.Bool
			fail.Store(true)
			pubsub.On(r, contracts.TypeOrderCreated, func(context.Context, contracts.OrderCreated) error {
				if fail.Load() {
					return errors.New("a stored record does not decode")
				}
				return nil
			})
			var refused atomic.Int32
			pubsub.OnRefused(r, contracts.TypeOrderCreated, func(context.Context, pubsub.Refused) error {
				refused.Add(1)
				return nil
			})
			mux := chi.NewRouter()
			r.Mount(mux)
			start := time.Now()
			status := tc.deliver(t, mux, "m1")
			for status == "RETRY" {
				if time.Since(start) > 2*pubsub.GiveUpAfter {
					t.Fatal("a message failing for twice the limit is still retried")
				}
				<-time.After(100 * time.Millisecond) // the sidecar's pause between retries
				status = tc.deliver(t, mux, "m1")
			}
			if took := time.Since(start); status != "DROP" || took < pubsub.GiveUpAfter {
				t.Fatalf("answered %s after %s, want DROP after %s", status, took, pubsub.GiveUpAfter)
			}
			if refused.Load() != 1 {
				t.Fatalf("%d refusals, want 1", refused.Load())
			}
			// Another message is not held to the first one's failures, and
			// one that succeeds on a retry is forgotten.
			if got := tc.deliver(t, mux, "m2"); got != "RETRY" {
				t.Fatalf("a first failure answered %s", got)
			}
			fail.Store(false)
			if got := tc.deliver(t, mux, "m2"); got != "SUCCESS" {
				t.Fatalf("a retry that succeeds answered %s", got)
			}
		})
	}
}
