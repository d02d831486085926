package pubsub

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/dapr/go-sdk/service/common"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/obs"
)

// Handler handles one event of a topic. data is the event's JSON payload
// and eventType the type it carries inside. An error marked Poison drops
// the message to the dead-letter topic; any other error asks Dapr to
// deliver it again.
type Handler func(ctx context.Context, eventType string, data []byte) error

// Outcome of handling one message, as counted in metrics.
const (
	OutcomeSuccess = "success"
	OutcomeRetry   = "retry"
	OutcomeDrop    = "dead_letter"
)

// Observer is told how each message ended.
type Observer interface {
	EventHandled(topic, eventType, outcome string, took time.Duration)
}

type poisonError struct{ err error }

func (p poisonError) Error() string { return "poison message: " + p.err.Error() }
func (p poisonError) Unwrap() error { return p.err }

// Poison marks err as one that no redelivery can fix.
func Poison(err error) error { return poisonError{err} }

// IsPoison reports whether err was marked by Poison.
func IsPoison(err error) bool { return errors.As(err, new(poisonError)) }

// Subscribe routes the messages of topic to h, with dead-lettering.
func Subscribe(svc common.Service, pubsubName, topic string, h Handler, observer Observer, log *slog.Logger) error {
	sub := &common.Subscription{
		PubsubName:      pubsubName,
		Topic:           topic,
		Route:           "/events/" + topic,
		DeadLetterTopic: contracts.TopicDeadLetters,
	}
	return svc.AddTopicEventHandler(sub, func(ctx context.Context, e *common.TopicEvent) (retry bool, err error) {
		start := time.Now()
		eventType, err := typeOf(e.RawData)
		if err == nil {
			ctx = obs.WithTraceParent(ctx, e.TraceParent)
			err = h(ctx, eventType, e.RawData)
		}
		outcome := OutcomeSuccess
		switch {
		case err == nil:
		case IsPoison(err):
			outcome = OutcomeDrop
			log.WarnContext(ctx, "event dead-lettered", "topic", topic, "eventType", eventType, "cloudEventId", e.ID, "error", err)
		default:
			outcome = OutcomeRetry
			log.ErrorContext(ctx, "event will be retried", "topic", topic, "eventType", eventType, "cloudEventId", e.ID, "error", err)
		}
		observer.EventHandled(topic, eventType, outcome, time.Since(start))
		return outcome == OutcomeRetry, err
	})
}

func typeOf(data []byte) (string, error) {
	if len(data) == 0 {
		return "", Poison(errors.New("empty payload"))
	}
	var h struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &h); err != nil {
		return "", Poison(err)
	}
	if h.Type == "" {
		return "", Poison(errors.New("payload has no type"))
	}
	return h.Type, nil
}

// Decode reads an event's payload, tolerating fields it does not know, and
// marks a payload that does not decode or fails validate as poison.
func Decode[T any](data []byte, validate func(*T) error) (T, error) {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return v, Poison(err)
	}
	if err := validate(&v); err != nil {
		return v, Poison(err)
	}
	return v, nil
}
