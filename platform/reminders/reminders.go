// Package reminders is the saga's durable timer: it keeps, in a service's
// own state store, ids that fall due at a time, and hands them back to the
// service once they are due, whatever restarted meanwhile.
//
// An id is added to the slot of its due time (half a second) in
// one of a few shards, so that the replicas of a service rarely write the
// same key, and the store's group commit gathers the adds of one slot into
// one write. Every replica sweeps: it reads the slots from the cursor
// stored beside them to a little before now, hands their ids to the
// service, and moves the cursor on under its ETag. A sweep that fails, or
// a replica that dies, leaves the cursor where it was, and the next sweep
// of any replica reads the same slots again: the service's handler must be
// idempotent, as every handler of the saga is.
//
// It keeps no index of its own in memory and needs no query of the store:
// the keys of the slots follow from the time. Dapr's scheduler would fire
// a job per id, but it costs more per order than the saga's own work, and
// fires nothing for about 20 s after it was killed.
package reminders

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"time"

	"github.com/example/order-saga/platform/statestore"
)

// Due is an id that fell due, and how many times it fell due before.
type Due struct {
	ID      string
	Attempt int
}

// Later asks for an id to fall due again at At, its Attempt counted.
type Later struct {
	ID      string
	Attempt int
	At      time.Time
}

// Handler decides what each due id needs, and returns the ids to remind of
// again. It is handed at most MaxBatch ids at once. An error leaves the
// slot to the next sweep, which hands the same ids again.
type Handler func(ctx context.Context, due []Due, now time.Time) (again []Later, err error)

// Layout of the slots.
const (
	// Slot is how long a slot spans: an id is handed over at most a slot
	// after its due time, plus Settle and the sweep's period.
	Slot = 500 * time.Millisecond
	// Shards is how many keys a slot spreads over.
	Shards = 4
	// Settle is how long a sweep leaves a slot alone after its end, so
	// that an add still in flight lands before the slot is read.
	Settle = time.Second
	// firstLookBack is where the first sweep of a store starts, when no
	// cursor is stored yet.
	firstLookBack = time.Minute
	// keep is how long a slot stays stored after its last write.
	keep = 24 * time.Hour
)

// Reminders keeps the ids of one kind of reminder of one service.
type Reminders struct {
	slots  *statestore.Store[map[string]int]
	cursor *statestore.Store[int64]
	prefix string
	shard  int
	handle Handler
	now    func() time.Time
	log    *slog.Logger
}

// New returns the reminders called name (a key prefix, such as
// "deadline") kept in the service's state store store, handed to handle.
func New(backend statestore.Backend, store, name string, handle Handler, now func() time.Time, log *slog.Logger) *Reminders {
	n, _ := rand.Int(rand.Reader, big.NewInt(Shards))
	return &Reminders{
		slots:  statestore.New[map[string]int](backend, store, statestore.ExpireAfter(keep)),
		cursor: statestore.New[int64](backend, store),
		prefix: name, shard: int(n.Int64()), handle: handle, now: now, log: log,
	}
}

func slotOf(t time.Time) int64 { return t.UnixNano() / int64(Slot) }

func (r *Reminders) slotKey(slot int64, shard int) string {
	return fmt.Sprintf("%s-slot-%d-%d", r.prefix, slot, shard)
}

func (r *Reminders) cursorKey() string { return r.prefix + "-cursor" }

// Add makes id fall due at at (or now, if at is past), with attempt as
// its count. Adding an id twice hands it over once per slot it is in.
func (r *Reminders) Add(ctx context.Context, id string, at time.Time, attempt int) error {
	start := r.now()
	if at.Before(start) {
		at = start
	}
	slot := slotOf(at)
	err := r.slots.Update(ctx, r.slotKey(slot, r.shard), func(ids *map[string]int, _ bool) error {
		if n, ok := (*ids)[id]; ok && n >= attempt {
			return statestore.ErrUnchanged
		}
		if *ids == nil {
			*ids = map[string]int{}
		}
		(*ids)[id] = attempt
		return nil
	})
	if err != nil {
		return fmt.Errorf("remind of %s at %s: %w", id, at.Format(time.RFC3339Nano), err)
	}
	// A write slower than Settle may land in a slot swept meanwhile: it
	// is then added again, to a slot still to come.
	if r.now().Sub(start) < Settle/2 {
		return nil
	}
	swept, _, err := r.cursor.Get(ctx, r.cursorKey())
	if err != nil {
		return fmt.Errorf("remind of %s: %w", id, err)
	}
	if swept >= slot {
		return r.Add(ctx, id, r.now(), attempt)
	}
	return nil
}

// Run sweeps every period until ctx ends.
func (r *Reminders) Run(ctx context.Context, period time.Duration) {
	Every(ctx, period, func() {
		if _, err := r.Sweep(ctx); err != nil && ctx.Err() == nil {
			r.log.WarnContext(ctx, "reminders not swept; the next sweep reads them again", "reminders", r.prefix, "error", err)
		}
	})
}

// Every calls fn every period until ctx ends: the in-process timers of a
// service, each looking at what is stored.
func Every(ctx context.Context, period time.Duration, fn func()) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			fn()
		}
	}
}

// Sweep hands over the ids of the slots that ended at least Settle ago
// and that no sweep has finished, slot by slot, and returns how many it
// handed over.
func (r *Reminders) Sweep(ctx context.Context) (int, error) {
	now := r.now()
	swept, found, err := r.cursor.Get(ctx, r.cursorKey())
	if err != nil {
		return 0, err
	}
	if !found {
		swept = slotOf(now.Add(-firstLookBack))
	}
	end := min(slotOf(now.Add(-Settle))-1, swept+readsPerSweep*slotsPerRead)
	handed := 0
	for from := swept + 1; from <= end; from += slotsPerRead {
		n, err := r.sweepSlots(ctx, from, min(from+slotsPerRead-1, end), now)
		handed += n
		if err != nil {
			return handed, err
		}
	}
	return handed, nil
}

// slotsPerRead is how many slots one read of the store covers, as many
// keys times Shards; readsPerSweep bounds a sweep that catches up (150 s
// of slots), the next one going on from there.
const (
	slotsPerRead  = 40
	readsPerSweep = 15
)

// sweepSlots hands over the ids of the slots from first to last, read in
// one call, slot by slot.
func (r *Reminders) sweepSlots(ctx context.Context, first, last int64, now time.Time) (int, error) {
	var keys []string
	for slot := first; slot <= last; slot++ {
		for shard := range Shards {
			keys = append(keys, r.slotKey(slot, shard))
		}
	}
	slots, err := r.slots.GetMany(ctx, keys)
	if err != nil {
		return 0, err
	}
	handed := 0
	for slot := first; slot <= last; slot++ {
		attempts := map[string]int{}
		for shard := range Shards {
			for id, n := range slots[r.slotKey(slot, shard)] {
				attempts[id] = max(attempts[id], n)
			}
		}
		if len(attempts) == 0 && slot < last {
			continue
		}
		if err := r.handOver(ctx, attempts, now); err != nil {
			return handed, err
		}
		handed += len(attempts)
		// The cursor moves past each slot that had ids, so that a sweep
		// that fails later does not hand them over again, and past the
		// empty ones at the end of each read.
		if err := r.moveCursor(ctx, slot); err != nil {
			return handed, err
		}
	}
	return handed, nil
}

// moveCursor records that every slot up to slot was swept, unless a later
// one was.
func (r *Reminders) moveCursor(ctx context.Context, slot int64) error {
	return r.cursor.Update(ctx, r.cursorKey(), func(v *int64, _ bool) error {
		if *v >= slot {
			return statestore.ErrUnchanged
		}
		*v = slot
		return nil
	})
}

// handOver hands the ids of a slot to the handler, with their attempts,
// and adds those to remind of again.
func (r *Reminders) handOver(ctx context.Context, attempts map[string]int, now time.Time) error {
	due := make([]Due, 0, len(attempts))
	for id, n := range attempts {
		due = append(due, Due{ID: id, Attempt: n})
	}
	for batch := range slices.Chunk(due, MaxBatch) {
		again, err := r.handle(ctx, batch, now)
		if err != nil {
			return err
		}
		for _, l := range again {
			if err := r.Add(ctx, l.ID, l.At, l.Attempt); err != nil {
				return err
			}
		}
	}
	return nil
}

// MaxBatch bounds the ids handed over at once, so that a handler reads
// them in one call.
const MaxBatch = 100

// IDs are the ids of due.
func IDs(due []Due) []string {
	ids := make([]string, len(due))
	for i, d := range due {
		ids[i] = d.ID
	}
	return ids
}

// Backoff is how long to wait before the attempt-th reminder of an id
// that still needs one: first, doubling from it, up to most.
func Backoff(attempt int, first, most time.Duration) time.Duration {
	d := first
	for range attempt {
		if d >= most {
			break
		}
		d *= 2
	}
	return min(d, most)
}
