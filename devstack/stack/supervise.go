package stack

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// The restart policy of a supervised process, as a kubelet's: the first
// restart waits firstRestartDelay, each consecutive one twice as long as
// the one before, up to maxRestartDelay; a process that ran healthyRun
// before it died starts the count again.
const (
	firstRestartDelay = time.Second
	maxRestartDelay   = 30 * time.Second
	healthyRun        = 60 * time.Second
)

// restartBackoff is the delay before each restart of one process. It
// reads no clock: the caller says how long the process ran, so the policy
// is a pure function of the runs seen.
type restartBackoff struct {
	first, max, healthy time.Duration
	last                time.Duration // the delay before the last restart; 0 before the first
}

func newRestartBackoff() restartBackoff {
	return restartBackoff{first: firstRestartDelay, max: maxRestartDelay, healthy: healthyRun}
}

// next is the delay before starting again a process that ran for ran.
func (b *restartBackoff) next(ran time.Duration) time.Duration {
	if b.last == 0 || ran >= b.healthy {
		b.last = b.first
	} else {
		b.last = min(2*b.last, b.max)
	}
	return b.last
}

// errStopped is the answer to a start once the stack is stopping.
var errStopped = errors.New("the stack is stopped")

// processes are the child processes of a stack by name, the names of
// Stack.Pids. When supervise is set, each one that dies, whatever ended
// it, is started again with the binary, args and env of its last start,
// after the delay of its own restartBackoff. A process is noticed dead by
// its exit, never by polling.
//
// Invariant: a process is started (or, started by the caller, taken in)
// only under mu and only while stopping is false, so halt, which sets
// stopping under mu, sees every process that will ever run; none starts
// after it.
type processes struct {
	supervise bool
	log       io.Writer
	policy    restartBackoff // each unit's backoff as it starts

	mu       sync.Mutex
	units    map[string]*unit
	stopping bool
	quit     chan struct{} // closed by halt: ends the backoff waits
	watchers sync.WaitGroup
}

// unit is one named process and how to start it again.
type unit struct {
	proc  *Proc
	start func() (*Proc, error)
	// gen grows with each start by hand; a watcher of an older
	// generation lets its process go, and the new one is watched.
	gen      int
	backoff  restartBackoff
	restarts int
	// downUntil is when the unit may start again at the earliest (see
	// killFor).
	downUntil time.Time
}

func newProcesses(supervise bool, log io.Writer) *processes {
	return &processes{supervise: supervise, log: log, policy: newRestartBackoff(), units: map[string]*unit{}, quit: make(chan struct{})}
}

// run starts name by start, in place of a process of that name still
// running, which is stopped first. When supervising, start is also how
// it starts again.
func (ps *processes) run(name string, start func() (*Proc, error)) (*Proc, error) {
	ps.mu.Lock()
	u := ps.takeLocked(name)
	old := u.proc
	ps.mu.Unlock()
	if old != nil {
		old.Stop(10 * time.Second)
	}

	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.stopping {
		return nil, errStopped
	}
	p, err := start()
	if err != nil {
		return nil, err
	}
	ps.adoptLocked(name, u, p, start)
	return p, nil
}

// add takes in a process already started, with how to start it again.
func (ps *processes) add(name string, p *Proc, start func() (*Proc, error)) error {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.stopping {
		return errStopped
	}
	ps.adoptLocked(name, ps.takeLocked(name), p, start)
	return nil
}

// takeLocked is the unit of name, made if new, in a new generation: the
// watcher of its old process must not start it again.
func (ps *processes) takeLocked(name string) *unit {
	u := ps.units[name]
	if u == nil {
		u = &unit{}
		ps.units[name] = u
	}
	u.gen++
	return u
}

// adoptLocked makes p the process of u. A start by hand begins a new run
// of restarts, so the backoff starts over.
func (ps *processes) adoptLocked(name string, u *unit, p *Proc, start func() (*Proc, error)) {
	u.proc, u.start, u.backoff = p, start, ps.policy
	if ps.supervise {
		ps.watchers.Add(1)
		go ps.watch(name, u, p, u.gen)
	}
}

// watch starts p's unit again each time its process ends, until the
// stack stops or the unit is started by hand.
func (ps *processes) watch(name string, u *unit, p *Proc, gen int) {
	defer ps.watchers.Done()
	for {
		select {
		case <-p.Done():
		case <-ps.quit:
			return
		}
		ran := p.ran()
		why := fmt.Sprintf("exited (%s) after %.1fs", p.exitStatus(), ran.Seconds())
		for {
			n, delay, ok := ps.plan(u, gen, ran)
			if !ok {
				return
			}
			ps.logf("%s %s; restart %d in %s", name, why, n, delay)
			if !ps.wait(delay) {
				return
			}
			next, err, ok := ps.restart(u, gen)
			if !ok {
				return
			}
			if err == nil {
				p = next
				break
			}
			// A start that fails is a run of no time at all.
			ran, why = 0, fmt.Sprintf("did not start again (%v)", err)
		}
	}
}

// plan draws the delay before the next restart of u, and its number; ok
// is false when u is no longer this watcher's to restart.
func (ps *processes) plan(u *unit, gen int, ran time.Duration) (n int, delay time.Duration, ok bool) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.stopping || u.gen != gen {
		return 0, 0, false
	}
	return u.restarts + 1, max(u.backoff.next(ran), time.Until(u.downUntil)), true
}

// killFor kills the process of name as a crash would, and has the
// supervisor start it again no sooner than d later, as a kubelet does
// once its back-off has grown.
func (ps *processes) killFor(name string, d time.Duration) error {
	ps.mu.Lock()
	u := ps.units[name]
	if u == nil || u.proc == nil {
		ps.mu.Unlock()
		return fmt.Errorf("no process %s", name)
	}
	u.downUntil = time.Now().Add(d)
	p := u.proc
	ps.mu.Unlock()
	p.Kill()
	return nil
}

// wait waits for delay, or reports false when the stack stops first.
func (ps *processes) wait(delay time.Duration) bool {
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ps.quit:
		return false
	}
}

// restart starts u again, unless the stack is stopping or u was started
// by hand meanwhile (ok false).
func (ps *processes) restart(u *unit, gen int) (p *Proc, err error, ok bool) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.stopping || u.gen != gen {
		return nil, nil, false
	}
	if p, err = u.start(); err != nil {
		return nil, err, true
	}
	u.proc = p
	u.restarts++
	return p, nil, true
}

func (ps *processes) logf(format string, args ...any) {
	logMu.Lock()
	defer logMu.Unlock()
	fmt.Fprintf(ps.log, "%-12s| "+format+"\n", append([]any{"supervisor"}, args...)...)
}

// get is the current process of name, or nil.
func (ps *processes) get(name string) *Proc {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if u := ps.units[name]; u != nil {
		return u.proc
	}
	return nil
}

// pids are the process ids of the current processes, by name.
func (ps *processes) pids() map[string]int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	out := make(map[string]int, len(ps.units))
	for name, u := range ps.units {
		if u.proc != nil {
			out[name] = u.proc.Pid()
		}
	}
	return out
}

// restartCounts are the restarts so far of each process restarted at
// least once, by name.
func (ps *processes) restartCounts() map[string]int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	out := map[string]int{}
	for name, u := range ps.units {
		if u.restarts > 0 {
			out[name] = u.restarts
		}
	}
	return out
}

// halt ends supervision for good: no process starts after it returns,
// and the backoff waits end. It returns every process that may still
// run, for the caller to stop.
func (ps *processes) halt() map[string]*Proc {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if !ps.stopping {
		ps.stopping = true
		close(ps.quit)
	}
	out := make(map[string]*Proc, len(ps.units))
	for name, u := range ps.units {
		if u.proc != nil {
			out[name] = u.proc
		}
	}
	return out
}

// waitWatchers returns once every watcher has ended; call it after halt.
func (ps *processes) waitWatchers() { ps.watchers.Wait() }
