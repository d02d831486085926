package pubsub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
// start, and POST /events/{topic}, one route per topic, where each
// request delivers one message; or, once it receives in bulk
// (ReceiveInBulk), POST /events/{topic}/bulk, where one request delivers
// several, each answered apart.
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
	bulk     int                           // most messages per delivery; 0: one
	failing  failures
	keepers  []LetterFunc // see KeepLetters
	letters  []LetterFunc // see OnLetters
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
//
// A failure to reach a store or the broker (contracts.KindUnavailable) is
// no fault of the message, and is never given up on here: it is retried
// as long as the sidecar retries, and past that its letter comes to the
// dead letters, where the order is ended if need be. A store that takes a
// few seconds to come back (PostgreSQL's recovery after a crash) thus
// cancels nothing.
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
	if err == nil || IsPoison(err) || contracts.KindOf(err) == contracts.KindUnavailable {
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
	PubsubName      string         `json:"pubsubname"`
	Topic           string         `json:"topic"`
	Route           string         `json:"route"`
	DeadLetterTopic string         `json:"deadLetterTopic"`
	BulkSubscribe   *bulkSubscribe `json:"bulkSubscribe,omitempty"`
}

// bulkSubscribe asks the sidecar for deliveries of up to MaxMessagesCount
// messages in one request, the first of them held at most
// MaxAwaitDurationMs for others to join it.
type bulkSubscribe struct {
	Enabled            bool `json:"enabled"`
	MaxMessagesCount   int  `json:"maxMessagesCount"`
	MaxAwaitDurationMs int  `json:"maxAwaitDurationMs"`
}

// BulkMaxAwait is how long the sidecar holds the first message of a bulk
// delivery for others to join it. Every message waits that long at a low
// rate, once per hop of the saga; and the sidecar's batching timer wakes
// at this period even when no message comes.
const BulkMaxAwait = 2 * time.Millisecond

func route(topic string) string     { return "/events/" + topic }
func bulkRoute(topic string) string { return "/events/" + topic + "/bulk" }

// ReceiveInBulk subscribes to every topic in bulk: the sidecar delivers up
// to maxMessages messages per request, to POST /events/{topic}/bulk, and
// each is answered apart, by the same rules as a message delivered alone.
// 0 (the default) delivers each message in a request of its own.
func (r *Router) ReceiveInBulk(maxMessages int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bulk = max(maxMessages, 0)
}

// Mount serves the subscriptions and the deliveries on mux.
func (r *Router) Mount(mux chi.Router) {
	mux.Get("/dapr/subscribe", r.subscriptions)
	mux.Post(route("{topic}"), r.deliver)
	mux.Post(bulkRoute("{topic}"), r.deliverBulk)
}

func (r *Router) subscriptions(w http.ResponseWriter, _ *http.Request) {
	r.mu.RLock()
	bulk := r.bulk
	r.mu.RUnlock()
	subs := []subscription{}
	for _, t := range r.Topics() {
		sub := subscription{PubsubName: r.pubsub, Topic: t, Route: route(t), DeadLetterTopic: contracts.TopicDeadLetters}
		if bulk > 0 {
			sub.Route = bulkRoute(t)
			sub.BulkSubscribe = &bulkSubscribe{Enabled: true, MaxMessagesCount: bulk, MaxAwaitDurationMs: int(BulkMaxAwait / time.Millisecond)}
		}
		subs = append(subs, sub)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(subs)
}

// handlers are the handlers of topic by event type, and whether the
// router subscribes to it at all.
func (r *Router) handlers(topic string) (map[string]handler, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	h, ok := r.routes[topic]
	return h, ok
}

// handle takes one delivered message through every rule, whether it came
// alone or in a bulk delivery, and returns its outcome: ce is its
// CloudEvent, or err why it could not be read. A message that is not
// a valid event of its type is poison; a failure that lasts GiveUpAfter
// becomes poison; poison is refused (OnRefused) before it is dropped to
// the dead-letter topic; and the outcome is logged and counted, each
// message once.
func (r *Router) handle(ctx context.Context, topic string, handlers map[string]handler, ce cloudEvent, err error, start time.Time) string {
	if topic == contracts.TopicDeadLetters {
		return r.handleLetter(ctx, ce, err, start)
	}
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
	return outcome
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
