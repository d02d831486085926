package runner

import (
	"container/heap"
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
	next     time.Time // next poll
	wait     time.Duration
	release  func() // called once the order is final or given up on
}

func (p *pending) done() {
	if p.release != nil {
		p.release()
	}
}

// watcher polls accepted orders until they are final, with a bounded
// number of pollers. Each order is polled soon after its 202 and then less
// and less often, up to PollMax between two reads.
type watcher struct {
	c   *client
	col *collector
	cfg Config

	mu    sync.Mutex
	queue pollQueue
	wake  chan struct{}
	due   chan *pending
	open  atomic.Int64 // orders not final yet
}

func newWatcher(c *client, col *collector, cfg Config) *watcher {
	return &watcher{c: c, col: col, cfg: cfg, wake: make(chan struct{}, 1), due: make(chan *pending)}
}

// watch follows an accepted order.
func (w *watcher) watch(p *pending, accepted time.Time) {
	w.open.Add(1)
	p.deadline = p.sent.Add(w.cfg.FinalTimeout)
	if w.cfg.Wait > 0 {
		go w.waitFinal(p)
		return
	}
	p.wait = w.cfg.PollMin
	p.next = accepted.Add(p.wait)
	w.push(p)
}

// waitFinal follows one order with reads that wait for its final status.
func (w *watcher) waitFinal(p *pending) {
	for {
		wait := min(w.cfg.Wait, time.Until(p.deadline))
		if !w.check(p, wait) {
			return
		}
	}
}

func (w *watcher) push(p *pending) {
	w.mu.Lock()
	heap.Push(&w.queue, p)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// run hands due orders to the pollers until ctx ends.
func (w *watcher) run(ctx context.Context) {
	var wg sync.WaitGroup
	for range w.cfg.Pollers {
		wg.Go(func() {
			for p := range w.due {
				w.poll(ctx, p)
			}
		})
	}
	defer wg.Wait()
	defer close(w.due)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		w.mu.Lock()
		var next *pending
		if len(w.queue) > 0 {
			next = w.queue[0]
		}
		wait := time.Hour
		if next != nil {
			wait = time.Until(next.next)
		}
		if wait <= 0 {
			heap.Pop(&w.queue)
		}
		w.mu.Unlock()
		if wait <= 0 {
			select {
			case w.due <- next:
				continue
			case <-ctx.Done():
				return
			}
		}
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-w.wake:
		case <-ctx.Done():
			return
		}
	}
}

func (w *watcher) poll(ctx context.Context, p *pending) {
	if ctx.Err() != nil || !w.check(p, 0) {
		return
	}
	now := time.Now()
	p.wait = min(p.wait*3/2, w.cfg.PollMax)
	p.next = now.Add(p.wait)
	w.push(p)
}

// check reads the order once, waiting up to wait, and settles it when it
// is final or past its deadline; it reports whether to read it again.
func (w *watcher) check(p *pending, wait time.Duration) bool {
	o, err := w.c.order(context.Background(), p.id, wait)
	now := time.Now()
	w.col.countPoll()
	if err != nil {
		w.col.fail("poll: "+errorKind(err), err)
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

// pollQueue is a min-heap of orders by next poll.
type pollQueue []*pending

func (q pollQueue) Len() int           { return len(q) }
func (q pollQueue) Less(i, j int) bool { return q[i].next.Before(q[j].next) }
func (q pollQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *pollQueue) Push(x any)        { *q = append(*q, x.(*pending)) }
func (q *pollQueue) Pop() any {
	old := *q
	p := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return p
}
