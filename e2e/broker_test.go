package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/example/order-saga/devstack/stack"
)

// streamEvent is an entry of a topic's Redis stream, as Dapr wrote it.
type streamEvent struct {
	StreamID       string // the entry's id in the stream
	CloudEventID   string
	CloudEventType string
	Type           string
	OrderID        string
	Raw            string
}

// topicEvents reads every entry of a topic's stream.
func topicEvents(s *stack.Stack, topic string) ([]streamEvent, error) {
	c := s.Redis.Client()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	msgs, err := c.XRange(ctx, topic, "-", "+").Result()
	if err != nil {
		return nil, err
	}
	out := make([]streamEvent, 0, len(msgs))
	for _, m := range msgs {
		raw, _ := m.Values["data"].(string)
		var ce struct {
			ID   string          `json:"id"`
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		}
		_ = json.Unmarshal([]byte(raw), &ce)
		var payload struct {
			Type    string `json:"type"`
			OrderID string `json:"orderId"`
		}
		_ = json.Unmarshal(ce.Data, &payload)
		out = append(out, streamEvent{StreamID: m.ID, CloudEventID: ce.ID, CloudEventType: ce.Type, Type: payload.Type, OrderID: payload.OrderID, Raw: raw})
	}
	return out, nil
}

// onStream waits for the first event of a topic's stream that matches.
func onStream(t *testing.T, s *stack.Stack, topic, what string, match func(streamEvent) bool) streamEvent {
	t.Helper()
	var found streamEvent
	eventually(t, 10*time.Second, func() error {
		events, err := topicEvents(s, topic)
		if err != nil {
			return err
		}
		for _, e := range events {
			if match(e) {
				found = e
				return nil
			}
		}
		return errNotYet
	}, "%s on the stream", what)
	return found
}

// expectEvent checks that a topic holds at least min events of a type for
// an order.
func expectEvent(s *stack.Stack, topic, eventType, orderID string, min int) error {
	events, err := topicEvents(s, topic)
	if err != nil {
		return err
	}
	n := 0
	for _, e := range events {
		if e.Type == eventType && e.OrderID == orderID {
			n++
		}
	}
	if n < min {
		return fmt.Errorf("%d %s events for %s on %s, want at least %d", n, eventType, orderID, topic, min)
	}
	return nil
}

// countKeys counts the Redis keys matching a pattern.
func countKeys(s *stack.Stack, pattern string) (int, error) {
	c := s.Redis.Client()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	keys, err := c.Keys(ctx, pattern).Result()
	return len(keys), err
}

func expectProduct(p product, available, reserved int) error {
	if p.Available != available || p.Reserved != reserved {
		return fmt.Errorf("product %s has available=%d reserved=%d, want %d and %d", p.ID, p.Available, p.Reserved, available, reserved)
	}
	return nil
}

var errNotYet = fmt.Errorf("not there yet")

// keyTTL is the shortest time to live of the Redis keys matching pattern.
func keyTTL(s *stack.Stack, pattern string) (time.Duration, error) {
	c := s.Redis.Client()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	keys, err := c.Keys(ctx, pattern).Result()
	if err != nil || len(keys) == 0 {
		return 0, fmt.Errorf("keys %s: %v (%d found)", pattern, err, len(keys))
	}
	shortest := time.Duration(-1)
	for _, k := range keys {
		ttl, err := c.TTL(ctx, k).Result()
		if err != nil {
			return 0, err
		}
		if shortest < 0 || ttl < shortest {
			shortest = ttl
		}
	}
	return shortest, nil
}
