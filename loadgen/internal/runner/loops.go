package runner

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// errorPause keeps a customer whose order failed, and a read of an order
// that failed, from being tried again in a tight loop against a service
// that is down.
const errorPause = 10 * time.Millisecond

// placer posts orders and hands the accepted ones to the watcher.
type placer struct {
	c   *client
	col *collector
	w   *watcher
}

// place posts o as if sent at sent (the scheduled time in an open loop)
// and reports whether it was accepted. release, when not nil, is called
// once the order is over: refused, final or given up on.
func (pl placer) place(ctx context.Context, o plannedOrder, sent time.Time, release func()) bool {
	pl.col.markSent(sent)
	st, err := pl.c.place(ctx, o.body, o.key)
	now := time.Now()
	p := &pending{id: st.ID, intent: o.intent, sent: sent, release: release}
	if err != nil {
		if ctx.Err() == nil {
			pl.col.fail("accept: "+errorKind(err), err)
		}
		p.done()
		return false
	}
	pl.col.markAccepted(now.Sub(sent))
	if isFinal(st.Status) {
		pl.col.markFinal(p, st, now)
		p.done()
		return true
	}
	pl.w.watch(p)
	return true
}

// runClosed has each customer place orders back to back until the
// duration ends: the next order goes out as soon as the previous one is
// accepted, while its final status is watched apart. With MaxOpen, a
// customer first waits for a free slot among the open orders.
func runClosed(ctx context.Context, cfg Config, pl placer, people people) {
	// Orders already sent when the duration ends still get their answer.
	load, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var slots chan struct{}
	var release func()
	if cfg.MaxOpen > 0 {
		slots = make(chan struct{}, cfg.MaxOpen)
		release = func() { <-slots }
	}
	var wg sync.WaitGroup
	for i, customer := range people.regular {
		plan := newPlanner(cfg, people, uint64(i))
		wg.Go(func() {
			for load.Err() == nil {
				if slots != nil {
					select {
					case slots <- struct{}{}:
					case <-load.Done():
						return
					}
				}
				if !pl.place(ctx, plan.next(customer), time.Now(), release) {
					pause(load, errorPause)
				}
			}
		})
	}
	wg.Wait()
}

// runOpen sends orders at fixed intervals whatever the answers, so a slow
// answer delays no arrival; each latency counts from the arrival's
// scheduled time, not from when it could be sent.
func runOpen(ctx context.Context, cfg Config, pl placer, people people) {
	interval := float64(time.Second) / cfg.Rate
	arrivals := int(cfg.Duration.Seconds() * cfg.Rate)
	plan := newPlanner(cfg, people, 0)
	var inFlight atomic.Int64
	var wg sync.WaitGroup
	timer := time.NewTimer(0)
	defer timer.Stop()
	start := time.Now()
	for i := range arrivals {
		at := start.Add(time.Duration(float64(i) * interval))
		if d := time.Until(at); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
		o := plan.next(people.regular[i%len(people.regular)])
		if inFlight.Load() >= int64(cfg.MaxInFlight) {
			pl.col.markSent(at)
			pl.col.fail("accept: over the in-flight limit", nil)
			continue
		}
		inFlight.Add(1)
		wg.Go(func() {
			defer inFlight.Add(-1)
			pl.place(ctx, o, at, nil)
		})
	}
	wg.Wait()
}

func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
