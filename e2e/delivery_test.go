package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
)

// orderCreated builds the event order-svc would publish for a new order.
func orderCreated(orderID, customer string, items ...item) contracts.OrderCreated {
	h := contracts.NewHeader(contracts.TypeOrderCreated, orderID, time.Now())
	ev := contracts.OrderCreated{Header: h, CustomerID: customer}
	for _, it := range items {
		ev.Items = append(ev.Items, contracts.Item{ProductID: it.ProductID, Quantity: it.Quantity})
	}
	return ev
}

// publishTwiceAtOnce publishes the same event twice concurrently, as a
// redelivery racing the first delivery would.
func publishTwiceAtOnce(a api, topic string, ev any, id string) {
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); a.publish(topic, ev, id) }()
	}
	wg.Wait()
}

func TestAnEventDeliveredMoreThanOnceHasExactlyOneEffect(t *testing.T) {
	t.Parallel()
	anEventDeliveredMoreThanOnceHasExactlyOneEffect(t, shared)
}

func anEventDeliveredMoreThanOnceHasExactlyOneEffect(t *testing.T, s *stack.Stack) {
	a := newAPI(t, s)
	p, c, id := "p-"+uid(), "c-"+uid(), "o-"+uid()
	a.putProduct(p, 500, 10)
	a.putWallet(c, 10_000)

	ev := orderCreated(id, c, item{ProductID: p, Quantity: 2})
	publishTwiceAtOnce(a, contracts.TopicOrders, ev, ev.EventID)
	a.publish(contracts.TopicOrders, ev, ev.EventID)

	if o := a.finalOrder(id); o.Status != "CONFIRMED" {
		t.Fatalf("order %+v, want CONFIRMED", o)
	}
	eventually(t, 10*time.Second, func() error { return expectProduct(a.product(p), 8, 0) }, "stock taken once")
	// Each of the three copies made stock-svc announce the reservation
	// once; payment-svc handles all three.
	eventually(t, 10*time.Second, func() error {
		return atLeast(handled(t, s, contracts.AppPayment, contracts.TypeStockReserved, "success"), 3, "reservations handled by payment-svc")
	}, "payment-svc to handle each copy")
	before := handled(t, s, contracts.AppPayment, contracts.TypeStockReserved, "success")

	// Two more copies of the reservation come, as redeliveries would bring
	// them; payment-svc answers with the same outcome and charges nothing.
	h := contracts.NewHeader(contracts.TypeStockReserved, id, time.Now())
	again := contracts.StockReserved{Header: h, CustomerID: c, Items: ev.Items, TotalCents: 1000}
	publishTwiceAtOnce(a, contracts.TopicStock, again, h.EventID)
	eventually(t, 10*time.Second, func() error {
		return atLeast(handled(t, s, contracts.AppPayment, contracts.TypeStockReserved, "success"), before+2, "reservations handled by payment-svc")
	}, "payment-svc to handle both copies")
	if w := a.wallet(c); w.BalanceCents != 9_000 {
		t.Fatalf("balance %d, want 9000: charged more than once", w.BalanceCents)
	}
	if err := expectProduct(a.product(p), 8, 0); err != nil {
		t.Fatal(err)
	}
}

// TestTheSagaRunsTheSameWithEventsDeliveredInBulk runs the saga's cases
// on a stack whose sidecars deliver up to 16 events a request
// (BULK_SUBSCRIBE), and checks that they did. E2E_BULK_SUBSCRIBE runs the
// whole suite so.
func TestTheSagaRunsTheSameWithEventsDeliveredInBulk(t *testing.T) {
	t.Parallel()
	s := ownStack(t, stack.Options{Env: withBulkSubscribe(nil, "16")})
	runSagaCases(t, s, append(slices.Clip(sagaCases), sagaCase{
		"a message that can never succeed is dead-lettered and its order still ends",
		aMessageThatCanNeverSucceedIsDeadLetteredAndItsOrderStillEnds,
	}))
	for _, app := range stack.Apps {
		url := fmt.Sprintf("http://127.0.0.1:%d/metrics", s.Ports[app].DaprMetrics)
		if n := metricSumAt(t, s, url, "dapr_component_pubsub_ingress_bulk_count{"); n == 0 {
			t.Errorf("%s's sidecar delivered no event in bulk", app)
		}
	}
}

func atLeast(got, want int, what string) error {
	if got < want {
		return fmt.Errorf("%d %s, want at least %d", got, what, want)
	}
	return nil
}

func TestConcurrentOrdersForScarceStockConfirmOnlyWhatIsAvailable(t *testing.T) {
	t.Parallel()
	a := newAPI(t, shared)
	p := "p-" + uid()
	a.putProduct(p, 100, 5)

	ids := make([]string, 20)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ids[i] = a.placeOrder(fmt.Sprintf("c-%s-%d", uid(), i), item{ProductID: p, Quantity: 1}).ID
		}(i)
	}
	wg.Wait()

	counts := countFinal(a, ids)
	if counts["CONFIRMED"] != 5 || counts["CANCELED"] != 15 {
		t.Fatalf("final statuses %v, want 5 CONFIRMED and 15 CANCELED", counts)
	}
	eventually(t, 10*time.Second, func() error { return expectProduct(a.product(p), 0, 0) }, "stock sold out exactly")
}

func TestTwoReplicasOfStockAndPaymentApplyEachEventOnce(t *testing.T) {
	s := ownStack(t, stack.Options{Replicas: map[string]int{contracts.AppStock: 2, contracts.AppPayment: 2}})
	a := newAPI(t, s)
	p := "p-" + uid()
	a.putProduct(p, 300, 10)

	const orders = 30
	ids := make([]string, orders)
	customers := make([]string, orders)
	var wg sync.WaitGroup
	for i := range ids {
		ids[i], customers[i] = fmt.Sprintf("o-%s-%d", uid(), i), fmt.Sprintf("c-%s-%d", uid(), i)
		ev := orderCreated(ids[i], customers[i], item{ProductID: p, Quantity: 1})
		wg.Add(1)
		go func() {
			defer wg.Done()
			publishTwiceAtOnce(a, contracts.TopicOrders, ev, ev.EventID)
		}()
	}
	wg.Wait()

	counts := countFinal(a, ids)
	if counts["CONFIRMED"] != 10 || counts["CANCELED"] != 20 {
		t.Fatalf("final statuses %v, want 10 CONFIRMED and 20 CANCELED; product now %+v", counts, a.product(p))
	}
	eventually(t, 10*time.Second, func() error { return expectProduct(a.product(p), 0, 0) }, "stock sold out exactly")
	var charged int64
	for _, c := range customers {
		charged += 100_000 - a.wallet(c).BalanceCents
	}
	if charged != 10*300 {
		t.Fatalf("customers were charged %d cents in all, want %d", charged, 10*300)
	}
	for _, inst := range []string{contracts.AppStock, contracts.AppStock + "-2", contracts.AppPayment, contracts.AppPayment + "-2"} {
		if n := handledEvents(t, s, inst); n == 0 {
			t.Errorf("%s handled no event: the replicas did not share the load", inst)
		}
	}
}

// countFinal waits for every order to finish and counts final statuses.
func countFinal(a api, ids []string) map[string]int {
	counts := map[string]int{}
	for _, id := range ids {
		counts[a.finalOrder(id).Status]++
	}
	return counts
}

// handledEvents sums an instance's successful saga_events_handled_total.
func handledEvents(t *testing.T, s *stack.Stack, inst string) int {
	return handled(t, s, inst, "", "success")
}

// handled sums an instance's saga_events_handled_total for an event type
// (any when empty) and outcome.
func handled(t *testing.T, s *stack.Stack, inst, eventType, outcome string) int {
	t.Helper()
	labels := []string{`outcome="` + outcome + `"`}
	if eventType != "" {
		labels = append(labels, `event_type="`+eventType+`"`)
	}
	return metricSum(t, s, inst, "saga_events_handled_total{", labels...)
}

// metricSum sums the series of an instance's /metrics that start with
// prefix and carry every label given.
func metricSum(t *testing.T, s *stack.Stack, inst, prefix string, labels ...string) int {
	t.Helper()
	return metricSumAt(t, s, s.URL(inst)+"/metrics", prefix, labels...)
}

// metricSumAt sums the series at a metrics URL that start with prefix and
// carry every label given.
func metricSumAt(t *testing.T, s *stack.Stack, url, prefix string, labels ...string) int {
	t.Helper()
	r := newAPI(t, s).do(http.MethodGet, url, nil, nil)
	n := 0
lines:
	for _, line := range strings.Split(string(r.Body), "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		for _, l := range labels {
			if !strings.Contains(line, l) {
				continue lines
			}
		}
		var v float64
		fmt.Sscanf(line[strings.LastIndex(line, " ")+1:], "%g", &v)
		n += int(v)
	}
	return n
}
