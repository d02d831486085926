package inventory_test

import (
	"errors"
	"maps"
	"testing"

	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

func TestReserve(t *testing.T) {
	t.Parallel()
	untouched := map[string][2]int{"grinder": {3, 0}, "cup": {5, 0}}
	cases := []struct {
		name       string
		lines      []inventory.Line
		wantStatus inventory.Status
		wantReason string
		wantTotal  int64
		wantStock  map[string][2]int
	}{
		{
			name:       "an order of available units holds them and prices them",
			lines:      []inventory.Line{{"grinder", 1}, {"cup", 2}},
			wantStatus: inventory.StatusReserved, wantTotal: 8900 + 2*650,
			wantStock: map[string][2]int{"grinder": {2, 1}, "cup": {3, 2}},
		},
		{
			name:       "an order of every available unit leaves none available",
			lines:      []inventory.Line{{"grinder", 3}},
			wantStatus: inventory.StatusReserved, wantTotal: 3 * 8900,
			wantStock: map[string][2]int{"grinder": {0, 3}, "cup": {5, 0}},
		},
		{
			name:       "a product named on two lines is held for the sum of both",
			lines:      []inventory.Line{{"cup", 2}, {"grinder", 1}, {"cup", 3}},
			wantStatus: inventory.StatusReserved, wantTotal: 5*650 + 8900,
			wantStock: map[string][2]int{"grinder": {2, 1}, "cup": {0, 5}},
		},
		{
			name:       "a product named on two lines is refused when only each line alone fits",
			lines:      []inventory.Line{{"cup", 3}, {"cup", 3}},
			wantStatus: inventory.StatusFailed, wantReason: "insufficient stock for cup: want 6, available 5",
			wantStock: untouched,
		},
		{
			name:       "an unknown product refuses the whole order and changes no product",
			lines:      []inventory.Line{{"cup", 1}, {"kettle", 1}},
			wantStatus: inventory.StatusFailed, wantReason: "unknown product kettle",
			wantStock: untouched,
		},
		{
			name:       "one short product refuses the whole order and changes no product",
			lines:      []inventory.Line{{"cup", 1}, {"grinder", 4}},
			wantStatus: inventory.StatusFailed, wantReason: "insufficient stock for grinder: want 4, available 3",
			wantStock: untouched,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := shop(t)
			h, fresh, err := c.Reserve("o1", tc.lines, "r1", decidedAt)
			if err != nil || !fresh {
				t.Fatalf("fresh=%v err=%v, want a fresh decision", fresh, err)
			}
			if h.Status != tc.wantStatus || h.Reason != tc.wantReason || h.TotalCents != tc.wantTotal {
				t.Fatalf("got %s %q %d, want %s %q %d", h.Status, h.Reason, h.TotalCents, tc.wantStatus, tc.wantReason, tc.wantTotal)
			}
			if got := stock(c); !maps.Equal(got, tc.wantStock) {
				t.Fatalf("stock %v, want %v", got, tc.wantStock)
			}
			if kept, _ := c.Hold("o1"); kept.Ref != "r1" || kept.Status != tc.wantStatus {
				t.Fatalf("the catalog keeps %+v as the decision", kept)
			}
		})
	}
}

func TestReservingAnOrderAgainGivesTheSameDecision(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		first []inventory.Line
	}{
		{"a reserved order stays reserved even when stock ran out since", []inventory.Line{{"grinder", 3}}},
		{"a refused order stays refused even when stock came in since", []inventory.Line{{"grinder", 9}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := shop(t)
			first := reserve(t, c, "o1", "r1", tc.first...)
			if _, err := c.PutProduct("grinder", "Burr grinder", 8900, 100); err != nil {
				t.Fatal(err)
			}
			before := stock(c)
			again, fresh, err := c.Reserve("o1", []inventory.Line{{"cup", 1}}, "r2", decidedAt)
			if err != nil || fresh {
				t.Fatalf("fresh=%v err=%v, want the earlier decision", fresh, err)
			}
			if again.Ref != first.Ref || again.Status != first.Status || again.TotalCents != first.TotalCents {
				t.Fatalf("got %+v, want %+v", again, first)
			}
			if got := stock(c); !maps.Equal(got, before) {
				t.Fatalf("stock %v, want %v", got, before)
			}
		})
	}
}

func TestAnOrderThatCannotBeDecidedIsAnError(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		orderID string
		lines   []inventory.Line
		want    error
	}{
		{"an order without id", "", []inventory.Line{{"cup", 1}}, inventory.ErrNoOrderID},
		{"an order without lines", "o1", nil, inventory.ErrNoLines},
		{"a line without product", "o1", []inventory.Line{{"", 1}}, inventory.ErrNoProductID},
		{"a line of zero units", "o1", []inventory.Line{{"cup", 0}}, inventory.ErrInvalidQuantity},
		{"a line of negative units", "o1", []inventory.Line{{"cup", -2}}, inventory.ErrInvalidQuantity},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := shop(t)
			if _, _, err := c.Reserve(tc.orderID, tc.lines, "r1", decidedAt); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if _, held := c.Hold(tc.orderID); held {
				t.Fatal("a hold was kept for an order that cannot be decided")
			}
		})
	}
}
