package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
)

func TestAMalformedEventIsDeadLetteredAndDoesNotBlockTheOthers(t *testing.T) {
	t.Parallel()
	marker := aMalformedEventIsDroppedAndDoesNotBlockTheOthers(t, shared)

	// Each poison reaches the dead-letter topic, once per subscriber that
	// refused it, and is not retried in a loop.
	eventually(t, 10*time.Second, func() error {
		events, err := topicEvents(shared, contracts.TopicDeadLetters)
		if err != nil {
			return err
		}
		n := 0
		for _, e := range events {
			if strings.Contains(e.Raw, marker) {
				n++
			}
		}
		// orders: order-svc and stock-svc each refuse both poisons (4);
		// stock: order-svc and payment-svc (2); payments: order-svc and
		// stock-svc (2).
		if n != 8 {
			return fmt.Errorf("%d dead letters with the marker, want 8", n)
		}
		return nil
	}, "the poison on the dead-letter topic")
}

// aMalformedEventIsDroppedAndDoesNotBlockTheOthers publishes malformed
// events on every topic, and returns the marker they carry.
func aMalformedEventIsDroppedAndDoesNotBlockTheOthers(t *testing.T, s *stack.Stack) string {
	a := newAPI(t, s)
	marker := "poison-" + uid()
	poisons := []struct {
		topic string
		event any
	}{
		{contracts.TopicOrders, "not json " + marker},
		{contracts.TopicOrders, map[string]any{"type": contracts.TypeOrderCreated, "orderId": marker, "occurredAt": time.Now(), "customerId": "alice", "items": "three"}},
		{contracts.TopicStock, map[string]any{"type": contracts.TypeStockReserved, "orderId": "", "note": marker}},
		{contracts.TopicPayments, map[string]any{"orderId": marker}},
	}
	dropped := handled(t, s, contracts.AppOrder, "", "dead_letter")
	for _, p := range poisons {
		a.publish(p.topic, p.event, "")
	}

	// An order placed after the poison goes through.
	prod, c := "p-"+uid(), "c-"+uid()
	a.putProduct(prod, 100, 5)
	if o := a.finalOrder(a.placeOrder(c, item{prod, 1}).ID); o.Status != "CONFIRMED" {
		t.Fatalf("order after the poison: %+v", o)
	}
	// order-svc, which subscribes to every topic, refused all four.
	eventually(t, 10*time.Second, func() error {
		return atLeast(handled(t, s, contracts.AppOrder, "", "dead_letter")-dropped, len(poisons), "events dead-lettered by order-svc")
	}, "the poison to be refused")
	return marker
}
