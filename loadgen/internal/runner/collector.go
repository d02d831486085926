package runner

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/example/order-saga/loadgen/internal/stats"
)

// collector gathers what happened to every order. Counters read by the
// progress line are atomic; the rest sits behind one mutex.
type collector struct {
	sent, accepted, finished, timedOut, errors, reads atomic.Int64

	mu           sync.Mutex
	accept       stats.Samples // POST to 202
	final        stats.Samples // POST to the read that saw the final status
	saga         stats.Samples // creation to final status, by the services' clocks
	byStatus     map[string]int64
	errorKinds   map[string]int64
	errorSamples map[string]string
	mismatches   map[string]int64
	firstSent    time.Time
	lastFinal    time.Time
}

func newCollector() *collector {
	return &collector{byStatus: map[string]int64{}, errorKinds: map[string]int64{},
		errorSamples: map[string]string{}, mismatches: map[string]int64{}}
}

func (c *collector) markSent(at time.Time) {
	c.sent.Add(1)
	c.mu.Lock()
	if c.firstSent.IsZero() || at.Before(c.firstSent) {
		c.firstSent = at
	}
	c.mu.Unlock()
}

func (c *collector) markAccepted(took time.Duration) {
	c.accepted.Add(1)
	c.mu.Lock()
	c.accept.Record(took)
	c.mu.Unlock()
}

// fail counts an error of kind; the first message of each kind is kept as
// an example.
func (c *collector) fail(kind string, err error) {
	c.errors.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errorKinds[kind]++
	if _, ok := c.errorSamples[kind]; !ok && err != nil {
		c.errorSamples[kind] = err.Error()
	}
}

// markFinal records an order seen in its final status at seen.
func (c *collector) markFinal(p *pending, o orderState, seen time.Time) {
	c.finished.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.final.Record(seen.Sub(p.sent))
	if at, ok := o.finalAt(); ok && !o.CreatedAt.IsZero() {
		c.saga.Record(at.Sub(o.CreatedAt))
	}
	c.byStatus[o.Status]++
	if o.Status != p.intent.expected() {
		c.mismatches[p.intent.String()+" but "+o.Status]++
	}
	if seen.After(c.lastFinal) {
		c.lastFinal = seen
	}
}

func (c *collector) markTimedOut() { c.timedOut.Add(1) }

func (c *collector) countRead() { c.reads.Add(1) }
