package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
)

// letterView is a dead letter as GET /deadletters shows it.
type letterView struct {
	ID         int64      `json:"id"`
	EventID    string     `json:"eventId"`
	Topic      string     `json:"topic"`
	Type       string     `json:"type"`
	OrderID    string     `json:"orderId"`
	Reason     string     `json:"reason"`
	Deliveries int        `json:"deliveries"`
	RedrivenAt *time.Time `json:"redrivenAt"`
}

// letters reads every dead letter a service keeps, page by page.
func (a api) letters(inst string) []letterView {
	a.t.Helper()
	var all []letterView
	after := ""
	for {
		r := a.do(http.MethodGet, a.s.URL(inst)+"/deadletters?limit=50&after="+after, nil, a.admin())
		if r.Status != http.StatusOK {
			a.t.Fatalf("GET /deadletters of %s: %d %s", inst, r.Status, r.Body)
		}
		page := decodeInto[struct {
			Letters []letterView `json:"letters"`
			Next    string       `json:"next"`
		}](a.t, r)
		all = append(all, page.Letters...)
		if page.Next == "" {
			return all
		}
		after = page.Next
	}
}

// TestAnEventGivenUpOnIsKeptListedAndSentAgainOnce makes stock-svc fail on
// an order's creation (the product it wants is stored unreadable) until it
// gives up on it: the order ends, and the creation is dead-lettered.
// order-svc, the owner of the orders topic, keeps the letter, counts it
// and lists it to the admin alone, even though it cannot store letters at
// first (their counter is unreadable) for longer than the sidecar's
// retries; once the product is readable again, the letter is sent again
// on request, once, and the stock, which refused the order, holds nothing
// for it.
func TestAnEventGivenUpOnIsKeptListedAndSentAgainOnce(t *testing.T) {
	anEventGivenUpOnIsKeptListedAndSentAgainOnce(t, ownStack(t, stack.Options{}))
}

func anEventGivenUpOnIsKeptListedAndSentAgainOnce(t *testing.T, s *stack.Stack) {
	a := newAPI(t, s)
	prod, c := "p-"+uid(), "c-"+uid()
	a.putProduct(prod, 300, 10)
	if r := a.do(http.MethodGet, s.URL(contracts.AppOrder)+"/deadletters", nil, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("GET /deadletters without the admin token: %d, want 401", r.Status)
	}
	putRaw(t, s, contracts.AppStock, "product-"+prod, "not a product")
	// The letters' counter, made unreadable, is put back as it was.
	count, counted := getRaw(t, s, contracts.AppOrder, "deadletters-count")
	putRaw(t, s, contracts.AppOrder, "deadletters-count", "not a number")
	placed := a.placeOrder(c, item{ProductID: prod, Quantity: 2})
	// The sidecar retries a delivery 9 times in all, a second apart, then
	// publishes the letter to the dead letters again: more failures than
	// that mean the letter came round again.
	eventually(t, 40*time.Second, func() error {
		n := metricSum(t, s, contracts.AppOrder, "saga_events_handled_total{", `topic="deadletters"`, `outcome="retry"`)
		if n < 12 {
			return fmt.Errorf("order-svc failed to keep the letter %d times", n)
		}
		return nil
	}, "the letter not kept, past the sidecar's retries")
	if counted {
		putRaw(t, s, contracts.AppOrder, "deadletters-count", count)
	} else {
		deleteRaw(t, s, contracts.AppOrder, "deadletters-count")
	}
	// Kept at last, the letter ends its order at once.
	if o := a.finalOrder(placed.ID); o.Status != "CANCELED" {
		t.Fatalf("order %s %q, want CANCELED", o.Status, o.Reason)
	}
	var letter letterView
	eventually(t, 20*time.Second, func() error {
		for _, l := range a.letters(contracts.AppOrder) {
			if l.OrderID == placed.ID && l.Type == contracts.TypeOrderCreated {
				letter = l
				return nil
			}
		}
		return fmt.Errorf("no letter of the order's creation")
	}, "the letter kept by order-svc")
	if letter.Topic != contracts.TopicOrders || letter.EventID != contracts.EventID(placed.ID, contracts.TypeOrderCreated) ||
		letter.RedrivenAt != nil || letter.Reason == "" {
		t.Fatalf("letter %+v", letter)
	}
	for _, other := range []string{contracts.AppStock, contracts.AppPayment} {
		for _, l := range a.letters(other) {
			if l.OrderID == placed.ID {
				t.Fatalf("%s keeps a letter of the orders topic: %+v", other, l)
			}
		}
	}
	if n := metricSum(t, s, contracts.AppOrder, "saga_dead_letters_total{", `event_type="OrderCreated"`); n < 1 {
		t.Fatalf("saga_dead_letters_total of OrderCreated is %d", n)
	}

	deleteRaw(t, s, contracts.AppStock, "product-"+prod)
	a.putProduct(prod, 300, 10)
	handledBefore := handled(t, s, contracts.AppStock, contracts.TypeOrderCreated, "success")
	redrive := s.URL(contracts.AppOrder) + fmt.Sprintf("/deadletters/%d/redrive", letter.ID)
	if r := a.do(http.MethodPost, redrive, nil, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("redrive without the admin token: %d, want 401", r.Status)
	}
	if r := a.do(http.MethodPost, redrive, nil, a.admin()); r.Status != http.StatusAccepted {
		t.Fatalf("redrive: %d %s, want 202", r.Status, r.Body)
	}
	if r := a.do(http.MethodPost, redrive, nil, a.admin()); r.Status != http.StatusConflict {
		t.Fatalf("second redrive: %d %s, want 409", r.Status, r.Body)
	}
	if n := metricSum(t, s, contracts.AppOrder, "saga_dead_letters_redriven_total{", `topic="orders"`); n != 1 {
		t.Fatalf("saga_dead_letters_redriven_total is %d, want 1", n)
	}
	eventually(t, 30*time.Second, func() error {
		if n := handled(t, s, contracts.AppStock, contracts.TypeOrderCreated, "success"); n <= handledBefore {
			return fmt.Errorf("stock-svc did not handle the creation sent again")
		}
		return expectProduct(a.product(prod), 10, 0)
	}, "the creation sent again handled, holding nothing")
	if o := a.finalOrder(placed.ID); o.Status != "CANCELED" {
		t.Fatalf("after the redrive the order is %s", o.Status)
	}
}
