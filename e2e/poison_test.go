package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
)

func TestAMalformedEventIsDeadLetteredAndDoesNotBlockTheOthers(t *testing.T) {
	t.Parallel()
	a := newAPI(t, shared)
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
	for _, p := range poisons {
		a.publish(contracts.AppOrder, p.topic, p.event, "")
	}

	// An order placed after the poison goes through.
	prod, c := "p-"+uid(), "c-"+uid()
	a.putProduct(prod, 100, 5)
	if o := a.finalOrder(a.placeOrder(c, item{prod, 1}).ID); o.Status != "CONFIRMED" {
		t.Fatalf("order after the poison: %+v", o)
	}

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
