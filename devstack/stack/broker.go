package stack

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/example/order-saga/contracts"
)

// BrokerUser is the user the saga's sidecars log in to a broker as; its
// password is drawn at random for each broker started.
const BrokerUser = "saga"

// StartBroker brings up the pub/sub name names, for a stack rooted at
// root: "redis" (or "") needs nothing more than the stack's Redis;
// "rabbitmq" starts Debian's RabbitMQ; "kafka" runs franz-go's in-process
// Kafka, a real Kafka protocol endpoint with no JVM and no data kept. It
// returns the Options that put a stack on it (its component from
// dapr/brokers/, its address and its password, and for RabbitMQ how to
// restart it) and how to stop it.
func StartBroker(ctx context.Context, root, name string, log io.Writer) (o Options, stop func(), err error) {
	password, err := randomToken()
	if err != nil {
		return o, nil, err
	}
	switch name {
	case "", "redis":
		return o, func() {}, nil
	case "rabbitmq":
		r, err := StartRabbitMQ(ctx, password, log)
		if err != nil {
			return o, nil, err
		}
		o.PubSub = filepath.Join(root, "dapr", "brokers", "rabbitmq.yaml")
		o.Addresses = map[string]string{"localhost:5672": r.Addr}
		o.Secrets = map[string]string{"RABBITMQ_PASSWORD": password}
		o.RestartBroker = r.Restart
		return o, r.Stop, nil
	case "kafka":
		topics := []string{contracts.TopicOrders, contracts.TopicStock, contracts.TopicPayments, contracts.TopicDeadLetters}
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, topics...), kfake.AllowAutoTopicCreation(),
			kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-256", BrokerUser, password))
		if err != nil {
			return o, nil, fmt.Errorf("start Kafka: %w", err)
		}
		o.PubSub = filepath.Join(root, "dapr", "brokers", "kafka.yaml")
		o.Addresses = map[string]string{"localhost:9092": c.ListenAddrs()[0]}
		o.Secrets = map[string]string{"KAFKA_PASSWORD": password}
		return o, c.Close, nil
	}
	return o, nil, fmt.Errorf("BROKER=%q: use redis, rabbitmq or kafka", name)
}
