// Package deadletters keeps the messages subscribers gave up on, where an
// operator can see them and send them again. Every service keeps the
// letters of its own topic, since only the owner of a topic publishes on
// it: each is stored once, under a number, with what the saga can tell of
// it, counted, listed by an admin route, and sent again on request, once.
package deadletters

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/pubsub"
	"github.com/example/order-saga/platform/statestore"
)

// Letter is a dead letter as kept.
type Letter struct {
	ID      int64     `json:"id"`
	EventID string    `json:"eventId"`
	Topic   string    `json:"topic"`
	Type    string    `json:"type"`
	OrderID string    `json:"orderId,omitempty"`
	Reason  string    `json:"reason"`
	At      time.Time `json:"at"`
	// Deliveries counts the letters of this event that arrived: a message
	// given up on by two subscribers arrives twice.
	Deliveries int             `json:"deliveries"`
	Data       json.RawMessage `json:"data"`
	RedrivenAt *time.Time      `json:"redrivenAt,omitempty"`
}

// ReasonRetries is the reason of a letter whose event keeps its rules: a
// subscriber failed on it until its retries were over (it was down, or
// its store was), or gave up on it.
const ReasonRetries = "a subscriber gave up on it after its retries"

// Errors of the admin routes.
var (
	ErrNotFound        = contracts.NotFound("dead-letter-not-found", "no dead letter has this id")
	ErrAlreadyRedriven = contracts.Conflict("dead-letter-already-redriven", "this dead letter was sent again already")
	ErrPoison          = contracts.Conflict("dead-letter-poison", "this dead letter breaks the rules of its event: sending it again would only dead-letter it again")
)

// Publisher republishes an event as it was published.
type Publisher interface {
	Publish(ctx context.Context, ev contracts.Event) error
}

// Letters keeps the dead letters of one topic in the service's own store.
type Letters struct {
	topic     string
	letters   *statestore.Store[Letter]
	byEvent   *statestore.Store[int64]
	counter   *statestore.Store[int64]
	publisher Publisher
	now       func() time.Time
	kept      *prometheus.CounterVec
	redriven  *prometheus.CounterVec
}

// New returns the letters of topic, kept in the state store store, sent
// again through publisher, and counted on reg.
func New(backend statestore.Backend, store, topic string, publisher Publisher, reg prometheus.Registerer, now func() time.Time) *Letters {
	l := &Letters{
		topic:   topic,
		letters: statestore.New[Letter](backend, store), byEvent: statestore.New[int64](backend, store),
		counter: statestore.New[int64](backend, store), publisher: publisher, now: now,
		kept: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "saga_dead_letters_total", Help: "Dead letters kept, once each, by topic and event type.",
		}, []string{"topic", "event_type"}),
		redriven: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "saga_dead_letters_redriven_total", Help: "Dead letters sent again to their topic, by topic.",
		}, []string{"topic"}),
	}
	reg.MustRegister(l.kept, l.redriven)
	l.redriven.WithLabelValues(topic)
	return l
}

func letterKey(id int64) string { return "deadletter-" + strconv.FormatInt(id, 10) }

const counterKey = "deadletters-count"

// eventKey names the letter of one event: the CloudEvent id is any string
// the publisher chose, so it is hashed to fit a key.
func eventKey(eventID string) string {
	sum := sha256.Sum256([]byte(eventID))
	return "deadletter-event-" + hex.EncodeToString(sum[:16])
}

// Keep stores l unless a letter of the same event is stored, whose
// deliveries it then counts; letters of other topics are left to their
// owners. It is a pubsub.LetterFunc.
func (ls *Letters) Keep(ctx context.Context, l pubsub.Letter) error {
	if l.Topic != ls.topic {
		return nil
	}
	id, found, err := ls.byEvent.Get(ctx, eventKey(l.EventID))
	if err != nil {
		return err
	}
	if !found {
		// Number the letter, then claim the event for that number: of two
		// deliveries at once, the first claim stands, and the other's
		// number is left unused.
		if err := ls.counter.Update(ctx, counterKey, func(n *int64, _ bool) error {
			*n++
			id = *n
			return nil
		}); err != nil {
			return err
		}
		if id, _, err = ls.byEvent.Create(ctx, eventKey(l.EventID), id); err != nil {
			return err
		}
	}
	var first bool
	err = ls.letters.Update(ctx, letterKey(id), func(v *Letter, found bool) error {
		first = !found
		if found {
			v.Deliveries++
			return nil
		}
		reason := ReasonRetries
		if l.Poison != "" {
			reason = "its event breaks its rules: " + l.Poison
		}
		*v = Letter{ID: id, EventID: l.EventID, Topic: l.Topic, Type: l.Type, OrderID: l.OrderID, Reason: reason,
			At: ls.now().UTC(), Deliveries: 1, Data: json.RawMessage(l.Data)}
		return nil
	})
	if err != nil {
		return err
	}
	if first {
		ls.kept.WithLabelValues(l.Topic, l.Type).Inc()
	}
	return nil
}

// MaxPage bounds one page of the listing.
const MaxPage = 100

// List returns the letters numbered after after, up to limit of them, and
// the number to list after next (0 when there are no more).
func (ls *Letters) List(ctx context.Context, after int64, limit int) ([]Letter, int64, error) {
	limit = min(max(limit, 1), MaxPage)
	last, _, err := ls.counter.Get(ctx, counterKey)
	if err != nil {
		return nil, 0, err
	}
	var keys []string
	end := min(after+int64(limit), last)
	for id := after + 1; id <= end; id++ {
		keys = append(keys, letterKey(id))
	}
	found, err := ls.letters.GetMany(ctx, keys)
	if err != nil {
		return nil, 0, err
	}
	page := []Letter{}
	for _, k := range keys {
		if l, ok := found[k]; ok {
			page = append(page, l)
		}
	}
	var next int64
	if end < last {
		next = end
	}
	return page, next, nil
}

// Get returns one letter.
func (ls *Letters) Get(ctx context.Context, id int64) (Letter, error) {
	l, found, err := ls.letters.Get(ctx, letterKey(id))
	if err == nil && !found {
		err = ErrNotFound
	}
	return l, err
}

// Redrive publishes the event of letter id again, to its topic, as it was
// published, once: the letter is marked sent under its ETag first, so
// that of two requests one sends it and the other is refused; a publish
// that fails takes the mark back. A letter whose event breaks its rules
// is not sent.
func (ls *Letters) Redrive(ctx context.Context, id int64) (Letter, error) {
	at := ls.now().UTC()
	var l Letter
	err := ls.letters.Update(ctx, letterKey(id), func(v *Letter, found bool) error {
		switch {
		case !found:
			return ErrNotFound
		case v.RedrivenAt != nil:
			return ErrAlreadyRedriven
		}
		v.RedrivenAt = &at
		l = *v
		return nil
	})
	if err != nil {
		return Letter{}, err
	}
	ev := contracts.NewEvent(l.Type)
	if ev == nil || json.Unmarshal(l.Data, ev) != nil || ev.Validate() != nil {
		return l, ls.unmark(ctx, id, at, ErrPoison)
	}
	if err := ls.publisher.Publish(ctx, ev); err != nil {
		return l, ls.unmark(ctx, id, at, err)
	}
	ls.redriven.WithLabelValues(ls.topic).Inc()
	return l, nil
}

// unmark takes back the mark Redrive set at at, and returns cause.
func (ls *Letters) unmark(ctx context.Context, id int64, at time.Time, cause error) error {
	err := ls.letters.Update(ctx, letterKey(id), func(v *Letter, found bool) error {
		if !found || v.RedrivenAt == nil || !v.RedrivenAt.Equal(at) {
			return statestore.ErrUnchanged
		}
		v.RedrivenAt = nil
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w (and the letter stays marked as sent: %v)", cause, err)
	}
	return cause
}
