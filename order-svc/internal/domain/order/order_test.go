package order_test

import (
	"testing"
	"time"

	"github.com/example/order-saga/order-svc/internal/domain/order"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func placed() order.Order {
	var o order.Order
	o.Place("o1", "alice", []order.Item{{ProductID: "kettle", Quantity: 1}}, t0)
	return o
}

func history(o order.Order) []order.Status {
	var s []order.Status
	for _, h := range o.History {
		s = append(s, h.Status)
	}
	return s
}

func TestTheStatusFollowsTheStepsWhateverTheirOrder(t *testing.T) {
	t.Parallel()
	reserved := order.Step{Kind: order.StockReserved, At: at(1), TotalCents: 700}
	paid := order.Step{Kind: order.PaymentCompleted, At: at(2)}
	refused := order.Step{Kind: order.PaymentFailed, At: at(2), Reason: "insufficient balance"}
	released := order.Step{Kind: order.StockReleased, At: at(3)}
	noStock := order.Step{Kind: order.StockFailed, At: at(1), Reason: "unknown product x"}
	cases := []struct {
		name   string
		steps  []order.Step
		status order.Status
		reason string
	}{
		{"a new order is pending", nil, order.Pending, ""},
		{"a reservation alone makes it reserved", []order.Step{reserved}, order.Reserved, ""},
		{"a payment confirms it", []order.Step{reserved, paid}, order.Confirmed, ""},
		{"a payment seen before the reservation still confirms it", []order.Step{paid, reserved}, order.Confirmed, ""},
		{"a refused payment cancels it", []order.Step{reserved, refused, released}, order.Canceled, "insufficient balance"},
		{"the release may come before the refusal", []order.Step{reserved, released, refused}, order.Canceled, "insufficient balance"},
		{"missing stock cancels it", []order.Step{noStock}, order.Canceled, "unknown product x"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := placed()
			for _, s := range tc.steps {
				o.Record("o1", s)
			}
			if o.Status != tc.status || o.Reason != tc.reason {
				t.Fatalf("status %s reason %q, want %s %q", o.Status, o.Reason, tc.status, tc.reason)
			}
		})
	}
}

func TestAStepSeenTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	o := placed()
	s := order.Step{Kind: order.StockReserved, At: at(1), TotalCents: 700}
	if !o.Record("o1", s) {
		t.Fatal("the first reservation changed nothing")
	}
	before := len(o.History)
	if o.Record("o1", s) {
		t.Fatal("a repeated reservation changed the order")
	}
	if len(o.History) != before {
		t.Fatalf("history grew from %d to %d", before, len(o.History))
	}
}

func TestPlacingTwiceIsHarmless(t *testing.T) {
	t.Parallel()
	o := placed()
	if o.Place("o1", "bob", nil, at(5)) {
		t.Fatal("a second placement changed the order")
	}
	if o.CustomerID != "alice" || len(o.History) != 1 {
		t.Fatalf("order changed: %+v", o)
	}
}

func TestStepsStoredBeforeTheOrderCountOnceItIsPlaced(t *testing.T) {
	t.Parallel()
	var o order.Order
	o.Record("o1", order.Step{Kind: order.PaymentCompleted, At: at(2)})
	o.Record("o1", order.Step{Kind: order.StockReserved, At: at(1), TotalCents: 300})
	if o.Status != "" || o.Placed {
		t.Fatalf("an order not yet placed has status %q", o.Status)
	}
	o.Place("o1", "alice", []order.Item{{ProductID: "kettle", Quantity: 1}}, t0)
	if o.Status != order.Confirmed || o.TotalCents != 300 {
		t.Fatalf("status %s total %d, want CONFIRMED 300", o.Status, o.TotalCents)
	}
	if got := history(o); len(got) != 2 || got[0] != order.Pending || got[1] != order.Confirmed {
		t.Fatalf("history %v", got)
	}
}

func TestValidationNamesEveryBadField(t *testing.T) {
	t.Parallel()
	many := make([]order.Item, order.MaxItems+1)
	for i := range many {
		many[i] = order.Item{ProductID: "p", Quantity: 1}
	}
	cases := []struct {
		name     string
		customer string
		items    []order.Item
		fields   []string
	}{
		{"a good order passes", "alice", []order.Item{{"kettle", 2}}, nil},
		{"a missing customer is named", "", []order.Item{{"kettle", 2}}, []string{"customerId"}},
		{"no items is refused", "alice", nil, []string{"items"}},
		{"too many items are refused", "alice", many, []string{"items"}},
		{"each bad line is named", "alice", []order.Item{{"", 0}, {"ok", order.MaxQuantity + 1}},
			[]string{"items[0].productId", "items[0].quantity", "items[1].quantity"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			errs := order.Validate(tc.customer, tc.items)
			if len(errs) != len(tc.fields) {
				t.Fatalf("errors %v, want fields %v", errs, tc.fields)
			}
			for i, f := range tc.fields {
				if errs[i].Field != f {
					t.Errorf("error %d names %s, want %s", i, errs[i].Field, f)
				}
			}
		})
	}
}
