package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
)

// TestAnOrderWhoseEventWasLostIsAnnouncedAgainAndFinishes loses an
// order's OrderCreated before stock-svc reads it, as a broker that drops
// a publish it acknowledged would: order-svc publishes the event again
// once the order has been open for its RedriveAfter (30s), and the order
// ends as it should, charged once.
func TestAnOrderWhoseEventWasLostIsAnnouncedAgainAndFinishes(t *testing.T) {
	t.Parallel()
	s := ownStack(t, stack.Options{})
	a := newAPI(t, s)
	p, c := "p-"+uid(), "c-"+uid()
	a.putProduct(p, 400, 10)
	a.putWallet(c, 10_000)

	// An order is confirmed first; its OrderCreated is the decoy below.
	decoy := a.finalOrder(a.placeOrder(c, item{ProductID: p, Quantity: 1}).ID)

	// stock-svc's sidecar is stopped. A copy of the decoy's event is
	// added, which the sidecar's pending read takes (a duplicate, with no
	// effect); then the order's event waits on the stream, and is deleted
	// there before the sidecar goes on.
	resume := pauseSidecar(t, s, contracts.AppStock)
	rc := s.Redis.Client()
	defer rc.Close()
	ctx := context.Background()
	decoyEntry := streamEntryOf(t, s, decoy.ID)
	copied, err := rc.XRangeN(ctx, contracts.TopicOrders, decoyEntry, decoyEntry, 1).Result()
	if err != nil || len(copied) != 1 {
		t.Fatalf("read the decoy's entry: %v %v", copied, err)
	}
	if err := rc.XAdd(ctx, &redis.XAddArgs{Stream: contracts.TopicOrders, Values: copied[0].Values}).Err(); err != nil {
		t.Fatal(err)
	}
	id := a.placeOrder(c, item{ProductID: p, Quantity: 3}).ID
	if err := rc.XDel(ctx, contracts.TopicOrders, streamEntryOf(t, s, id)).Err(); err != nil {
		t.Fatal(err)
	}
	resume()

	if o, _ := a.order(id); o.Final() {
		t.Fatalf("order %+v finished though its event was lost", o)
	}
	var o orderView
	eventually(t, time.Minute, func() error {
		var code int
		if o, code = a.order(id); code != 200 || !o.Final() {
			return errNotYet
		}
		return nil
	}, "order %s to finish", id)
	if o.Status != "CONFIRMED" || o.TotalCents != 1_200 {
		t.Fatalf("order %+v, want CONFIRMED for 1200 cents", o)
	}
	if took := o.UpdatedAt.Sub(o.CreatedAt); took < 30*time.Second {
		t.Errorf("the order finished %s after it was placed, before it could have been announced again", took)
	}
	eventually(t, 10*time.Second, func() error { return expectSold(a.product(p), 6, 0, 4) }, "stock taken once")
	if w := a.wallet(c); w.BalanceCents != 10_000-1_600 {
		t.Fatalf("balance %d, want %d: charged other than once", w.BalanceCents, 10_000-1_600)
	}
	if n := metricSum(t, s, contracts.AppOrder, "saga_orders_redriven_total"); n != 1 {
		t.Errorf("saga_orders_redriven_total is %d, want 1", n)
	}
}

// streamEntryOf is the id of the stream entry of an order's OrderCreated.
func streamEntryOf(t *testing.T, s *stack.Stack, orderID string) string {
	t.Helper()
	return onStream(t, s, contracts.TopicOrders, "the OrderCreated of "+orderID,
		func(e streamEvent) bool { return e.OrderID == orderID }).StreamID
}
