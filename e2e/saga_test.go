package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
)

func TestAnOrderThatCanBeServedAndPaidIsConfirmed(t *testing.T) {
	t.Parallel()
	anOrderThatCanBeServedAndPaidIsConfirmed(t, shared)
}

func anOrderThatCanBeServedAndPaidIsConfirmed(t *testing.T, s *stack.Stack) {
	a := newAPI(t, s)
	p, c := "p-"+uid(), "c-"+uid()
	a.putProduct(p, 250, 10)
	a.putWallet(c, 10_000)

	placed := a.placeOrder(c, item{ProductID: p, Quantity: 3})
	// One read that waits for the end is enough.
	r := a.do(http.MethodGet, s.URL(contracts.AppOrder)+"/orders/"+placed.ID+"?wait=20s", nil, nil)
	o := decodeInto[orderView](t, r)

	if o.Status != "CONFIRMED" || o.TotalCents != 750 {
		t.Fatalf("order %+v, want CONFIRMED for 750 cents", o)
	}
	if got := statuses(o); got != "PENDING RESERVED CONFIRMED" {
		t.Errorf("history %q", got)
	}
	// The stock settles once the sale is recorded.
	eventually(t, 10*time.Second, func() error { return expectProduct(a.product(p), 7, 0) }, "stock of %s", p)
	if w := a.wallet(c); w.BalanceCents != 10_000-750 {
		t.Errorf("balance %d, want %d", w.BalanceCents, 10_000-750)
	}
	if pay, ok := a.payment(o.ID); !ok || pay.Status != "COMPLETED" || pay.AmountCents != 750 {
		t.Errorf("payment %+v found=%v, want COMPLETED 750", pay, ok)
	}
}

func TestAnOrderWithAnyItemUnavailableIsCanceledAndTouchesNoStock(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		items  func(plenty, scarce string) []item
		reason string
	}{
		{"an unknown product", func(plenty, _ string) []item {
			return []item{{ProductID: plenty, Quantity: 1}, {ProductID: "no-such-" + uid(), Quantity: 1}}
		}, "unknown product"},
		{"more than is available", func(plenty, scarce string) []item {
			return []item{{ProductID: plenty, Quantity: 1}, {ProductID: scarce, Quantity: 3}}
		}, "insufficient stock"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newAPI(t, shared)
			plenty, scarce, c := "p-"+uid(), "p-"+uid(), "c-"+uid()
			a.putProduct(plenty, 100, 50)
			a.putProduct(scarce, 100, 2)
			a.putWallet(c, 10_000)

			o := a.finalOrder(a.placeOrder(c, tc.items(plenty, scarce)...).ID)

			if o.Status != "CANCELED" || !strings.Contains(o.Reason, tc.reason) {
				t.Fatalf("order %+v, want CANCELED with a reason about %q", o, tc.reason)
			}
			if err := expectProduct(a.product(plenty), 50, 0); err != nil {
				t.Error(err)
			}
			if err := expectProduct(a.product(scarce), 2, 0); err != nil {
				t.Error(err)
			}
			if _, ok := a.payment(o.ID); ok {
				t.Error("a payment exists for an order that was never reserved")
			}
			if w := a.wallet(c); w.BalanceCents != 10_000 {
				t.Errorf("balance %d, want 10000", w.BalanceCents)
			}
		})
	}
}

func TestAnOrderThatCannotBePaidIsCanceledAndItsStockReleased(t *testing.T) {
	t.Parallel()
	id := anOrderThatCannotBePaidIsCanceledAndItsStockReleased(t, shared)
	eventually(t, 10*time.Second, func() error { return expectEvent(shared, "stock", "StockReleased", id, 1) }, "StockReleased for %s", id)
}

// anOrderThatCannotBePaidIsCanceledAndItsStockReleased returns the order id.
func anOrderThatCannotBePaidIsCanceledAndItsStockReleased(t *testing.T, s *stack.Stack) string {
	a := newAPI(t, s)
	p1, p2, c := "p-"+uid(), "p-"+uid(), "c-"+uid()
	a.putProduct(p1, 400, 10)
	a.putProduct(p2, 300, 5)
	a.putWallet(c, 1_000)
	released := handled(t, s, contracts.AppOrder, contracts.TypeStockReleased, "success")

	o := a.finalOrder(a.placeOrder(c, item{ProductID: p1, Quantity: 2}, item{ProductID: p2, Quantity: 1}).ID)

	if o.Status != "CANCELED" || !strings.Contains(o.Reason, "insufficient balance") {
		t.Fatalf("order %+v, want CANCELED for insufficient balance", o)
	}
	eventually(t, 10*time.Second, func() error {
		if err := expectProduct(a.product(p1), 10, 0); err != nil {
			return err
		}
		return expectProduct(a.product(p2), 5, 0)
	}, "every reserved unit to come back")
	if w := a.wallet(c); w.BalanceCents != 1_000 {
		t.Errorf("balance %d, want 1000", w.BalanceCents)
	}
	if pay, ok := a.payment(o.ID); !ok || pay.Status != "FAILED" {
		t.Errorf("payment %+v found=%v, want FAILED", pay, ok)
	}
	// order-svc hears of the release, so it was published.
	eventually(t, 10*time.Second, func() error {
		if n := handled(t, s, contracts.AppOrder, contracts.TypeStockReleased, "success"); n <= released {
			return fmt.Errorf("order-svc handled %d StockReleased, as many as before", n)
		}
		return nil
	}, "StockReleased to reach order-svc")
	return o.ID
}

func statuses(o orderView) string {
	var s []string
	for _, h := range o.History {
		s = append(s, h.Status)
	}
	return strings.Join(s, " ")
}
