package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
)

func TestBadOrdersAreRefusedWithAProblemAndCreateNothing(t *testing.T) {
	// Not parallel: it counts every order key and event in the store.
	a := newAPI(t, shared)
	many := make([]item, 101)
	for i := range many {
		many[i] = item{ProductID: "coffee-beans", Quantity: 1}
	}
	cases := []struct {
		name        string
		body        string
		contentType string
		status      int
		field       string
	}{
		{"malformed JSON", `{"customerId":"alice","items":[`, "", 400, ""},
		{"an unknown field", `{"customerId":"alice","items":[{"productId":"kettle","quantity":1}],"coupon":"FREE"}`, "", 400, "coupon"},
		{"two JSON values", `{"customerId":"alice","items":[{"productId":"kettle","quantity":1}]} {}`, "", 400, ""},
		{"empty items", `{"customerId":"alice","items":[]}`, "", 422, "items"},
		{"no items", `{"customerId":"alice"}`, "", 422, "items"},
		{"a zero quantity", `{"customerId":"alice","items":[{"productId":"kettle","quantity":0}]}`, "", 422, "items[0].quantity"},
		{"a negative quantity", `{"customerId":"alice","items":[{"productId":"kettle","quantity":-3}]}`, "", 422, "items[0].quantity"},
		{"an absurd quantity", `{"customerId":"alice","items":[{"productId":"kettle","quantity":1000000000}]}`, "", 422, "items[0].quantity"},
		{"a quantity that is not an integer", `{"customerId":"alice","items":[{"productId":"kettle","quantity":1.5}]}`, "", 422, "quantity"},
		{"too many items", mustJSON(map[string]any{"customerId": "alice", "items": many}), "", 422, "items"},
		{"a missing customerId", `{"items":[{"productId":"kettle","quantity":1}]}`, "", 422, "customerId"},
		{"an invalid customerId", `{"customerId":"a b/c","items":[{"productId":"kettle","quantity":1}]}`, "", 422, "customerId"},
		{"a missing productId", `{"customerId":"alice","items":[{"quantity":1}]}`, "", 422, "items[0].productId"},
		{"an oversize body", `{"customerId":"` + strings.Repeat("a", 70_000) + `","items":[]}`, "", 413, ""},
		{"a wrong content type", `{"customerId":"alice","items":[{"productId":"kettle","quantity":1}]}`, "text/plain", 415, ""},
	}
	keysBefore, _ := countKeys(shared, "order-svc||order-*")
	eventsBefore, _ := topicEvents(shared, contracts.TopicOrders)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			header := map[string]string{}
			if tc.contentType != "" {
				header["Content-Type"] = tc.contentType
			}
			r := a.do(http.MethodPost, shared.URL(contracts.AppOrder)+"/orders", tc.body, withJSON(header))
			expectProblem(t, r, tc.status, tc.field)
		})
	}
	keysAfter, _ := countKeys(shared, "order-svc||order-*")
	eventsAfter, _ := topicEvents(shared, contracts.TopicOrders)
	if keysAfter != keysBefore || len(eventsAfter) != len(eventsBefore) {
		t.Fatalf("bad requests created orders: keys %d -> %d, events %d -> %d", keysBefore, keysAfter, len(eventsBefore), len(eventsAfter))
	}
}

func TestAnIdempotencyKeyReplaysTheSameOrderAndRefusesADifferentOne(t *testing.T) {
	// Not parallel: it counts the events on the orders topic.
	a := newAPI(t, shared)
	key, c := "key-"+uid(), "c-"+uid()
	body := map[string]any{"customerId": c, "items": []item{{ProductID: "kettle", Quantity: 1}}}
	post := func(body any) response {
		return a.do(http.MethodPost, shared.URL(contracts.AppOrder)+"/orders", body, map[string]string{"Idempotency-Key": key})
	}
	first := post(body)
	if first.Status != http.StatusAccepted {
		t.Fatalf("first: %d %s", first.Status, first.Body)
	}
	id := decodeInto[orderView](t, first).ID
	a.finalOrder(id)
	before, _ := topicEvents(shared, contracts.TopicOrders)

	again := post(body)
	if again.Status != http.StatusAccepted || decodeInto[orderView](t, again).ID != id || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("same key and body: %d %v %s, want a replay of %s", again.Status, again.Header, again.Body, id)
	}
	other := post(map[string]any{"customerId": c, "items": []item{{ProductID: "kettle", Quantity: 2}}})
	expectProblem(t, other, http.StatusUnprocessableEntity, "")
	// Keys are remembered for a day, not for ever.
	if ttl, err := keyTTL(shared, "order-svc||idempotency-*"); err != nil || ttl <= 23*time.Hour || ttl > 24*time.Hour {
		t.Fatalf("idempotency keys expire in %v (%v), want about 24h", ttl, err)
	}

	after, _ := topicEvents(shared, contracts.TopicOrders)
	if len(after) != len(before) {
		t.Fatalf("a replay published %d new events", len(after)-len(before))
	}
}

func TestUnknownOrdersAndRoutesAnswerWithAProblem(t *testing.T) {
	t.Parallel()
	a := newAPI(t, shared)
	expectProblem(t, a.do(http.MethodGet, shared.URL(contracts.AppOrder)+"/orders/no-such-order", nil, nil), 404, "")
	expectProblem(t, a.do(http.MethodGet, shared.URL(contracts.AppStock)+"/products/no-such-product", nil, nil), 404, "")
	expectProblem(t, a.do(http.MethodGet, shared.URL(contracts.AppPayment)+"/payments/no-such-order", nil, nil), 404, "")
	expectProblem(t, a.do(http.MethodDelete, shared.URL(contracts.AppOrder)+"/orders", nil, nil), 405, "")
	expectProblem(t, a.do(http.MethodGet, shared.URL(contracts.AppOrder)+"/orders/x?wait=forever", nil, nil), 422, "wait")
}

func withJSON(h map[string]string) map[string]string {
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = "application/json"
	}
	return h
}

// expectProblem checks an RFC 9457 answer, and that it names field.
func expectProblem(t *testing.T, r response, status int, field string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json", ct)
	}
	var p struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(r.Body, &p); err != nil || p.Status != status || p.Type == "" || p.Detail == "" {
		t.Fatalf("not a problem document: %s (%v)", r.Body, err)
	}
	if field != "" && !strings.Contains(p.Detail, field) {
		t.Fatalf("detail %q does not name %s", p.Detail, field)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprint(err))
	}
	return string(b)
}
