package ports_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/order-svc/internal/domain/order"
)

// deliver hands ev to the service as its sidecar would, and checks that it
// is acknowledged.
func (s orderSvc) deliver(t *testing.T, ev contracts.Event) {
	t.Helper()
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	h := ev.EventHeader()
	body, _ := json.Marshal(map[string]any{"id": h.EventID, "data": json.RawMessage(data)})
	rec := s.do(http.MethodPost, "/events/"+contracts.TopicOf(h.Type), string(body), nil)
	if rec.Code != http.StatusOK || rec.Body.String() != `{"status":"SUCCESS"}` {
		t.Fatalf("%s: %d %s", h.Type, rec.Code, rec.Body)
	}
}

func TestEachEventOfTheSagaMovesItsOrder(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	header := func(eventType, id string) contracts.Header { return contracts.NewHeader(eventType, id, at) }
	items := []contracts.Item{{ProductID: "kettle", Quantity: 1}}
	created := func(id string) contracts.Event {
		return contracts.OrderCreated{Header: header(contracts.TypeOrderCreated, id), CustomerID: "alice", Items: items}
	}
	reserved := func(id string) contracts.Event {
		return contracts.StockReserved{Header: header(contracts.TypeStockReserved, id), CustomerID: "alice", Items: items, TotalCents: 700}
	}
	cases := []struct {
		name   string
		events []contracts.Event
		status order.Status
		reason string
		total  int64
	}{
		{"its own creation stores it", []contracts.Event{created("o1")}, order.Pending, "", 0},
		{"a reservation reserves it", []contracts.Event{created("o2"), reserved("o2")}, order.Reserved, "", 700},
		{"missing stock cancels it", []contracts.Event{created("o3"),
			contracts.StockFailed{Header: header(contracts.TypeStockFailed, "o3"), Reason: "no kettle"}}, order.Canceled, "no kettle", 0},
		{"a payment confirms it", []contracts.Event{created("o4"), reserved("o4"),
			contracts.PaymentCompleted{Header: header(contracts.TypePaymentCompleted, "o4"), CustomerID: "alice", AmountCents: 700}}, order.Confirmed, "", 700},
		{"a refused payment cancels it, and the release follows", []contracts.Event{created("o5"), reserved("o5"),
			contracts.PaymentFailed{Header: header(contracts.TypePaymentFailed, "o5"), CustomerID: "alice", Reason: "insufficient balance"},
			contracts.StockReleased{Header: header(contracts.TypeStockReleased, "o5"), Items: items}}, order.Canceled, "insufficient balance", 700},
		{"a release alone moves no status", []contracts.Event{created("o6"),
			contracts.StockReleased{Header: header(contracts.TypeStockReleased, "o6"), Items: items}}, order.Pending, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newOrderSvc()
			for _, ev := range tc.events {
				s.deliver(t, ev)
			}
			id := tc.events[0].EventHeader().OrderID
			if status, reason, total := s.get(t, id); status != tc.status || reason != tc.reason || total != tc.total {
				t.Fatalf("%s %q %d, want %s %q %d", status, reason, total, tc.status, tc.reason, tc.total)
			}
		})
	}
}

func TestAContradictingEventIsCountedByItsType(t *testing.T) {
	t.Parallel()
	s := newOrderSvc()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s.deliver(t, contracts.StockFailed{Header: contracts.NewHeader(contracts.TypeStockFailed, "o1", at), Reason: "no kettle"})
	s.deliver(t, contracts.StockReleased{Header: contracts.NewHeader(contracts.TypeStockReleased, "o1", at),
		Items: []contracts.Item{{ProductID: "kettle", Quantity: 1}}})
	if !slices.Equal(s.metrics.types, []string{contracts.TypeStockReleased}) {
		t.Fatalf("counted %v, want [%s]", s.metrics.types, contracts.TypeStockReleased)
	}
}
