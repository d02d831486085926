package pubsub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

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

// Declarer tells the sidecar which topics the app subscribes to (it serves
// /dapr/subscribe).
type Declarer interface {
	DeclareSubscription(sub Subscription)
}

// Subscription is one topic subscription as the sidecar reads it from
// /dapr/subscribe. Deliveries come in bulk: up to BulkMaxMessages events
// in one request, gathered for at most BulkMaxAwaitMs.
type Subscription struct {
	PubsubName      string        `json:"pubsubname"`
	Topic           string        `json:"topic"`
	Route           string        `json:"route"`
	DeadLetterTopic string        `json:"deadLetterTopic"`
	BulkSubscribe   BulkSubscribe `json:"bulkSubscribe"`
}

// BulkSubscribe is the batching of deliveries.
type BulkSubscribe struct {
	Enabled            bool  `json:"enabled"`
	MaxMessagesCount   int32 `json:"maxMessagesCount,omitempty"`
	MaxAwaitDurationMs int32 `json:"maxAwaitDurationMs,omitempty"`
}

// Subscribe routes the messages of topic to h, with dead-lettering. The
// events of a delivery are handled at once, each answered on its own.
func Subscribe(d Declarer, router chi.Router, pubsubName, topic string, h Handler, observer Observer, log *slog.Logger) error {
	sub := Subscription{
		PubsubName:      pubsubName,
		Topic:           topic,
		Route:           "/events/" + topic,
		DeadLetterTopic: contracts.TopicDeadLetters,
		BulkSubscribe:   BulkSubscribe{Enabled: true, MaxMessagesCount: 64, MaxAwaitDurationMs: 2},
	}
	d.DeclareSubscription(sub)
	one := func(ctx context.Context, raw []byte) string {
		start := time.Now()
		ce, err := decodeCloudEvent(raw)
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
		return outcome
	}
	router.Post(sub.Route, func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxDeliveryBytes))
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var bulk bulkDelivery
		if json.Unmarshal(body, &bulk) == nil && len(bulk.Entries) > 0 {
			writeBulkStatuses(w, bulk.handle(r.Context(), one))
			return
		}
		writeStatus(w, one(r.Context(), body))
	})
	return nil
}

// bulkDelivery is a batch of events delivered in one request.
type bulkDelivery struct {
	Entries []struct {
		EntryID string          `json:"entryId"`
		Event   json.RawMessage `json:"event"`
	} `json:"entries"`
}

type entryStatus struct {
	EntryID string `json:"entryId"`
	Status  string `json:"status"`
}

// handle runs one on every entry at once; concurrent updates of the same
// key meet in the state store's group commit.
func (b bulkDelivery) handle(ctx context.Context, one func(context.Context, []byte) string) []entryStatus {
	out := make([]entryStatus, len(b.Entries))
	var wg sync.WaitGroup
	for i, e := range b.Entries {
		wg.Go(func() {
			out[i] = entryStatus{EntryID: e.EntryID, Status: daprStatus(one(ctx, e.Event))}
		})
	}
	wg.Wait()
	return out
}

func writeBulkStatuses(w http.ResponseWriter, statuses []entryStatus) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(struct {
		Statuses []entryStatus `json:"statuses"`
	}{statuses})
}

// cloudEvent is the part of a delivered CloudEvent the saga reads.
type cloudEvent struct {
	ID          string          `json:"id"`
	TraceParent string          `json:"traceparent"`
	Data        json.RawMessage `json:"data"`
	DataBase64  []byte          `json:"data_base64"`
}

// maxDeliveryBytes bounds a delivery: Dapr's own default limit of 4 MiB
// for each of the events of a bulk.
const maxDeliveryBytes = 64 * 4 << 20

func decodeCloudEvent(body []byte) (cloudEvent, error) {
	var ce cloudEvent
	if err := json.Unmarshal(body, &ce); err != nil {
		return ce, Poison(fmt.Errorf("not a CloudEvent: %w", err))
	}
	if len(ce.Data) == 0 && len(ce.DataBase64) > 0 {
		ce.Data = ce.DataBase64
	}
	return ce, nil
}

// daprStatus is Dapr's word for an outcome: SUCCESS acknowledges, RETRY
// asks for the message again, DROP sends it to the dead-letter topic.
func daprStatus(outcome string) string {
	switch outcome {
	case OutcomeRetry:
		return "RETRY"
	case OutcomeDrop:
		return "DROP"
	}
	return "SUCCESS"
}

func writeStatus(w http.ResponseWriter, outcome string) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"status":"`+daprStatus(outcome)+`"}`)
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
