package pubsub_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/pubsub"
)

// entry is one message of a bulk delivery: its entry id, and its event as
// JSON.
type entry struct{ id, event string }

// bulkBody is a bulk delivery of entries on topic, as daprd sends it.
func bulkBody(topic string, entries ...entry) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"id":"d1","type":"com.dapr.event.sent.bulk","topic":%q,"pubsubname":"pubsub","metadata":{},"entries":[`, topic)
	for i, e := range entries {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"entryId":%q,"event":%s,"contentType":"application/cloudevents+json","metadata":{}}`, e.id, e.event)
	}
	b.WriteString("]}")
	return b.String()
}

// deliverInBulk delivers entries on topic and returns the status answered
// for each entry id, failing on an answer that is not 200 or names an id
// twice.
func deliverInBulk(t *testing.T, mux http.Handler, topic string, entries ...entry) map[string]string {
	t.Helper()
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/events/"+topic+"/bulk", strings.NewReader(bulkBody(topic, entries...))))
	var answer struct {
		Statuses []struct{ EntryID, Status string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &answer); rec.Code != http.StatusOK || err != nil {
		t.Fatalf("answered %d %s", rec.Code, rec.Body)
	}
	got := map[string]string{}
	for _, s := range answer.Statuses {
		if _, twice := got[s.EntryID]; twice {
			t.Fatalf("entry %q answered twice: %s", s.EntryID, rec.Body)
		}
		got[s.EntryID] = s.Status
	}
	return got
}

// createdFor is an OrderCreated of order id in its CloudEvent of id ceID.
func createdFor(ceID, orderID string) string {
	return `{"id":"` + ceID + `","data":` + strings.Replace(created, `"o1"`, `"`+orderID+`"`, 1) + `}`
}

func TestEachEntryOfABulkDeliveryIsAnsweredByTheRulesOfAMessageAlone(t *testing.T) {
	t.Parallel()
	// The handler's answer depends on the order: "o-fail" fails for now,
	// "o-never" can never succeed; any other succeeds.
	cases := []struct {
		name    string
		entries []entry
		want    map[string]string // the status of each entry id answered, and no other
		handled []string          // the orders handed to the handler, sorted
		refused []string          // the orders refused, sorted
		counted map[string]int
	}{
		{"good, failing and poison entries each get their own answer",
			[]entry{
				{"a", createdFor("1", "o1")},
				{"b", createdFor("2", "o-fail")},
				{"c", createdFor("3", "o-never")},
				{"d", `{"id":"4","data":{"type":"OrderCreated","orderId":"o4","customerId":"x||y"}}`},
				{"e", `"not a CloudEvent"`},
				{"f", `{"id":"6","data":{"type":"StockReleased"}}`},
			},
			map[string]string{"a": "SUCCESS", "b": "RETRY", "c": "DROP", "d": "DROP", "e": "DROP", "f": "SUCCESS"},
			[]string{"o-fail", "o-never", "o1"}, []string{"o-never", "o4"},
			map[string]int{"OrderCreated success": 1, "OrderCreated retry": 1, "OrderCreated dead_letter": 2, "unknown dead_letter": 1, "StockReleased success": 1}},
		{"an entry id given twice is handled and answered once",
			[]entry{{"a", createdFor("1", "o1")}, {"a", createdFor("2", "o2")}},
			map[string]string{"a": "SUCCESS"}, []string{"o1"}, nil, map[string]int{"OrderCreated success": 1}},
		{"one event in two entries is handed over twice, its handler being idempotent",
			[]entry{{"a", createdFor("1", "o1")}, {"b", createdFor("1", "o1")}},
			map[string]string{"a": "SUCCESS", "b": "SUCCESS"}, []string{"o1", "o1"}, nil, map[string]int{"OrderCreated success": 2}},
		{"an entry with no id is neither handled nor answered",
			[]entry{{"", createdFor("1", "o1")}, {"b", createdFor("2", "o2")}},
			map[string]string{"b": "SUCCESS"}, []string{"o2"}, nil, map[string]int{"OrderCreated success": 1}},
		{"an entry over the size limit is dropped unread, the others handled",
			[]entry{{"a", `{"id":"1","pad":"` + strings.Repeat("x", pubsub.MaxEventBytes) + `","data":` + created + `}`}, {"b", createdFor("2", "o2")}},
			map[string]string{"a": "DROP", "b": "SUCCESS"}, []string{"o2"}, nil, map[string]int{"unknown dead_letter": 1, "OrderCreated success": 1}},
		{"a base64 payload is read",
			[]entry{{"a", `{"id":"1","data_base64":"` + base64.StdEncoding.EncodeToString([]byte(created)) + `"}`}},
			map[string]string{"a": "SUCCESS"}, []string{"o1"}, nil, map[string]int{"OrderCreated success": 1}},
		{"an empty delivery is answered with no status", nil, map[string]string{}, nil, nil, map[string]int{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			seen := newOutcomes()
			r := pubsub.NewRouter("pubsub", seen, slog.New(slog.DiscardHandler))
			r.ReceiveInBulk(len(tc.entries) + 1)
			var mu sync.Mutex
			var handled, refused []string
			pubsub.On(r, contracts.TypeOrderCreated, func(_ context.Context, ev contracts.OrderCreated) error {
				mu.Lock()
				handled = append(handled, ev.OrderID)
				mu.Unlock()
				switch ev.OrderID {
				case "o-fail":
					return errors.New("store down")
				case "o-never":
					return pubsub.Poison(errors.New("never"))
				}
				return nil
			})
			pubsub.OnRefused(r, contracts.TypeOrderCreated, func(_ context.Context, ev pubsub.Refused) error {
				mu.Lock()
				refused = append(refused, ev.OrderID)
				mu.Unlock()
				return nil
			})
			mux := chi.NewRouter()
			r.Mount(mux)

			got := deliverInBulk(t, mux, "orders", tc.entries...)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("answered %v, want %v", got, tc.want)
			}
			slices.Sort(handled)
			slices.Sort(refused)
			if !slices.Equal(handled, tc.handled) || !slices.Equal(refused, tc.refused) {
				t.Errorf("handled %v and refused %v, want %v and %v", handled, refused, tc.handled, tc.refused)
			}
			if counted := seen.counted(); fmt.Sprint(counted) != fmt.Sprint(tc.counted) {
				t.Errorf("outcomes counted %v, want %v", counted, tc.counted)
			}
		})
	}
}

func TestTheEntriesOfABulkDeliveryAreHandledAtOnce(t *testing.T) {
	t.Parallel()
	const n = 4
	r := pubsub.NewRouter("pubsub", newOutcomes(), slog.New(slog.DiscardHandler))
	r.ReceiveInBulk(n)
	// Each handler waits for all n to have started: handled one after
	// another, the first would wait in vain until the deadline.
	var started sync.WaitGroup
	started.Add(n)
	all := make(chan struct{})
	go func() { started.Wait(); close(all) }()
	pubsub.On(r, contracts.TypeOrderCreated, func(context.Context, contracts.OrderCreated) error {
		started.Done()
		select {
		case <-all:
			return nil
		case <-time.After(5 * time.Second):
			return errors.New("the other entries were not handled meanwhile")
		}
	})
	mux := chi.NewRouter()
	r.Mount(mux)
	var entries []entry
	want := map[string]string{}
	for i := range n {
		id := fmt.Sprint(i)
		entries = append(entries, entry{id, createdFor(id, "o"+id)})
		want[id] = "SUCCESS"
	}
	if got := deliverInBulk(t, mux, "orders", entries...); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("answered %v, want %v", got, want)
	}
}

func TestABulkDeliveryThatNamesNoEntryItCanAnswerIsRefusedWhole(t *testing.T) {
	t.Parallel()
	const maxMessages = 2
	huge := entry{"a", `{"id":"1","pad":"` + strings.Repeat("x", maxMessages*pubsub.MaxEventBytes) + `","data":` + created + `}`}
	cases := []struct {
		name   string
		bulk   int
		path   string
		body   string
		status int
	}{
		{"a body over the bound of the batch size", maxMessages, "/events/orders/bulk", bulkBody("orders", huge), http.StatusRequestEntityTooLarge},
		{"a body that is no bulk delivery", maxMessages, "/events/orders/bulk", `{"entries":"three"}`, http.StatusBadRequest},
		{"a bulk delivery to a router that receives one by one", 0, "/events/orders/bulk", bulkBody("orders", entry{"a", createdFor("1", "o1")}), http.StatusNotFound},
		{"a bulk delivery of a topic not subscribed to", maxMessages, "/events/stock/bulk", bulkBody("stock", entry{"a", createdFor("1", "o1")}), http.StatusNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := pubsub.NewRouter("pubsub", newOutcomes(), slog.New(slog.DiscardHandler))
			r.ReceiveInBulk(tc.bulk)
			called := false
			pubsub.On(r, contracts.TypeOrderCreated, func(context.Context, contracts.OrderCreated) error {
				called = true
				return nil
			})
			mux := chi.NewRouter()
			r.Mount(mux)
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader(tc.body)))
			if rec.Code != tc.status || called {
				t.Fatalf("answered %d %s with the handler called: %v, want %d and no call", rec.Code, rec.Body, called, tc.status)
			}
			if strings.Contains(rec.Body.String(), `"statuses"`) {
				t.Fatalf("answered statuses: %s", rec.Body)
			}
		})
	}
}
