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
	reserved := func(id string) contracts.Event {
		return contracts.StockReserved{Header: header(contracts.TypeStockReserved, id), CustomerID: "alice", Items: items, TotalCents: 700}
	}
	paid := func(id string) contracts.Event {
		return contracts.PaymentCompleted{Header: header(contracts.TypePaymentCompleted, id), CustomerID: "alice", AmountCents: 700}
	}
	// Each order here was published and never stored, as when order-svc
	// dies between the two: stock-svc's answer stores it.
	cases := []struct {
		name   string
		events []contracts.Event
		status order.Status
		reason string
		total  int64
	}{
		{"a reservation stores and reserves it", []contracts.Event{reserved("o2")}, order.Reserved, "", 700},
		{"missing stock stores and cancels it", []contracts.Event{
			contracts.StockFailed{Header: header(contracts.TypeStockFailed, "o3"), Reason: "no kettle", CustomerID: "alice", Items: items}}, order.Canceled, "no kettle", 0},
		{"a payment confirms it", []contracts.Event{reserved("o4"), paid("o4")}, order.Confirmed, "", 700},
		{"a payment seen before the reservation waits for it", []contracts.Event{paid("o7"), reserved("o7")}, order.Confirmed, "", 700},
		{"a refused payment cancels it, and the release follows", []contracts.Event{reserved("o5"),
			contracts.PaymentFailed{Header: header(contracts.TypePaymentFailed, "o5"), CustomerID: "alice", Reason: "insufficient balance"},
			contracts.StockReleased{Header: header(contracts.TypeStockReleased, "o5"), Items: items}}, order.Canceled, "insufficient balance", 700},
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

func TestAnOrderIsNotShownFromStepsThatDoNotSayWhatItIsFor(t *testing.T) {
	t.Parallel()
	s := newOrderSvc()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s.deliver(t, contracts.PaymentCompleted{Header: contracts.NewHeader(contracts.TypePaymentCompleted, "o1", at), CustomerID: "alice", AmountCents: 700})
	s.deliver(t, contracts.StockFailed{Header: contracts.NewHeader(contracts.TypeStockFailed, "o2", at), Reason: "could not be read"})
	for _, id := range []string{"o1", "o2"} {
		if rec := s.do(http.MethodGet, "/orders/"+id, "", nil); rec.Code != http.StatusNotFound {
			t.Fatalf("GET /orders/%s: %d %s, want 404 until a step says what the order is for", id, rec.Code, rec.Body)
		}
	}
}

func TestOrderSvcDoesNotTakeItsOwnOrderCreated(t *testing.T) {
	t.Parallel()
	s := newOrderSvc()
	ev, _ := json.Marshal(contracts.OrderCreated{Header: contracts.NewHeader(contracts.TypeOrderCreated, "o1", time.Now()),
		CustomerID: "alice", Items: []contracts.Item{{ProductID: "kettle", Quantity: 1}}})
	body, _ := json.Marshal(map[string]any{"id": "o1.OrderCreated", "data": json.RawMessage(ev)})
	if rec := s.do(http.MethodPost, "/events/"+contracts.TopicOrders, string(body), nil); rec.Code != http.StatusNotFound {
		t.Fatalf("a delivery on %s: %d %s, want 404", contracts.TopicOrders, rec.Code, rec.Body)
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
