package e2e

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
)

// TestASettledOrderStaysAsItIs delivers, on a stack of its own (so that
// every handled event can be counted exactly), events that come after an
// order is final: a duplicate of its OrderCreated, and events that
// contradict it. None moves a unit, a cent or the order.
func TestASettledOrderStaysAsItIs(t *testing.T) {
	s := ownStack(t, stack.Options{})
	a := newAPI(t, s)
	p, c := "p-"+uid(), "c-"+uid()
	a.putProduct(p, 300, 10)
	a.putWallet(c, 5_000)
	placed := a.placeOrder(c, item{ProductID: p, Quantity: 2})
	confirmed := a.finalOrder(placed.ID)
	if confirmed.Status != "CONFIRMED" || confirmed.TotalCents != 600 {
		t.Fatalf("order %+v, want CONFIRMED for 600", confirmed)
	}
	eventually(t, 10*time.Second, func() error { return expectSold(a.product(p), 8, 0, 2) }, "the units sold")

	unmoved := func(t *testing.T) {
		t.Helper()
		if err := expectSold(a.product(p), 8, 0, 2); err != nil {
			t.Fatal(err)
		}
		if w := a.wallet(c); w.BalanceCents != 5_000-600 {
			t.Fatalf("balance %d, want %d", w.BalanceCents, 5_000-600)
		}
		if o, _ := a.order(placed.ID); !reflect.DeepEqual(o, confirmed) {
			t.Fatalf("order went from %+v to %+v", confirmed, o)
		}
	}

	t.Run("a duplicate of its creation takes no unit", func(t *testing.T) {
		before := handled(t, s, contracts.AppStock, contracts.TypeOrderCreated, "success")
		dup := orderCreated(placed.ID, c, item{ProductID: p, Quantity: 2})
		a.publish(contracts.TopicOrders, dup, dup.EventID)
		eventually(t, 10*time.Second, func() error {
			return exactly(handled(t, s, contracts.AppStock, contracts.TypeOrderCreated, "success"), before+1, "creations handled by stock-svc")
		}, "stock-svc to handle the duplicate")
		unmoved(t)
	})

	for _, ev := range []struct {
		name, topic, eventType string
		event                  func(h contracts.Header) any
	}{
		{"a stock failure", contracts.TopicStock, contracts.TypeStockFailed,
			func(h contracts.Header) any { return contracts.StockFailed{Header: h, Reason: "made up"} }},
		{"a failed payment", contracts.TopicPayments, contracts.TypePaymentFailed,
			func(h contracts.Header) any {
				return contracts.PaymentFailed{Header: h, CustomerID: c, Reason: "made up"}
			}},
	} {
		t.Run(ev.name+" after it was confirmed changes nothing and is counted", func(t *testing.T) {
			before := contradicting(t, s, contracts.AppOrder, ev.eventType)
			h := contracts.NewHeader(ev.eventType, placed.ID, time.Now())
			a.publish(ev.topic, ev.event(h), h.EventID)
			eventually(t, 10*time.Second, func() error {
				return exactly(contradicting(t, s, contracts.AppOrder, ev.eventType), before+1, "contradicting events counted by order-svc")
			}, "order-svc to count the contradiction")
			unmoved(t)
		})
	}
}

func TestTheCatalogIsPagedAndAProductDeleted(t *testing.T) {
	t.Parallel()
	a := newAPI(t, shared)
	prefix := "p-" + uid() + "-"
	ours := map[string]int{}
	for i := range 250 {
		id := fmt.Sprintf("%s%03d", prefix, i)
		a.putProduct(id, 100, 1)
		ours[id] = 0
	}
	after, pages := "", 0
	for {
		r := a.do(http.MethodGet, shared.URL(contracts.AppStock)+"/products?limit=100&after="+after, nil, nil)
		page := decodeInto[struct {
			Products []product `json:"products"`
			Next     string    `json:"next"`
		}](t, r)
		if len(page.Products) > 100 {
			t.Fatalf("a page of %d for a limit of 100", len(page.Products))
		}
		for _, p := range page.Products {
			if _, mine := ours[p.ID]; mine {
				ours[p.ID]++
			}
		}
		if pages++; page.Next == "" || pages > 10_000 {
			break
		}
		after = page.Next
	}
	for id, n := range ours {
		if n != 1 {
			t.Fatalf("%s listed %d times, want once", id, n)
		}
	}

	gone := prefix + "000"
	if r := a.do(http.MethodDelete, shared.URL(contracts.AppStock)+"/products/"+gone, nil, a.admin()); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	expectProblem(t, a.do(http.MethodGet, shared.URL(contracts.AppStock)+"/products/"+gone, nil, nil), 404, "")
	if o := a.finalOrder(a.placeOrder("c-"+uid(), item{ProductID: gone, Quantity: 1}).ID); o.Status != "CANCELED" || !strings.Contains(o.Reason, "unknown product") {
		t.Fatalf("an order for a deleted product is %+v", o)
	}
	expectProblem(t, a.do(http.MethodGet, shared.URL(contracts.AppStock)+"/products?limit=1001", nil, nil), 422, "limit")
}

func expectSold(p product, available, reserved, sold int) error {
	if p.Available != available || p.Reserved != reserved || p.Sold != sold {
		return fmt.Errorf("product %s has %d available, %d reserved, %d sold; want %d, %d, %d", p.ID, p.Available, p.Reserved, p.Sold, available, reserved, sold)
	}
	return nil
}

func exactly(got, want int, what string) error {
	if got != want {
		return fmt.Errorf("%d %s, want %d", got, what, want)
	}
	return nil
}

// contradicting reads an instance's saga_events_contradicting_total for an
// event type.
func contradicting(t *testing.T, s *stack.Stack, inst, eventType string) int {
	t.Helper()
	return metricSum(t, s, inst, "saga_events_contradicting_total{", `event_type="`+eventType+`"`)
}
