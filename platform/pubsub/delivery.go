package pubsub

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/example/order-saga/platform/problem"
)

// The two forms in which the sidecar delivers: one message per request
// (POST /events/{topic}), or, once the router receives in bulk, several
// (POST /events/{topic}/bulk). Each message of either goes through
// Router.handle alone and gets its own answer.

// cloudEvent is the part of a delivered CloudEvent the saga reads.
type cloudEvent struct {
	ID          string          `json:"id"`
	TraceParent string          `json:"traceparent"`
	Data        json.RawMessage `json:"data"`
	DataBase64  []byte          `json:"data_base64"`
}

// MaxEventBytes bounds a delivered message: the largest valid event, an
// order of the most items with the longest ids, in its CloudEvent, is
// under 16 KiB. A bulk delivery of n messages is bounded by n times it.
const MaxEventBytes = 64 << 10

// decodeCloudEvent reads one delivered message; one that is too large or
// no CloudEvent is poison.
func decodeCloudEvent(b []byte) (cloudEvent, error) {
	var ce cloudEvent
	if len(b) > MaxEventBytes {
		return ce, Poison(fmt.Errorf("a delivery of more than %d bytes", MaxEventBytes))
	}
	if err := json.Unmarshal(b, &ce); err != nil {
		return ce, Poison(fmt.Errorf("not a CloudEvent: %w", err))
	}
	if len(ce.Data) == 0 && len(ce.DataBase64) > 0 {
		ce.Data = ce.DataBase64
	}
	return ce, nil
}

// readAtMost reads r up to limit bytes and one more, so that a caller can
// tell a body over the limit without holding more of it.
func readAtMost(r io.Reader, limit int) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r, int64(limit)+1))
}

// status is Dapr's answer for an outcome: SUCCESS acknowledges, RETRY asks
// for the message again, DROP sends it to the dead-letter topic.
func status(outcome string) string {
	switch outcome {
	case OutcomeRetry:
		return "RETRY"
	case OutcomeDrop:
		return "DROP"
	}
	return "SUCCESS"
}

// deliver handles a delivery of one message.
func (r *Router) deliver(w http.ResponseWriter, req *http.Request) {
	start := time.Now()
	topic := chi.URLParam(req, "topic")
	handlers, subscribed := r.handlers(topic)
	if !subscribed {
		http.NotFound(w, req)
		return
	}
	body, err := readAtMost(req.Body, MaxEventBytes)
	var ce cloudEvent
	if err == nil {
		ce, err = decodeCloudEvent(body)
	}
	outcome := r.handle(req.Context(), topic, handlers, ce, err, start)
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"status":"`+status(outcome)+`"}`)
}

// bulkDelivery is the part of a bulk delivery the saga reads: each entry
// is one message, named by an id unique within the delivery.
type bulkDelivery struct {
	Entries []struct {
		EntryID string          `json:"entryId"`
		Event   json.RawMessage `json:"event"`
	} `json:"entries"`
}

// bulkAnswer is the answer to a bulk delivery: one status per entry.
type bulkAnswer struct {
	Statuses []entryStatus `json:"statuses"`
}

type entryStatus struct {
	EntryID string `json:"entryId"`
	Status  string `json:"status"`
}

// deliverBulk handles a delivery of several messages, all at once: the
// services group the state writes of concurrent handlers (group commit),
// so a delivery handled one entry after another would lose what bulk
// delivery gains. Each entry is answered once, whatever times its id
// comes; an entry with no id cannot be answered and is not handled (the
// sidecar retries it). A body over the bound of the router's batch size,
// or one that is no bulk delivery, names no entry it could answer: it is
// refused whole (413 or 400), and the sidecar retries it, then
// dead-letters its entries.
func (r *Router) deliverBulk(w http.ResponseWriter, req *http.Request) {
	start := time.Now()
	topic := chi.URLParam(req, "topic")
	r.mu.RLock()
	maxMessages := r.bulk
	r.mu.RUnlock()
	handlers, subscribed := r.handlers(topic)
	if !subscribed || maxMessages == 0 {
		http.NotFound(w, req)
		return
	}
	body, err := readAtMost(req.Body, maxMessages*MaxEventBytes)
	var delivery bulkDelivery
	var refused *problem.Details
	switch {
	case err != nil:
		refused = problem.New(http.StatusBadRequest, "unreadable-delivery", "the delivery could not be read")
	case len(body) > maxMessages*MaxEventBytes:
		refused = problem.New(http.StatusRequestEntityTooLarge, "delivery-too-large", fmt.Sprintf("a bulk delivery of more than %d bytes", maxMessages*MaxEventBytes))
	default:
		if json.Unmarshal(body, &delivery) != nil {
			refused = problem.New(http.StatusBadRequest, "not-a-bulk-delivery", "the body is no bulk delivery")
		}
	}
	if refused != nil {
		r.log.ErrorContext(req.Context(), "bulk delivery refused", "topic", topic, "error", refused)
		r.observer.EventHandled(topic, label(""), OutcomeRetry, time.Since(start))
		problem.Write(w, refused)
		return
	}

	var entries []int // the index of each entry to handle and answer
	seen := make(map[string]bool, len(delivery.Entries))
	for i, entry := range delivery.Entries {
		if entry.EntryID != "" && !seen[entry.EntryID] {
			seen[entry.EntryID] = true
			entries = append(entries, i)
		}
	}
	answer := bulkAnswer{Statuses: make([]entryStatus, len(entries))}
	var wg sync.WaitGroup
	for k, i := range entries {
		entry := delivery.Entries[i]
		wg.Go(func() {
			ce, err := decodeCloudEvent(entry.Event)
			answer.Statuses[k] = entryStatus{EntryID: entry.EntryID, Status: status(r.handle(req.Context(), topic, handlers, ce, err, start))}
		})
	}
	wg.Wait()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(answer)
}
