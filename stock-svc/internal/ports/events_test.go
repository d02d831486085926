package ports_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// Every event is delivered as the sidecar delivers it: one that no
// redelivery can fix is dropped to the dead letters and changes nothing,
// and a valid one reaches its use case.
func TestEventsThatNoRedeliveryCanFixAreDeadLettered(t *testing.T) {
	t.Parallel()
	const at = "2030-01-02T03:04:05Z"
	item := func(id string, q int) map[string]any { return map[string]any{"productId": id, "quantity": q} }
	order := func(change func(map[string]any)) map[string]any {
		e := map[string]any{"type": "OrderCreated", "eventId": "o1.OrderCreated", "orderId": "o1", "occurredAt": at, "customerId": "c1", "items": []any{item("grinder", 1)}}
		change(e)
		return e
	}
	payment := func(eventType, orderID string, change func(map[string]any)) map[string]any {
		e := map[string]any{"type": eventType, "eventId": orderID + "." + eventType, "orderId": orderID, "occurredAt": at, "customerId": "c1"}
		change(e)
		return e
	}
	valid := order(func(map[string]any) {})
	untouched, reserved := [3]int{20, 0, 0}, [3]int{19, 1, 0}
	many := make([]any, 101)
	for i := range many {
		many[i] = item("grinder", 1)
	}
	cases := []struct {
		name        string
		before      map[string]any // an order delivered first, if any
		topic       string
		event       map[string]any
		status      string
		wantGrinder [3]int
	}{
		{"an order without id", nil, "orders", order(func(e map[string]any) { delete(e, "orderId") }), "DROP", untouched},
		{"an order whose id holds the state key separator", nil, "orders", order(func(e map[string]any) { e["orderId"] = "a||b" }), "DROP", untouched},
		{"an order without customer", nil, "orders", order(func(e map[string]any) { e["customerId"] = "" }), "DROP", untouched},
		{"an order without items", nil, "orders", order(func(e map[string]any) { e["items"] = []any{} }), "DROP", untouched},
		{"an order of more than 100 items", nil, "orders", order(func(e map[string]any) { e["items"] = many }), "DROP", untouched},
		{"an item without product", nil, "orders", order(func(e map[string]any) { e["items"] = []any{item("", 1)} }), "DROP", untouched},
		{"an item of zero units", nil, "orders", order(func(e map[string]any) { e["items"] = []any{item("grinder", 0)} }), "DROP", untouched},
		{"an item of more than 10000 units", nil, "orders", order(func(e map[string]any) { e["items"] = []any{item("grinder", 10001)} }), "DROP", untouched},
		{"a quantity that is not a number", nil, "orders", order(func(e map[string]any) { e["items"] = []any{map[string]any{"productId": "grinder", "quantity": "one"}} }), "DROP", untouched},
		{"a payment without order id", valid, "payments", payment("PaymentCompleted", "o1", func(e map[string]any) { delete(e, "orderId") }), "DROP", reserved},
		{"a failed payment without order id", valid, "payments", payment("PaymentFailed", "o1", func(e map[string]any) { delete(e, "orderId") }), "DROP", reserved},
		{"a valid order", nil, "orders", valid, "SUCCESS", reserved},
		{"an event type stock does not handle", nil, "orders", map[string]any{"type": "OrderShipped"}, "SUCCESS", untouched},
		{"a payment sells the units of its order", valid, "payments", payment("PaymentCompleted", "o1", func(map[string]any) {}), "SUCCESS", [3]int{19, 0, 1}},
		{"a failed payment gives them back", valid, "payments", payment("PaymentFailed", "o1", func(map[string]any) {}), "SUCCESS", untouched},
		{"a payment of an order stock never saw", nil, "payments", payment("PaymentCompleted", "ghost", func(map[string]any) {}), "SUCCESS", untouched},
		{"a failed payment of an order stock never saw", nil, "payments", payment("PaymentFailed", "ghost", func(map[string]any) {}), "SUCCESS", untouched},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newStock(t)
			if tc.before != nil {
				deliver(t, f, "orders", tc.before, "SUCCESS")
			}
			deliver(t, f, tc.topic, tc.event, tc.status)
			p, _, err := f.stock.Products.Get(context.Background(), "grinder")
			if err != nil {
				t.Fatal(err)
			}
			if got := [3]int{p.Available, p.Reserved, p.Sold}; got != tc.wantGrinder {
				t.Fatalf("grinder %v, want %v", got, tc.wantGrinder)
			}
		})
	}
}

// deliver posts event to the route of topic as a CloudEvent, and checks
// the status answered to the sidecar.
func deliver(t *testing.T, f stockFixture, topic string, event map[string]any, status string) {
	t.Helper()
	data, err := json.Marshal(map[string]any{"id": "1", "data": event})
	if err != nil {
		t.Fatal(err)
	}
	rec := serve(f.http, http.MethodPost, "/events/"+topic, "application/cloudevents+json", string(data))
	if want := `{"status":"` + status + `"}`; rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != want {
		t.Fatalf("%s: answered %d %s, want %s", event["type"], rec.Code, rec.Body, want)
	}
}
