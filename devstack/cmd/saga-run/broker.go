package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
)

// broker brings up the pub/sub that BROKER names, and returns how the
// stack reaches it and how to stop it. Redis Streams, the default, needs
// nothing more than the Redis the stack uses anyway.
func broker(ctx context.Context, root, name string) (o stack.Options, stop func(), err error) {
	switch name {
	case "", "redis":
		return o, func() {}, nil
	case "rabbitmq":
		r, err := stack.StartRabbitMQ(ctx, os.Stdout)
		if err != nil {
			return o, nil, err
		}
		o.PubSub = filepath.Join(root, "dapr", "brokers", "rabbitmq.yaml")
		o.Addresses = map[string]string{"localhost:5672": r.Addr}
		return o, r.Stop, nil
	case "kafka":
		// franz-go's in-process Kafka: a real Kafka protocol endpoint for
		// local runs, with no JVM and no data kept.
		topics := []string{contracts.TopicOrders, contracts.TopicStock, contracts.TopicPayments, contracts.TopicDeadLetters}
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, topics...), kfake.AllowAutoTopicCreation())
		if err != nil {
			return o, nil, fmt.Errorf("start Kafka: %w", err)
		}
		o.PubSub = filepath.Join(root, "dapr", "brokers", "kafka.yaml")
		o.Addresses = map[string]string{"localhost:9092": c.ListenAddrs()[0]}
		return o, c.Close, nil
	}
	return o, nil, fmt.Errorf("BROKER=%q: use redis, rabbitmq or kafka", name)
}
