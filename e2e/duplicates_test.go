package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/redis/go-redis/v9"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
)

// sagaTopics are the topics whose entries a fault run adds again.
var sagaTopics = []string{contracts.TopicOrders, contracts.TopicStock, contracts.TopicPayments}

// entryDuplicator adds a share of the entries a broker carries to it once
// more, as a broker that redelivers, or a producer that retries, would:
// the same event, a second time, to every subscriber.
type entryDuplicator struct {
	seen, added atomic.Int64
	run         func(ctx context.Context)
}

// duplicator watches the saga's topics on the stack's broker until its
// run's context ends.
func duplicator(t *testing.T, s *stack.Stack, o stack.Options, seed uint64) *entryDuplicator {
	t.Helper()
	d := &entryDuplicator{}
	rng := rand.New(rand.NewPCG(seed, 2))
	var mu sync.Mutex
	pick := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return rng.Float64() < duplicatedShare
	}
	if addr, ok := o.Addresses["localhost:5672"]; ok {
		url := fmt.Sprintf("amqp://%s:%s@%s/", stack.BrokerUser, o.Secrets["RABBITMQ_PASSWORD"], addr)
		d.run = func(ctx context.Context) { d.onRabbitMQ(ctx, url, pick) }
	} else {
		d.run = func(ctx context.Context) { d.onRedis(ctx, s.Redis.Client(), pick) }
	}
	return d
}

// onRedis reads each topic's stream as it grows and adds a share of its
// entries again with the same fields, until ctx ends.
func (d *entryDuplicator) onRedis(ctx context.Context, c *redis.Client, pick func() bool) {
	defer c.Close()
	last := map[string]string{}
	ours := map[string]bool{}
	for ctx.Err() == nil {
		for _, topic := range sagaTopics {
			from := "-"
			if id, ok := last[topic]; ok {
				from = "(" + id
			}
			entries, err := c.XRangeN(ctx, topic, from, "+", 1_000).Result()
			if err != nil {
				continue // Redis is down for a moment: the next pass goes on
			}
			for _, e := range entries {
				last[topic] = e.ID
				if ours[e.ID] {
					continue
				}
				d.seen.Add(1)
				if !pick() {
					continue
				}
				id, err := c.XAdd(ctx, &redis.XAddArgs{Stream: topic, Values: e.Values}).Result()
				if err == nil {
					ours[id] = true
					d.added.Add(1)
				}
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// duplicateHeader marks the messages the duplicator published itself, so
// that it does not take them for the broker's.
const duplicateHeader = "x-saga-test-duplicate"

// onRabbitMQ binds a queue of its own to each topic's exchange and
// publishes a share of what it receives to that exchange again, with the
// same body and properties; it connects again after the broker restarts.
func (d *entryDuplicator) onRabbitMQ(ctx context.Context, url string, pick func() bool) {
	for ctx.Err() == nil {
		if err := d.tapRabbitMQ(ctx, url, pick); err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
}

func (d *entryDuplicator) tapRabbitMQ(ctx context.Context, url string, pick func() bool) error {
	conn, err := amqp.Dial(url)
	if err != nil {
		return err
	}
	defer conn.Close()
	in, err := conn.Channel()
	if err != nil {
		return err
	}
	out, err := conn.Channel()
	if err != nil {
		return err
	}
	type delivery struct {
		topic string
		msg   amqp.Delivery
	}
	all := make(chan delivery)
	for _, topic := range sagaTopics {
		q, err := in.QueueDeclare("", false, true, true, false, nil)
		if err != nil {
			return err
		}
		if err := in.QueueBind(q.Name, "", topic, false, nil); err != nil {
			return err
		}
		msgs, err := in.Consume(q.Name, "", true, true, false, false, nil)
		if err != nil {
			return err
		}
		go func() {
			for m := range msgs {
				select {
				case all <- delivery{topic, m}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	closed := conn.NotifyClose(make(chan *amqp.Error, 1))
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-closed:
			return fmt.Errorf("connection closed: %v", err)
		case dl := <-all:
			if _, ours := dl.msg.Headers[duplicateHeader]; ours {
				continue
			}
			d.seen.Add(1)
			if !pick() {
				continue
			}
			headers := amqp.Table{duplicateHeader: true}
			for k, v := range dl.msg.Headers {
				headers[k] = v
			}
			err := out.PublishWithContext(ctx, dl.topic, "", false, false, amqp.Publishing{
				ContentType: dl.msg.ContentType, Headers: headers, Body: dl.msg.Body, DeliveryMode: amqp.Persistent,
			})
			if err == nil {
				d.added.Add(1)
			}
		}
	}
}
