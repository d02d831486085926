package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
)

func TestAMalformedEventIsDeadLetteredAndDoesNotBlockTheOthers(t *testing.T) {
	t.Parallel()
	marker := aMalformedEventIsDroppedAndDoesNotBlockTheOthers(t, shared)

	// Each poison reaches the dead-letter topic, once per subscriber that
	// refused it, and is not retried in a loop.
	eventually(t, 10*time.Second, func() error {
		n, err := deadLetters(shared, func(e streamEvent) bool { return strings.Contains(e.Raw, marker) })
		if err != nil {
			return err
		}
		// orders: stock-svc refuses both poisons (2); stock: order-svc
		// and payment-svc (2); payments: order-svc and stock-svc (2).
		if n != 6 {
			return fmt.Errorf("%d dead letters with the marker, want 6", n)
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
	droppedByOrder := handled(t, s, contracts.AppOrder, "", "dead_letter")
	droppedByStock := handled(t, s, contracts.AppStock, "", "dead_letter")
	for _, p := range poisons {
		a.publish(p.topic, p.event, "")
	}

	// An order placed after the poison goes through.
	prod, c := "p-"+uid(), "c-"+uid()
	a.putProduct(prod, 100, 5)
	if o := a.finalOrder(a.placeOrder(c, item{ProductID: prod, Quantity: 1}).ID); o.Status != "CONFIRMED" {
		t.Fatalf("order after the poison: %+v", o)
	}
	// stock-svc refused the two on orders, and one on payments; order-svc
	// the ones on stock and payments.
	eventually(t, 10*time.Second, func() error {
		return errors.Join(
			atLeast(handled(t, s, contracts.AppOrder, "", "dead_letter")-droppedByOrder, 2, "events dead-lettered by order-svc"),
			atLeast(handled(t, s, contracts.AppStock, "", "dead_letter")-droppedByStock, 3, "events dead-lettered by stock-svc"))
	}, "the poison to be refused")
	return marker
}

// A customer id no wallet key can hold ("||" is Dapr's key separator) once
// passed stock-svc, held stock, and looped at payment-svc. It is refused at
// the API now; as an event from a faulty producer it is dead-lettered at
// once by stock-svc, the consumer of the orders topic, which refuses its
// order so that the order ends, and nothing is held or charged.
func TestAnOrderForACustomerIdNoKeyCanHoldEndsAtOnceAndTakesNothing(t *testing.T) {
	t.Parallel()
	a := newAPI(t, shared)
	prod := "p-" + uid()
	a.putProduct(prod, 100, 5)
	r := a.do(http.MethodPost, a.s.URL(contracts.AppOrder)+"/orders", map[string]any{"customerId": "x||y", "items": []item{{ProductID: prod, Quantity: 1}}}, nil)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "customerId") {
		t.Fatalf("POST /orders for x||y: %d %s, want 422 naming customerId", r.Status, r.Body)
	}

	id := "xy-" + uid()
	ev := orderCreated(id, "x||y", item{ProductID: prod, Quantity: 3})
	dropped := handled(t, shared, contracts.AppStock, contracts.TypeOrderCreated, "dead_letter")
	a.publish(contracts.TopicOrders, ev, ev.EventID)
	// Within the retry policy's time (8 retries a second apart): here at
	// once, since no retry could make it valid.
	eventually(t, 8*time.Second, func() error {
		return expectEvent(shared, contracts.TopicStock, contracts.TypeStockFailed, id, 1)
	}, "stock-svc to refuse the order")
	eventually(t, 8*time.Second, func() error {
		n, err := deadLetters(shared, func(e streamEvent) bool { return e.OrderID == id })
		if err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("%d dead letters of %s, want 1 (stock-svc)", n, id)
		}
		return nil
	}, "the event on the dead-letter topic")
	if n := handled(t, shared, contracts.AppStock, contracts.TypeOrderCreated, "dead_letter") - dropped; n < 1 {
		t.Fatalf("stock-svc dead-lettered %v creations, want the poison", n)
	}
	if err := expectProduct(a.product(prod), 5, 0); err != nil {
		t.Fatal(err)
	}
	if _, status := a.order(id); status != http.StatusNotFound {
		t.Fatalf("the refused order answers %d, want 404", status)
	}
	if p, found := a.payment(id); found {
		t.Fatalf("a payment was recorded: %+v", p)
	}
}

// A message whose handler can never succeed (here payment-svc cannot read
// the customer's wallet, whose stored record is garbage) is retried for a
// few seconds, then given up on: payment-svc refuses the payment, so the
// order ends CANCELED with its stock back, and the message is
// dead-lettered once, not looped.
func TestAMessageThatCanNeverSucceedIsDeadLetteredAndItsOrderStillEnds(t *testing.T) {
	t.Parallel()
	aMessageThatCanNeverSucceedIsDeadLetteredAndItsOrderStillEnds(t, shared)
}

func aMessageThatCanNeverSucceedIsDeadLetteredAndItsOrderStillEnds(t *testing.T, s *stack.Stack) {
	a := newAPI(t, s)
	prod, c := "p-"+uid(), "c-"+uid()
	a.putProduct(prod, 250, 10)
	putRaw(t, s, contracts.AppPayment, "wallet-"+c, "not a wallet")
	placed := a.placeOrder(c, item{ProductID: prod, Quantity: 4})
	o := a.finalOrder(placed.ID)
	if o.Status != "CANCELED" {
		t.Fatalf("order %+v, want CANCELED", o)
	}
	eventually(t, 10*time.Second, func() error { return expectProduct(a.product(prod), 10, 0) }, "the stock given back")
	if p, found := a.payment(placed.ID); !found || p.Status != "FAILED" || p.AmountCents != 0 {
		t.Fatalf("payment %+v found=%v, want a failed payment of nothing", p, found)
	}
	eventually(t, 15*time.Second, func() error {
		n, err := deadLetters(s, func(e streamEvent) bool {
			return e.OrderID == placed.ID && e.Type == contracts.TypeStockReserved
		})
		if err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("%d dead letters of the reservation, want 1", n)
		}
		return nil
	}, "the reservation on the dead-letter topic")
	// Dead-lettered is acknowledged: no sidecar of payment-svc will hand
	// the reservation out again, whatever its broker does with a message
	// that failed (Dapr 1.17 and later acknowledge it after the retries).
	reservation := onStream(t, s, contracts.TopicStock, "the reservation", func(e streamEvent) bool {
		return e.OrderID == placed.ID && e.Type == contracts.TypeStockReserved
	})
	eventually(t, 15*time.Second, func() error {
		c := s.Redis.Client()
		defer c.Close()
		pending, err := c.XPendingExt(context.Background(), &redis.XPendingExtArgs{
			Stream: contracts.TopicStock, Group: contracts.AppPayment, Start: reservation.StreamID, End: reservation.StreamID, Count: 1,
		}).Result()
		if err != nil {
			return err
		}
		if len(pending) > 0 {
			return fmt.Errorf("the reservation is still pending in %s's group, delivered %d times", contracts.AppPayment, pending[0].RetryCount)
		}
		return nil
	}, "the dead-lettered reservation acknowledged")
}

// deadLetters counts the events on the dead-letter topic that match.
func deadLetters(s *stack.Stack, match func(streamEvent) bool) (int, error) {
	events, err := topicEvents(s, contracts.TopicDeadLetters)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range events {
		if match(e) {
			n++
		}
	}
	return n, nil
}
