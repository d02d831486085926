package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
)

// broker is another pub/sub the saga runs on, by its component YAML alone:
// start brings one up for a test and says how the stack reaches it.
type broker struct {
	name  string
	start func(t *testing.T) stack.Options
}

var otherBrokers = []broker{
	{"RabbitMQ", rabbitMQ},
	{"Kafka", kafka},
}

// TestTheSagaRunsTheSameOnRabbitMQAndKafka runs the saga's cases, which
// the other tests run on Redis Streams, on the other brokers: only
// dapr/components/pubsub.yaml changes, for one of dapr/brokers/.
func TestTheSagaRunsTheSameOnRabbitMQAndKafka(t *testing.T) {
	for _, b := range otherBrokers {
		t.Run(b.name, func(t *testing.T) {
			s := ownStack(t, b.start(t))
			t.Run("an order that can be served and paid is confirmed", func(t *testing.T) {
				anOrderThatCanBeServedAndPaidIsConfirmed(t, s)
			})
			t.Run("an order that cannot be paid is canceled and its stock released", func(t *testing.T) {
				anOrderThatCannotBePaidIsCanceledAndItsStockReleased(t, s)
			})
			t.Run("an event delivered more than once has exactly one effect", func(t *testing.T) {
				anEventDeliveredMoreThanOnceHasExactlyOneEffect(t, s)
			})
			t.Run("a malformed event is dropped and does not block the others", func(t *testing.T) {
				aMalformedEventIsDroppedAndDoesNotBlockTheOthers(t, s)
			})
		})
	}
}

func brokerComponent(t *testing.T, file string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "dapr", "brokers", file))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// rabbitMQ starts Debian's RabbitMQ server for the test.
func rabbitMQ(t *testing.T) stack.Options {
	t.Helper()
	logs := &stack.LogBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := stack.StartRabbitMQ(ctx, logs)
	if err != nil {
		t.Fatalf("start RabbitMQ: %v\n%s", err, logs.Tail(40))
	}
	t.Cleanup(r.Stop)
	return stack.Options{
		PubSub:    brokerComponent(t, "rabbitmq.yaml"),
		Addresses: map[string]string{"localhost:5672": r.Addr},
	}
}

// kafka runs an in-process Kafka cluster (franz-go's kfake) for the test.
func kafka(t *testing.T) stack.Options {
	t.Helper()
	topics := []string{contracts.TopicOrders, contracts.TopicStock, contracts.TopicPayments, contracts.TopicDeadLetters}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, topics...), kfake.AllowAutoTopicCreation())
	if err != nil {
		t.Fatalf("start Kafka: %v", err)
	}
	t.Cleanup(c.Close)
	return stack.Options{
		PubSub:    brokerComponent(t, "kafka.yaml"),
		Addresses: map[string]string{"localhost:9092": c.ListenAddrs()[0]},
	}
}
