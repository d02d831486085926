package pubsub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/obs"
)

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

// Poison marks err as one that no redelivery can fix: the message goes to
// the dead-letter topic. An error of kind contracts.KindInvalid is poison
// too.
func Poison(err error) error { return poisonError{err} }

// IsPoison reports whether err is poison.
func IsPoison(err error) bool {
	return errors.As(err, new(poisonError)) || contracts.KindOf(err) == contracts.KindInvalid
}

// Router declares a service's subscriptions to its sidecar and hands each
// delivered event, decoded and validated, to the handler registered for
// its type. It serves GET /dapr/subscribe, which the sidecar reads at
// start, and POST /events/{topic}, one route per topic.
//
// A handler's error decides the answer to the sidecar: none acknowledges
// the message, a poison one (see Poison) drops it to the dead-letter topic,
// any other asks for it again. An event that does not decode or breaks its
// rules (contracts.Event's Validate) is poison before any handler runs.
type Router struct {
	pubsub   string
	observer Observer
	log      *slog.Logger

	mu       sync.RWMutex
	routes   map[string]map[string]handler // topic → event type → handler
	refusals map[string]RefusedFunc        // event type → what ends its order
	failing  failures
}

// Refused is an event its service gives up on: it does not decode, breaks
// its rules, or its handler found it can never succeed. OrderID and
// CustomerID are read from it as far as they are valid ids, "" otherwise.
type Refused struct {
	EventType  string
	OrderID    string
	CustomerID string
	Reason     string
}

// RefusedFunc does what ends the order of a refused event, so that a
// poison message does not leave its order open: a service records its own
// refusal of the order and announces it, as it would any decision.
type RefusedFunc func(ctx context.Context, ev Refused) error

// handler handles the JSON payload of one event type.
type handler func(ctx context.Context, data []byte) error

// NewRouter returns a router for the pub/sub component pubsubName.
func NewRouter(pubsubName string, observer Observer, log *slog.Logger) *Router {
	return &Router{pubsub: pubsubName, observer: observer, log: log,
		routes: map[string]map[string]handler{}, refusals: map[string]RefusedFunc{},
		failing: failures{first: map[string]time.Time{}}}
}

// GiveUpAfter is how long a message may keep failing before its service
// gives up on it: the next failure is taken as poison, so the message is
// refused (see OnRefused) and dead-lettered by the service itself, while
// the sidecar's retries last (dapr/components/resiliency.yaml: 8, a second
// apart). A message whose handler cannot succeed still ends its order.
const GiveUpAfter = 5 * time.Second

// failures remembers when each message that is failing first failed.
type failures struct {
	mu    sync.Mutex
	first map[string]time.Time
}

// maxFailing bounds the messages remembered; past it, those whose retries
// must be over are forgotten.
const maxFailing = 10_000

// giveUp returns err, made poison when the message key has been failing
// for GiveUpAfter; a message handled, or dropped, is forgotten.
func (f *failures) giveUp(key string, err error, now time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil || IsPoison(err) {
		delete(f.first, key)
		return err
	}
	first, seen := f.first[key]
	if !seen {
		if len(f.first) >= maxFailing {
			for k, t := range f.first {
				if now.Sub(t) > 4*GiveUpAfter {
					delete(f.first, k)
				}
			}
		}
		f.first[key] = now
		return err
	}
	if since := now.Sub(first); since >= GiveUpAfter {
		delete(f.first, key)
		return Poison(fmt.Errorf("still failing after %s: %w", since.Round(time.Millisecond), err))
	}
	return err
}

// OnRefused calls fn for each event of eventType that the service gives
// up on and whose order id is valid, before the event is dead-lettered.
// An error of fn asks for the event again, so that its order still ends.
func OnRefused(r *Router, eventType string, fn RefusedFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refusals[eventType] = fn
}

// On subscribes to the topic of eventType (a contracts type constant) and
// hands every valid event of that type to fn. Events of other types on the
// topic are acknowledged and left alone.
func On[E contracts.Event](r *Router, eventType string, fn func(ctx context.Context, ev E) error) {
	topic := contracts.TopicOf(eventType)
	if topic == "" {
		panic("pubsub.On: no topic for event type " + eventType)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.routes[topic] == nil {
		r.routes[topic] = map[string]handler{}
	}
	if _, dup := r.routes[topic][eventType]; dup {
		panic("pubsub.On: a second handler for " + eventType)
	}
	r.routes[topic][eventType] = func(ctx context.Context, data []byte) error {
		var ev E
		if err := json.Unmarshal(data, &ev); err != nil {
			return Poison(err)
		}
		if err := ev.Validate(); err != nil {
			return Poison(err)
		}
		return fn(ctx, ev)
	}
}

// Topics lists the topics subscribed to, sorted.
func (r *Router) Topics() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	topics := make([]string, 0, len(r.routes))
	for t := range r.routes {
		topics = append(topics, t)
	}
	slices.Sort(topics)
	return topics
}

// subscription is one entry of /dapr/subscribe, Dapr's programmatic
// subscription format.
type subscription struct {
	PubsubName      string `json:"pubsubname"`
	Topic           string `json:"topic"`
	Route           string `json:"route"`
	DeadLetterTopic string `json:"deadLetterTopic"`
}

func route(topic string) string { return "/events/" + topic }

// Mount serves the subscriptions and the deliveries on mux.
func (r *Router) Mount(mux chi.Router) {
	mux.Get("/dapr/subscribe", func(w http.ResponseWriter, _ *http.Request) {
		subs := []subscription{}
		for _, t := range r.Topics() {
			subs = append(subs, subscription{PubsubName: r.pubsub, Topic: t, Route: route(t), DeadLetterTopic: contracts.TopicDeadLetters})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(subs)
	})
	mux.Post(route("{topic}"), r.deliver)
}

func (r *Router) deliver(w http.ResponseWriter, req *http.Request) {
	start := time.Now()
	ctx := req.Context()
	topic := chi.URLParam(req, "topic")
	r.mu.RLock()
	handlers, subscribed := r.routes[topic]
	r.mu.RUnlock()
	if !subscribed {
		http.NotFound(w, req)
		return
	}
	ce, err := readCloudEvent(req)
	eventType := ""
	if err == nil {
		eventType, err = typeOf(ce.Data)
	}
	if err == nil {
		ctx = obs.WithTraceParent(ctx, ce.TraceParent)
		if h, ok := handlers[eventType]; ok {
			err = h(ctx, ce.Data)
		}
		if ce.ID != "" {
			err = r.failing.giveUp(topic+"/"+ce.ID, err, time.Now())
		}
		if IsPoison(err) {
			err = r.refuse(ctx, eventType, ce.Data, err)
		}
	}
	outcome := OutcomeSuccess
	switch {
	case err == nil:
	case IsPoison(err):
		outcome = OutcomeDrop
		r.log.WarnContext(ctx, "event dead-lettered", "topic", topic, "eventType", eventType, "cloudEventId", ce.ID, "error", err)
	default:
		outcome = OutcomeRetry
		r.log.ErrorContext(ctx, "event will be retried", "topic", topic, "eventType", eventType, "cloudEventId", ce.ID, "error", err)
	}
	r.observer.EventHandled(topic, label(eventType), outcome, time.Since(start))
	writeStatus(w, outcome)
}

// maxReasonBytes bounds the reason a refusal carries.
const maxReasonBytes = 200

// refuse hands a poison event to the refusal of its type, if any, and
// returns the error to answer: the poison itself when its order can be
// ended (or has no valid id), the refusal's failure otherwise.
func (r *Router) refuse(ctx context.Context, eventType string, data []byte, poison error) error {
	r.mu.RLock()
	fn, ok := r.refusals[eventType]
	r.mu.RUnlock()
	if !ok {
		return poison
	}
	var ids struct {
		OrderID    string `json:"orderId"`
		CustomerID string `json:"customerId"`
	}
	_ = json.Unmarshal(data, &ids)
	if !contracts.ValidID(ids.OrderID) {
		return poison
	}
	if !contracts.ValidCustomerID(ids.CustomerID) {
		ids.CustomerID = ""
	}
	reason := "the event cannot be processed: " + poison.Error()
	if len(reason) > maxReasonBytes {
		reason = reason[:maxReasonBytes]
	}
	if err := fn(ctx, Refused{EventType: eventType, OrderID: ids.OrderID, CustomerID: ids.CustomerID, Reason: strings.ToValidUTF8(reason, "")}); err != nil {
		return fmt.Errorf("end the order of a refused %s: %w", eventType, err)
	}
	return poison
}

// label is the metric label of an event type: a type of the contracts, or
// "unknown", so that no input can add a label value.
func label(eventType string) string {
	if contracts.TopicOf(eventType) == "" {
		return "unknown"
	}
	return eventType
}

// cloudEvent is the part of a delivered CloudEvent the saga reads.
type cloudEvent struct {
	ID          string          `json:"id"`
	TraceParent string          `json:"traceparent"`
	Data        json.RawMessage `json:"data"`
	DataBase64  []byte          `json:"data_base64"`
}

// MaxEventBytes bounds a delivery: the largest valid event, an order of
// the most items with the longest ids, in its CloudEvent, is under 16 KiB.
const MaxEventBytes = 64 << 10

func readCloudEvent(r *http.Request) (cloudEvent, error) {
	var ce cloudEvent
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxEventBytes+1))
	if err != nil {
		return ce, err
	}
	if len(body) > MaxEventBytes {
		return ce, Poison(fmt.Errorf("a delivery of more than %d bytes", MaxEventBytes))
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
