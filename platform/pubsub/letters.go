package pubsub

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/obs"
)

// Letter is a message some subscriber gave up on, as it arrives on the
// dead-letter topic: its sidecar publishes there the very message it could
// not deliver, after its retries or at once for poison.
type Letter struct {
	EventID string // the CloudEvent id: for the saga's events, contracts.EventID
	Type    string // the event type its payload names, "" when it names none
	Topic   string // the topic of that type, "" for a type not of the contracts
	OrderID string // the order it names, "" when it names no valid one
	Data    []byte // the payload, as published
	// Poison is why the event breaks its rules, "" when it keeps them: a
	// letter that keeps them was given up on after its retries.
	Poison string
}

// LetterFunc handles one letter. An error asks for it again, while the
// sidecar's retries last.
type LetterFunc func(ctx context.Context, l Letter) error

// KeepLetters subscribes to the dead-letter topic and hands every letter
// to fn first, which keeps it: a letter fn fails on is asked for again
// for as long as it fails, so that none is lost. Past the sidecar's
// retries the sidecar publishes it to the dead-letter topic once more
// (the subscription's own dead-letter topic), and it comes round again a
// few seconds later, to every service, until it is kept.
func KeepLetters(r *Router, fn LetterFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.subscribeLettersLocked()
	r.keepers = append(r.keepers, fn)
}

// OnLetters subscribes to the dead-letter topic and hands every letter to
// fn, once it is kept (KeepLetters), after the functions registered before
// it. What fn does is done again when it fails, for GiveUpAfter; past
// that the letter is given up on for fn, and what the letter's event left
// undone is left to the deadline of its order and to the followups.
func OnLetters(r *Router, fn LetterFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.subscribeLettersLocked()
	r.letters = append(r.letters, fn)
}

func (r *Router) subscribeLettersLocked() {
	if r.routes[contracts.TopicDeadLetters] == nil {
		r.routes[contracts.TopicDeadLetters] = map[string]handler{}
	}
}

// Redeliver hands the event of a letter to the handler registered for
// its type, as a late delivery, when its type is one of types (any type
// the router handles when none is given) and it keeps its rules: a
// service that was down when the event came, or that gave up on it,
// handles it once it can. It returns the handler's error, nil when there
// is no handler to call.
func (r *Router) Redeliver(ctx context.Context, l Letter, types ...string) error {
	if l.Poison != "" || (len(types) > 0 && !slices.Contains(types, l.Type)) {
		return nil
	}
	h, ok := r.handlers(l.Topic)
	if !ok || h[l.Type] == nil {
		return nil
	}
	return h[l.Type](ctx, l.Data)
}

// handleLetter takes one letter through the keepers and then the letter
// functions, and returns its outcome: success, or retry; a letter is
// never dropped, which would publish it to the dead-letter topic again.
func (r *Router) handleLetter(ctx context.Context, ce cloudEvent, err error, start time.Time) string {
	if err != nil {
		r.log.WarnContext(ctx, "unreadable dead letter dropped", "cloudEventId", ce.ID, "error", err)
		r.observer.EventHandled(contracts.TopicDeadLetters, label(""), OutcomeSuccess, time.Since(start))
		return OutcomeSuccess
	}
	l := letterOf(ce)
	ctx = obs.WithTraceParent(ctx, ce.TraceParent)
	r.mu.RLock()
	keepers, fns := r.keepers, r.letters
	r.mu.RUnlock()
	for _, fn := range keepers {
		if err = fn(ctx, l); err != nil {
			break
		}
	}
	if err == nil {
		for _, fn := range fns {
			if err = fn(ctx, l); err != nil {
				break
			}
		}
		err = r.failing.giveUp(contracts.TopicDeadLetters+"/"+ce.ID, err, time.Now())
	}
	outcome := OutcomeSuccess
	switch {
	case err == nil:
	case IsPoison(err):
		r.log.WarnContext(ctx, "dead letter handled as far as it can be", "eventType", l.Type, "cloudEventId", ce.ID, "error", err)
	default:
		outcome = OutcomeRetry
		r.log.ErrorContext(ctx, "dead letter will be retried", "eventType", l.Type, "cloudEventId", ce.ID, "error", err)
	}
	r.observer.EventHandled(contracts.TopicDeadLetters, label(l.Type), outcome, time.Since(start))
	return outcome
}

// letterOf reads what a letter is: its type, topic and order as far as
// they are valid, and whether the event keeps its rules.
func letterOf(ce cloudEvent) Letter {
	l := Letter{EventID: ce.ID, Data: ce.Data}
	var h struct {
		Type    string `json:"type"`
		OrderID string `json:"orderId"`
	}
	if err := json.Unmarshal(ce.Data, &h); err != nil {
		l.Poison = "the payload is not a JSON object: " + err.Error()
		return l
	}
	if contracts.ValidID(h.OrderID) {
		l.OrderID = h.OrderID
	}
	l.Type, l.Topic = h.Type, contracts.TopicOf(h.Type)
	ev := contracts.NewEvent(h.Type)
	switch {
	case ev == nil:
		l.Poison = "the payload names no event type of the saga"
	case json.Unmarshal(ce.Data, ev) != nil:
		l.Poison = "the payload does not decode as a " + h.Type
	default:
		if err := ev.Validate(); err != nil {
			l.Poison = err.Error()
		}
	}
	return l
}
