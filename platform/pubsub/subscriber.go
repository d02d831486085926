package pubsub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/dapr/go-sdk/service/common"
	"github.com/go-chi/chi/v5"

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

// Subscribe routes the messages of topic to h, with dead-lettering. The
// go-sdk service declares the subscription to the sidecar; router serves
// its deliveries with a handler that decodes each CloudEvent once, into
// just the fields the saga needs.
func Subscribe(svc common.Service, router chi.Router, pubsubName, topic string, h Handler, observer Observer, log *slog.Logger) error {
	sub := &common.Subscription{
		PubsubName:      pubsubName,
		Topic:           topic,
		Route:           "/events/" + topic,
		DeadLetterTopic: contracts.TopicDeadLetters,
	}
	declared := func(context.Context, *common.TopicEvent) (bool, error) { return false, nil }
	if err := svc.AddTopicEventHandler(sub, declared); err != nil {
		return err
	}
	router.Post(sub.Route, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx := r.Context()
		ce, err := readCloudEvent(r)
		eventType := ""
		if err == nil {
			eventType, err = typeOf(ce.Data)
		}
		if err == nil {
			ctx = obs.WithTraceParent(ctx, ce.TraceParent)
			err = h(ctx, eventType, ce.Data)
		}
		outcome := OutcomeSuccess
		switch {
		case err == nil:
		case IsPoison(err):
			outcome = OutcomeDrop
			log.WarnContext(ctx, "event dead-lettered", "topic", topic, "eventType", eventType, "cloudEventId", ce.ID, "error", err)
		default:
			outcome = OutcomeRetry
			log.ErrorContext(ctx, "event will be retried", "topic", topic, "eventType", eventType, "cloudEventId", ce.ID, "error", err)
		}
		observer.EventHandled(topic, eventType, outcome, time.Since(start))
		writeStatus(w, outcome)
	})
	return nil
}

// cloudEvent is the part of a delivered CloudEvent the saga reads.
type cloudEvent struct {
	ID          string          `json:"id"`
	TraceParent string          `json:"traceparent"`
	Data        json.RawMessage `json:"data"`
	DataBase64  []byte          `json:"data_base64"`
}

// maxEventBytes bounds a delivery; Dapr's own default limit is 4 MiB.
const maxEventBytes = 4 << 20

func readCloudEvent(r *http.Request) (cloudEvent, error) {
	var ce cloudEvent
	body, err := io.ReadAll(io.LimitReader(r.Body, maxEventBytes))
	if err != nil {
		return ce, err
	}
	if err := json.Unmarshal(body, &ce); err != nil {
		return ce, Poison(fmt.Errorf("not a CloudEvent: %w", err))
	}
	if len(ce.Data) == 0 && len(ce.DataBase64) > 0 {
		ce.Data = ce.DataBase64
	}
	return ce, nil
}

// writeStatus answers Dapr: SUCCESS acknowledges, RETRY asks for the
// message again, DROP sends it to the dead-letter topic.
func writeStatus(w http.ResponseWriter, outcome string) {
	status := "SUCCESS"
	switch outcome {
	case OutcomeRetry:
		status = "RETRY"
	case OutcomeDrop:
		status = "DROP"
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"status":"`+status+`"}`)
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
