package e2e

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/sagaapi"
	"github.com/example/order-saga/devstack/stack"
)

// The deadline of the stacks below, short so that a test waits for it:
// and how late after it an order may be canceled (the sweep's slot,
// settle time and period, and a loaded machine).
const (
	shortDeadline = 4 * time.Second
	deadlineSlack = 5 * time.Second
)

// deadlineStack runs the saga with a short order deadline, and two
// replicas of each participant.
func deadlineStack(t *testing.T, deadline time.Duration) *stack.Stack {
	return ownStack(t, stack.Options{
		Replicas: map[string]int{contracts.AppStock: 2, contracts.AppPayment: 2},
		Env:      map[string][]string{contracts.AppOrder: {"ORDER_DEADLINE=" + deadline.String()}},
	})
}

// TestOrdersEndAtTheirDeadlineWhileAParticipantIsDown keeps every replica
// of a participant, app and sidecar, killed for twice the deadline while
// orders come in: each order of that time ends at its deadline at the
// latest, and once the participant is back, everything it took or would
// have taken is undone, exactly.
func TestOrdersEndAtTheirDeadlineWhileAParticipantIsDown(t *testing.T) {
	for _, down := range []string{contracts.AppPayment, contracts.AppStock} {
		t.Run(down+" down", func(t *testing.T) {
			s := deadlineStack(t, shortDeadline)
			a := newAPI(t, s)
			shop, plans := seededShop(t, a, 300, 0.1)

			before, _ := placeAtRate(t, s, plans[:50], 25)
			insts := []string{down, down + "-2"}
			for _, inst := range insts {
				s.Sidecar(inst).Kill()
				s.App(inst).Kill()
			}
			downAt := time.Now()
			during, _ := placeAtRate(t, s, plans[50:250], 25)
			<-time.After(time.Until(downAt.Add(2 * shortDeadline)))
			// Still down: every order of the outage has ended, at its
			// deadline at the latest.
			ended, _ := finalOrders(t, a, during, 2*shortDeadline+deadlineSlack)
			byDeadline := 0
			for _, o := range ended {
				end := endedAt(o)
				if late := end.Sub(o.CreatedAt) - shortDeadline; late > deadlineSlack {
					t.Errorf("order %s ended %s %s after it was placed, %s past its deadline", o.ID, o.Status, end.Sub(o.CreatedAt), late)
				}
				switch {
				case o.Reason == sagaapi.ReasonDeadline:
					byDeadline++
				case o.Status == sagaapi.StatusConfirmed || down == contracts.AppStock:
					t.Errorf("order %s ended %s (%s) with %s down", o.ID, o.Status, o.Reason, down)
				}
			}
			t.Logf("%d orders placed with %s down: %d canceled at their deadline, the others for their stock", len(ended), down, byDeadline)
			if byDeadline == 0 {
				t.Errorf("no order was canceled at its deadline")
			}
			for _, inst := range insts {
				if err := s.StartSidecarOf(inst); err != nil {
					t.Fatal(err)
				}
				if err := s.StartApp(inst); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := s.WaitReady(ctx, insts...); err != nil {
				t.Fatal(err)
			}
			after, _ := placeAtRate(t, s, plans[250:], 25)

			placed := append(append(append([]placedOrder{}, before...), during...), after...)
			final, _ := finalOrders(t, a, placed, time.Minute)
			sum := tally(t, shop, plans, final)
			t.Logf("%d orders: %s", len(final), sum)
			if b := checkConserved(t, a, shop, final, sum); b != (broken{}) {
				t.Errorf("broken after %s came back: %+v", down, b)
			}
		})
	}
}

// TestOrdersRacingTheirDeadlineEndOnceAndConserveEverything places a burst
// of orders with a deadline shorter than the saga takes under it, so that
// the deadline fires before, during and after their last events: stock-svc
// and payment-svc refuse what comes after it, and order-svc cancels what
// has not ended. Each order ends once, as CONFIRMED or CANCELED; no payment
// stands for a canceled one, and stock and money add up exactly. (How many
// race which step depends on the machine's speed; the race of the deadline
// with the payment is run thousands of times on an injected clock in
// order-svc's tests.)
func TestOrdersRacingTheirDeadlineEndOnceAndConserveEverything(t *testing.T) {
	s := deadlineStack(t, 300*time.Millisecond)
	a := newAPI(t, s)
	shop, plans := seededShop(t, a, conservedOrders, deliveredTwiceChance)
	placed := placeConcurrently(t, s, plans, 64)
	final, _ := finalOrders(t, a, placed, 3*time.Minute)
	sum := tally(t, shop, plans, final)
	refunded := 0
	for _, o := range final {
		if o.RefundedCents > 0 {
			refunded++
		}
		if n := finalEntries(o); n != 1 {
			t.Errorf("order %s has %d final statuses in its history: %+v", o.ID, n, o.History)
		}
	}
	t.Logf("%d orders: %s; %d refunded after their deadline", len(final), sum, refunded)
	checkConserved(t, a, shop, final, sum)
}

// endedAt is when an order reached its final status, as its history says.
func endedAt(o orderView) time.Time {
	for _, h := range o.History {
		if h.Status == sagaapi.StatusConfirmed || h.Status == sagaapi.StatusCanceled {
			return h.At
		}
	}
	return time.Time{}
}

// finalEntries counts the final statuses an order's history went
// through: a refund is noted under the status it leaves as it was.
func finalEntries(o orderView) int {
	n := 0
	for _, h := range o.History {
		if (h.Status == sagaapi.StatusConfirmed || h.Status == sagaapi.StatusCanceled) && h.Reason == o.Reason {
			n++
		}
	}
	return n
}

// TestOrdersWhoseEventsOrderSvcMissedEndAndArePaidBack has orders placed
// while stock-svc is stopped, kills order-svc, lets the saga run on without
// it, and drops from the broker every event on its way to order-svc (its
// consumer groups are moved past them) while it is down, longer than the
// orders' deadline and a delivery's retries: order-svc comes back knowing
// nothing of the steps its orders went through, and its in-memory
// redriver is gone. Each order still ends, at its deadline, and one that
// was paid meanwhile is refunded, its units returned.
func TestOrdersWhoseEventsOrderSvcMissedEndAndArePaidBack(t *testing.T) {
	s := deadlineStack(t, shortDeadline)
	a := newAPI(t, s)
	shop, plans := seededShop(t, a, 200, 0.1)

	stock := []string{contracts.AppStock, contracts.AppStock + "/dapr", contracts.AppStock + "-2", contracts.AppStock + "-2/dapr"}
	signal(t, s, stock, syscall.SIGSTOP)
	placed := placeConcurrently(t, s, plans, 32)
	s.App(contracts.AppOrder).Kill()
	downAt := time.Now()
	signal(t, s, stock, syscall.SIGCONT)
	ctx, cancel := context.WithTimeout(context.Background(), shortDeadline+10*time.Second)
	dropped := dropOrderSvcEvents(ctx, t, s)
	cancel()
	t.Logf("%d events dropped on their way to order-svc, down %s", dropped, time.Since(downAt).Round(time.Second))
	if err := s.StartApp(contracts.AppOrder); err != nil {
		t.Fatal(err)
	}
	readyCtx, readyCancel := context.WithTimeout(context.Background(), time.Minute)
	defer readyCancel()
	if err := s.WaitReady(readyCtx, contracts.AppOrder); err != nil {
		t.Fatal(err)
	}
	final, _ := finalOrders(t, a, placed, time.Minute)
	sum := tally(t, shop, plans, final)
	refunded := 0
	for _, o := range final {
		if o.RefundedCents > 0 {
			refunded++
		}
	}
	t.Logf("%d orders: %s; %d refunded", len(final), sum, refunded)
	if sum.reasons[sagaapi.ReasonDeadline] == 0 || refunded == 0 {
		t.Errorf("no order of those order-svc missed was canceled at its deadline and refunded")
	}
	checkConserved(t, a, shop, final, sum)
}

// signal sends sig to each named process of the stack.
func signal(t *testing.T, s *stack.Stack, names []string, sig syscall.Signal) {
	t.Helper()
	pids := s.Pids()
	for _, n := range names {
		if err := syscall.Kill(pids[n], sig); err != nil {
			t.Fatalf("%s %s: %v", sig, n, err)
		}
	}
}

// dropOrderSvcEvents moves order-svc's consumer groups on the stock and
// payments streams past every entry, and acknowledges what they hold,
// every 20 ms until ctx ends: order-svc never gets those events. It
// returns how many entries it dropped.
func dropOrderSvcEvents(ctx context.Context, t *testing.T, s *stack.Stack) int {
	c := s.Redis.Client()
	defer c.Close()
	dropped := 0
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return dropped
		case <-tick.C:
		}
		for _, stream := range []string{contracts.TopicStock, contracts.TopicPayments} {
			bg := context.Background()
			if err := c.XGroupSetID(bg, stream, contracts.AppOrder, "$").Err(); err != nil {
				continue // the stream or the group is not there yet
			}
			pending, err := c.XPendingExt(bg, &redis.XPendingExtArgs{Stream: stream, Group: contracts.AppOrder, Start: "-", End: "+", Count: 1000}).Result()
			if err != nil {
				t.Errorf("pending entries of %s: %v", stream, err)
				return dropped
			}
			ids := make([]string, len(pending))
			for i, p := range pending {
				ids[i] = p.ID
			}
			if len(ids) > 0 {
				n, _ := c.XAck(bg, stream, contracts.AppOrder, ids...).Result()
				dropped += int(n)
			}
		}
	}
}
