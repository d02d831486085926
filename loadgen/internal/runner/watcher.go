package runner

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// pending is an accepted order whose final status is not known yet.
type pending struct {
	id       string
	intent   intent
	sent     time.Time // when the order was sent, or due to be sent in an open loop
	deadline time.Time
	release  func() // called once the order is final or given up on
}

func (p *pending) done() {
	if p.release != nil {
		p.release()
	}
}

// watcher follows every accepted order, each with reads that wait for its
// final status (GET /orders/{id}?wait=), until it is final, past its
// deadline, or the run is over.
type watcher struct {
	c   *client
	col *collector
	cfg Config

	ctx     context.Context // ends when the run is over
	stop    context.CancelFunc
	readers sync.WaitGroup
	open    atomic.Int64 // orders not final yet
}

func newWatcher(c *client, col *collector, cfg Config) *watcher {
	ctx, stop := context.WithCancel(context.Background())
	return &watcher{c: c, col: col, cfg: cfg, ctx: ctx, stop: stop}
}

// watch follows an accepted order until it is settled.
func (w *watcher) watch(p *pending) {
	w.open.Add(1)
	p.deadline = p.sent.Add(w.cfg.FinalTimeout)
	w.readers.Go(func() {
		for w.check(p) {
		}
	})
}

// close stops following the orders still open, which stay counted as
// open, and returns once no read is left.
func (w *watcher) close() {
	w.stop()
	w.readers.Wait()
}

// check reads the order once, waiting for its final status up to Wait (or
// up to its deadline, when that is nearer), and settles it when it is
// final or past its deadline; it reports whether to read it again.
func (w *watcher) check(p *pending) bool {
	o, err := w.c.order(w.ctx, p.id, min(w.cfg.Wait, time.Until(p.deadline)))
	if w.ctx.Err() != nil {
		return false
	}
	now := time.Now()
	w.col.countRead()
	if err != nil {
		w.col.fail("read: "+errorKind(err), err)
	} else if isFinal(o.Status) {
		w.col.markFinal(p, o, now)
		w.open.Add(-1)
		p.done()
		return false
	}
	if now.After(p.deadline) {
		w.col.fail("final: none within "+w.cfg.FinalTimeout.String(), fmt.Errorf("order %s still %s", p.id, o.Status))
		w.col.markTimedOut()
		w.open.Add(-1)
		p.done()
		return false
	}
	if err != nil {
		pause(w.ctx, errorPause)
	}
	return true
}

// drain waits until every watched order is final or timed out, or limit
// passes; it returns how many are still open.
func (w *watcher) drain(ctx context.Context, limit time.Duration) int64 {
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		n := w.open.Load()
		if n == 0 || time.Now().After(deadline) {
			return n
		}
		select {
		case <-ctx.Done():
			return w.open.Load()
		case <-tick.C:
		}
	}
}
