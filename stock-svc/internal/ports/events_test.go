package ports_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/example/order-saga/platform/pubsub"
)

func TestEventsThatNoRedeliveryCanFixAreDeadLettered(t *testing.T) {
	t.Parallel()
	item := func(id string, q int) map[string]any { return map[string]any{"productId": id, "quantity": q} }
	order := func(change func(map[string]any)) map[string]any {
		e := map[string]any{"type": "OrderCreated", "eventId": "o1.OrderCreated", "orderId": "o1", "customerId": "c1", "items": []any{item("grinder", 1)}}
		change(e)
		return e
	}
	many := make([]any, 101)
	for i := range many {
		many[i] = item("grinder", 1)
	}
	cases := []struct {
		name   string
		topic  string
		event  map[string]any
		poison bool
	}{
		{"an order without id", "orders", order(func(e map[string]any) { delete(e, "orderId") }), true},
		{"an order whose id holds the state key separator", "orders", order(func(e map[string]any) { e["orderId"] = "a||b" }), true},
		{"an order without customer", "orders", order(func(e map[string]any) { e["customerId"] = "" }), true},
		{"an order without items", "orders", order(func(e map[string]any) { e["items"] = []any{} }), true},
		{"an order of more than 100 items", "orders", order(func(e map[string]any) { e["items"] = many }), true},
		{"an item without product", "orders", order(func(e map[string]any) { e["items"] = []any{item("", 1)} }), true},
		{"an item of zero units", "orders", order(func(e map[string]any) { e["items"] = []any{item("grinder", 0)} }), true},
		{"an item of more than 10000 units", "orders", order(func(e map[string]any) { e["items"] = []any{item("grinder", 10001)} }), true},
		{"a quantity that is not a number", "orders", order(func(e map[string]any) { e["items"] = []any{map[string]any{"productId": "grinder", "quantity": "one"}} }), true},
		{"a payment without order id", "payments", map[string]any{"type": "PaymentCompleted"}, true},
		{"a failed payment without order id", "payments", map[string]any{"type": "PaymentFailed"}, true},
		{"a valid order", "orders", order(func(map[string]any) {}), false},
		{"an event type stock does not handle", "orders", map[string]any{"type": "OrderShipped"}, false},
		{"a payment of an order stock never saw", "payments", map[string]any{"type": "PaymentFailed", "orderId": "ghost"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			events := newStock(t).events
			handle := map[string]pubsub.Handler{"orders": events.Orders, "payments": events.Payments}[tc.topic]
			data, err := json.Marshal(tc.event)
			if err != nil {
				t.Fatal(err)
			}
			err = handle(context.Background(), tc.event["type"].(string), data)
			if got := pubsub.IsPoison(err); got != tc.poison {
				t.Fatalf("poison = %v (%v), want %v", got, err, tc.poison)
			}
			if !tc.poison && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
		})
	}
}
