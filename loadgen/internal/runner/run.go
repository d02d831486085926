package runner

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/example/order-saga/loadgen/internal/stats"
)

// Snapshot is the state of a run at one moment, for a progress line.
type Snapshot struct {
	Elapsed  time.Duration
	Sent     int64
	Finished int64
	Open     int64   // accepted, final status not seen yet
	Errors   int64   // every error so far
	Rate     float64 // orders finished per second since the last snapshot
	Draining bool    // the load is over; waiting for the last finals
}

// Result is what a run measured.
type Result struct {
	Config      Config    `json:"config"`
	StartedAt   time.Time `json:"startedAt"`
	LoadSeconds float64   `json:"loadSeconds"` // while orders were being sent
	// ElapsedSeconds runs from the first order sent to the last final
	// status seen.
	ElapsedSeconds float64 `json:"elapsedSeconds"`
	Interrupted    bool    `json:"interrupted,omitempty"`
	// SeedSeconds is how long seeding took, before the load.
	SeedSeconds float64 `json:"seedSeconds,omitempty"`

	Sent     int64 `json:"sent"`
	Accepted int64 `json:"accepted"`
	Finished int64 `json:"finished"`
	TimedOut int64 `json:"timedOut"` // no final status within FinalTimeout
	Pending  int64 `json:"pending"`  // still open when the drain ended

	AcceptedPerSecond float64 `json:"acceptedPerSecond"`
	FinishedPerSecond float64 `json:"finishedPerSecond"`
	ReadsPerOrder     float64 `json:"readsPerOrder"` // GET /orders/{id}?wait= per finished order

	Accept stats.Summary `json:"acceptLatency"`
	Final  stats.Summary `json:"finalLatency"`
	// Saga is the time from an order's creation to its final status as
	// the services' clocks recorded it: the final latency without the POST
	// and the answer of the read that saw it.
	Saga stats.Summary `json:"sagaLatency"`

	ByStatus     map[string]int64  `json:"byStatus"`
	Errors       map[string]int64  `json:"errors"`
	ErrorSamples map[string]string `json:"errorSamples,omitempty"`
	// Mismatches count orders that ended otherwise than they were built
	// to, such as an order meant to succeed that was canceled.
	Mismatches map[string]int64 `json:"mismatches"`
}

// Run seeds the test data when asked, puts the load on, waits for the
// last final statuses and returns what it measured. progress, when not
// nil, is called about once a second. A canceled ctx ends the run early
// with what was measured so far.
func Run(ctx context.Context, cfg Config, progress func(Snapshot)) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := newClient(cfg)
	defer c.close()
	people := newPeople(cfg)
	var seeding time.Duration
	if cfg.Seed {
		start := time.Now()
		if err := seed(ctx, c, cfg, people); err != nil {
			return nil, err
		}
		seeding = time.Since(start)
	}

	col := newCollector()
	w := newWatcher(c, col, cfg)

	started := time.Now()
	draining := make(chan struct{})
	stopProgress := reportProgress(col, w, started, draining, progress)

	pl := placer{c: c, col: col, w: w}
	if cfg.Mode == Closed {
		runClosed(ctx, cfg, pl, people)
	} else {
		runOpen(ctx, cfg, pl, people)
	}
	loadEnded := time.Now()
	close(draining)
	var open int64
	if ctx.Err() == nil {
		open = w.drain(ctx, cfg.DrainTimeout)
	} else {
		open = w.open.Load()
	}
	w.close()
	stopProgress()

	res := col.result(cfg, started, loadEnded, open, ctx.Err() != nil)
	res.SeedSeconds = seeding.Seconds()
	return res, nil
}

// reportProgress calls progress every second until the returned stop.
func reportProgress(col *collector, w *watcher, started time.Time, draining <-chan struct{}, progress func(Snapshot)) (stop func()) {
	if progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		var lastFinished int64
		last := started
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				finished := col.finished.Load()
				s := Snapshot{
					Elapsed: now.Sub(started), Sent: col.sent.Load(), Finished: finished, Open: w.open.Load(),
					Errors: col.errors.Load(), Rate: float64(finished-lastFinished) / now.Sub(last).Seconds(),
				}
				select {
				case <-draining:
					s.Draining = true
				default:
				}
				progress(s)
				lastFinished, last = finished, now
			}
		}
	}()
	return func() { close(done); <-ended }
}

func (c *collector) result(cfg Config, started, loadEnded time.Time, open int64, interrupted bool) *Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := &Result{
		Config: cfg, StartedAt: started, LoadSeconds: loadEnded.Sub(started).Seconds(), Interrupted: interrupted,
		Sent: c.sent.Load(), Accepted: c.accepted.Load(), Finished: c.finished.Load(), TimedOut: c.timedOut.Load(), Pending: open,
		Accept: c.accept.Summary(), Final: c.final.Summary(), Saga: c.saga.Summary(),
		ByStatus: maps.Clone(c.byStatus), Errors: maps.Clone(c.errorKinds), ErrorSamples: maps.Clone(c.errorSamples),
		Mismatches: maps.Clone(c.mismatches),
	}
	if !c.firstSent.IsZero() && c.lastFinal.After(c.firstSent) {
		r.ElapsedSeconds = c.lastFinal.Sub(c.firstSent).Seconds()
		r.FinishedPerSecond = float64(r.Finished) / r.ElapsedSeconds
	}
	if r.LoadSeconds > 0 {
		r.AcceptedPerSecond = float64(r.Accepted) / r.LoadSeconds
	}
	if r.Finished > 0 {
		r.ReadsPerOrder = float64(c.reads.Load()) / float64(r.Finished)
	}
	return r
}

// String is a one-line account, for logs and test failures.
func (r *Result) String() string {
	return fmt.Sprintf("sent %d accepted %d finished %d timed out %d pending %d by status %v errors %v mismatches %v",
		r.Sent, r.Accepted, r.Finished, r.TimedOut, r.Pending, r.ByStatus, r.Errors, r.Mismatches)
}
