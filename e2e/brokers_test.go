package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/example/order-saga/devstack/stack"
)

// otherBrokers are the pub/subs the saga runs on besides Redis Streams,
// by their component YAML alone, as `make run BROKER=...` names them.
var otherBrokers = []struct{ name, broker string }{
	{"RabbitMQ", "rabbitmq"},
	{"Kafka", "kafka"},
}

// TestTheSagaRunsTheSameOnRabbitMQAndKafka runs the saga's cases, which
// the other tests run on Redis Streams, on the other brokers, with the
// state in Redis and in PostgreSQL: only the component files change,
// dapr/components/pubsub.yaml for one of dapr/brokers/ and the stores for
// those of dapr/stores/postgres/.
func TestTheSagaRunsTheSameOnRabbitMQAndKafka(t *testing.T) {
	for _, b := range otherBrokers {
		for _, store := range []string{"redis", "postgres"} {
			t.Run(b.name+", state in "+store, func(t *testing.T) {
				o := startBroker(t, b.broker)
				o.State = store
				runSagaCases(t, ownStack(t, o), sagaCases)
			})
		}
	}
}

// sagaCase is one of the saga's cases, run on a stack of a test's own.
type sagaCase struct {
	name string
	run  func(t *testing.T, s *stack.Stack)
}

// sagaCases are the cases a stack on another broker or another delivery
// runs as the shared stack does.
var sagaCases = []sagaCase{
	{"an order that can be served and paid is confirmed", anOrderThatCanBeServedAndPaidIsConfirmed},
	{"an order that cannot be paid is canceled and its stock released", ignoreResult(anOrderThatCannotBePaidIsCanceledAndItsStockReleased)},
	{"an event delivered more than once has exactly one effect", anEventDeliveredMoreThanOnceHasExactlyOneEffect},
	{"a malformed event is dropped and does not block the others", ignoreResult(aMalformedEventIsDroppedAndDoesNotBlockTheOthers)},
}

// ignoreResult makes a case of one that returns what other tests use.
func ignoreResult[R any](run func(t *testing.T, s *stack.Stack) R) func(t *testing.T, s *stack.Stack) {
	return func(t *testing.T, s *stack.Stack) { run(t, s) }
}

// runSagaCases runs each case on s, as a subtest.
func runSagaCases(t *testing.T, s *stack.Stack, cases []sagaCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, s) })
	}
}

// startBroker brings up a broker for the test, stopped at its end, and
// says how a stack reaches it.
func startBroker(t *testing.T, name string) stack.Options {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	logs := &stack.LogBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	o, stop, err := stack.StartBroker(ctx, root, name, logs)
	if err != nil {
		t.Fatalf("start %s: %v\n%s", name, err, logs.Tail(40))
	}
	t.Cleanup(stop)
	return o
}
