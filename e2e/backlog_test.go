package e2e

import (
	"context"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
)

// backlogOrders is the size of the backlog a dead consumer leaves.
const backlogOrders = 1_000

// TestABacklogADeadConsumerLeftIsHandledWithinAMinute leaves a thousand
// OrderCreated events taken from Redis and never acknowledged, as a
// stock-svc sidecar that died with them would, and shows that the sidecar
// handles them all within a minute of coming back: the pub/sub settings
// (processingTimeout, redeliverInterval, queueDepth in pubsub.yaml) bound
// how long a dead consumer's messages wait.
func TestABacklogADeadConsumerLeftIsHandledWithinAMinute(t *testing.T) {
	s := ownStack(t, stack.Options{})
	a := newAPI(t, s)
	shop, plans := seededShop(t, a, backlogOrders, 0)

	// While stock-svc's sidecar is stopped, the orders wait on the stream;
	// then they are taken for stock-svc and left unacknowledged.
	resume := pauseSidecar(t, s, contracts.AppStock)
	placed := placeConcurrently(t, s, plans, conservedWorkers)
	c := s.Redis.Client()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: contracts.AppStock, Consumer: contracts.AppStock,
		Streams: []string{contracts.TopicOrders, ">"}, Count: 10 * backlogOrders, Block: -1}).Result(); err != nil && err != redis.Nil {
		t.Fatalf("take the orders: %v", err)
	}
	pending, err := c.XPending(ctx, contracts.TopicOrders, contracts.AppStock).Result()
	if err != nil {
		t.Fatal(err)
	}
	if pending.Count < backlogOrders {
		t.Fatalf("%d entries unacknowledged by stock-svc, want at least %d", pending.Count, backlogOrders)
	}
	resume()
	back := time.Now()

	final, _ := finalOrders(t, a, placed, 2*time.Minute)
	var last time.Duration
	for _, o := range final {
		last = max(last, o.UpdatedAt.Sub(back))
	}
	t.Logf("%d OrderCreated unacknowledged when stock-svc's sidecar came back: every order final %.1fs later",
		pending.Count, last.Seconds())
	if last > time.Minute {
		t.Errorf("the backlog took %.1fs to clear, want at most a minute", last.Seconds())
	}
	sum := tally(t, shop, plans, final)
	t.Logf("%d orders: %s", len(final), sum)
	checkConserved(t, a, shop, final, sum)
}

// pauseSidecar stops an instance's sidecar with SIGSTOP, and returns what
// lets it go on; the test's end lets it go on if nothing did before.
func pauseSidecar(t *testing.T, s *stack.Stack, inst string) (resume func()) {
	t.Helper()
	pid := s.Pids()[inst+"/dapr"]
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	resume = func() { once.Do(func() { _ = syscall.Kill(pid, syscall.SIGCONT) }) }
	t.Cleanup(resume)
	return resume
}
