// Package pubsub publishes and consumes the saga's events through Dapr.
package pubsub

import (
	"context"
	"encoding/json"
	"fmt"

	dapr "github.com/dapr/go-sdk/client"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/obs"
)

// Backend is the part of the Dapr client the publisher needs.
type Backend interface {
	PublishEvent(ctx context.Context, pubsubName, topicName string, data interface{}, opts ...dapr.PublishEventOption) error
}

// Publisher publishes events on the saga's pub/sub component.
type Publisher struct {
	backend Backend
	pubsub  string
}

// NewPublisher returns a publisher on the pub/sub component called name.
func NewPublisher(backend Backend, name string) *Publisher {
	return &Publisher{backend: backend, pubsub: name}
}

// Publish sends ev on the topic of its type. The CloudEvent id and type
// are the event's own, so a republished event is recognisably the same
// one. An event that breaks its own rules is never sent.
func (p *Publisher) Publish(ctx context.Context, ev contracts.Event) error {
	h := ev.EventHeader()
	topic := contracts.TopicOf(h.Type)
	if topic == "" {
		return fmt.Errorf("publish %s: no topic for this event type", h.Type)
	}
	if err := ev.Validate(); err != nil {
		return fmt.Errorf("publish %s %s: %w", h.Type, h.EventID, err)
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode %s: %w", h.Type, err)
	}
	meta := map[string]string{"cloudevent.id": h.EventID, "cloudevent.type": h.Type}
	if tp := obs.TraceParent(ctx); tp != "" {
		meta["cloudevent.traceparent"] = tp
	}
	err = p.backend.PublishEvent(ctx, p.pubsub, topic, data,
		dapr.PublishEventWithContentType("application/json"),
		dapr.PublishEventWithMetadata(meta))
	if err != nil {
		return contracts.Unavailable("the broker did not take the event", fmt.Errorf("publish %s %s: %w", h.Type, h.EventID, err))
	}
	return nil
}
