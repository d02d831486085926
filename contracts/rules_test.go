package contracts_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
)

// fieldsOf names the fields an error refuses, nil when it is no error.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var e *contracts.Error
	if !errors.As(err, &e) || e.Kind != contracts.KindInvalid {
		t.Fatalf("%v is not an invalid-input error", err)
	}
	names := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		names[i] = f.Field
	}
	return names
}

func TestAnOrderIsCheckedFieldByField(t *testing.T) {
	t.Parallel()
	one := []contracts.Item{{ProductID: "kettle", Quantity: 1}}
	many := make([]contracts.Item, contracts.MaxItems+1)
	for i := range many {
		many[i] = contracts.Item{ProductID: "kettle", Quantity: 1}
	}
	cases := []struct {
		name     string
		customer string
		items    []contracts.Item
		want     []string
	}{
		{"a good order passes", "alice@example.com", one, nil},
		{"a customer id with the key separator is refused", "x||y", one, []string{"customerId"}},
		{"an empty customer id is refused", "", one, []string{"customerId"}},
		{"a customer id over 64 characters is refused", strings.Repeat("a", 65), one, []string{"customerId"}},
		{"no items is refused", "alice", nil, []string{"items"}},
		{"too many items are refused", "alice", many, []string{"items"}},
		{"a product id with a space is refused", "alice", []contracts.Item{{ProductID: "no space", Quantity: 1}}, []string{"items[0].productId"}},
		{"a product id with @ is refused", "alice", []contracts.Item{{ProductID: "a@b", Quantity: 1}}, []string{"items[0].productId"}},
		{"a quantity of 0 is refused", "alice", []contracts.Item{{ProductID: "kettle", Quantity: 0}}, []string{"items[0].quantity"}},
		{"a quantity over the limit is refused", "alice", []contracts.Item{{ProductID: "kettle", Quantity: contracts.MaxQuantity + 1}}, []string{"items[0].quantity"}},
		{"every bad field is named", "", []contracts.Item{{ProductID: "", Quantity: -1}}, []string{"customerId", "items[0].productId", "items[0].quantity"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := fieldsOf(t, contracts.ValidateOrder(tc.customer, tc.items)); !slices.Equal(got, tc.want) {
				t.Fatalf("refused %v, want %v", got, tc.want)
			}
		})
	}
}

func TestEveryEventKeepsTheRulesOfItsFields(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h := func(eventType string) contracts.Header { return contracts.NewHeader(eventType, "order-1", at) }
	items := []contracts.Item{{ProductID: "kettle", Quantity: 2}}
	cases := []struct {
		name string
		ev   contracts.Event
		want []string
	}{
		{"OrderCreated", contracts.OrderCreated{Header: h(contracts.TypeOrderCreated), CustomerID: "alice", Items: items}, nil},
		{"OrderCreated without items", contracts.OrderCreated{Header: h(contracts.TypeOrderCreated), CustomerID: "alice"}, []string{"items"}},
		{"OrderCreated of another type", contracts.OrderCreated{Header: h(contracts.TypeStockFailed), CustomerID: "alice", Items: items}, []string{"type"}},
		{"StockReserved", contracts.StockReserved{Header: h(contracts.TypeStockReserved), CustomerID: "alice", Items: items, TotalCents: 10}, nil},
		{"StockReserved for a bad customer id", contracts.StockReserved{Header: h(contracts.TypeStockReserved), CustomerID: "x||y", Items: items}, []string{"customerId"}},
		{"StockReserved with a negative total", contracts.StockReserved{Header: h(contracts.TypeStockReserved), CustomerID: "alice", Items: items, TotalCents: -1}, []string{"totalCents"}},
		{"StockFailed", contracts.StockFailed{Header: h(contracts.TypeStockFailed), Reason: "short"}, nil},
		{"StockFailed that tells what the order was for", contracts.StockFailed{Header: h(contracts.TypeStockFailed), Reason: "short", CustomerID: "alice", Items: items}, nil},
		{"StockFailed with a customer and no items", contracts.StockFailed{Header: h(contracts.TypeStockFailed), Reason: "short", CustomerID: "alice"}, []string{"items"}},
		{"StockFailed with items and no customer", contracts.StockFailed{Header: h(contracts.TypeStockFailed), Reason: "short", Items: items}, []string{"customerId"}},
		{"StockFailed with no time", contracts.StockFailed{Header: contracts.Header{Type: contracts.TypeStockFailed, OrderID: "o"}}, []string{"occurredAt"}},
		{"StockFailed for a bad order id", contracts.StockFailed{Header: contracts.NewHeader(contracts.TypeStockFailed, "a||b", at)}, []string{"orderId"}},
		{"PaymentCompleted", contracts.PaymentCompleted{Header: h(contracts.TypePaymentCompleted), CustomerID: "alice", AmountCents: 5}, nil},
		{"PaymentCompleted of a negative amount", contracts.PaymentCompleted{Header: h(contracts.TypePaymentCompleted), CustomerID: "alice", AmountCents: -5}, []string{"amountCents"}},
		{"PaymentFailed", contracts.PaymentFailed{Header: h(contracts.TypePaymentFailed), CustomerID: "alice", Reason: "poor"}, nil},
		{"PaymentFailed with no customer", contracts.PaymentFailed{Header: h(contracts.TypePaymentFailed)}, nil},
		{"PaymentFailed for a bad customer id", contracts.PaymentFailed{Header: h(contracts.TypePaymentFailed), CustomerID: "x||y"}, []string{"customerId"}},
		{"StockReleased", contracts.StockReleased{Header: h(contracts.TypeStockReleased), Items: items}, nil},
		{"StockReleased without items", contracts.StockReleased{Header: h(contracts.TypeStockReleased)}, []string{"items"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := fieldsOf(t, tc.ev.Validate()); !slices.Equal(got, tc.want) {
				t.Fatalf("refused %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAnErrorIsKnownByItsKindAndType(t *testing.T) {
	t.Parallel()
	notFound := contracts.NotFound("order-not-found", "no order has this id")
	wrapped := errors.Join(errors.New("context"), notFound)
	switch {
	case !errors.Is(wrapped, notFound):
		t.Error("a wrapped error is not recognised")
	case errors.Is(wrapped, contracts.NotFound("product-not-found", "")):
		t.Error("an error of another type is taken for it")
	case contracts.KindOf(wrapped) != contracts.KindNotFound:
		t.Errorf("kind %v", contracts.KindOf(wrapped))
	case contracts.KindOf(errors.New("plain")) != 0:
		t.Error("a plain error has a kind")
	}
	cause := errors.New("connection refused")
	if err := contracts.Unavailable("the store did not answer", cause); !errors.Is(err, cause) {
		t.Error("the cause of an unavailable store is lost")
	}
}

func TestEachServiceHasItsOwnPort(t *testing.T) {
	t.Parallel()
	seen := map[int]string{}
	for _, app := range []string{contracts.AppOrder, contracts.AppStock, contracts.AppPayment} {
		p := contracts.DefaultPort(app)
		if p == 0 || seen[p] != "" {
			t.Errorf("%s has port %d, also %q's", app, p, seen[p])
		}
		seen[p] = app
	}
	if contracts.DefaultPort("other") != 0 {
		t.Error("an unknown app has a port")
	}
}
