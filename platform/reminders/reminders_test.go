package reminders_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/example/order-saga/platform/reminders"
	"github.com/example/order-saga/platform/statestore"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// handled records what a handler was handed, and fails while fail is set.
type handled struct {
	mu    sync.Mutex
	got   map[string][]int
	fail  error
	again func(reminders.Due, time.Time) *reminders.Later
}

func (h *handled) handle(_ context.Context, due []reminders.Due, now time.Time) ([]reminders.Later, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fail != nil {
		return nil, h.fail
	}
	var again []reminders.Later
	for _, d := range due {
		h.got[d.ID] = append(h.got[d.ID], d.Attempt)
		if h.again != nil {
			if l := h.again(d, now); l != nil {
				again = append(again, *l)
			}
		}
	}
	return again, nil
}

func newReminders(t *testing.T, backend statestore.Backend, c *clock, h *handled) *reminders.Reminders {
	t.Helper()
	return reminders.New(backend, "store", "deadline", h.handle, c.now, slog.New(slog.DiscardHandler))
}

func TestAnIdIsHandedOverOnceAfterItsDueTimeByWhicheverReplicaSweeps(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	backend := statestore.NewMemory()
	c := &clock{t: time.Unix(1_000_000, 0)}
	h := &handled{got: map[string][]int{}}
	a, b := newReminders(t, backend, c, h), newReminders(t, backend, c, h)
	if _, err := a.Sweep(ctx); err != nil { // the cursor starts here
		t.Fatal(err)
	}
	for i, id := range []string{"o1", "o2", "o3"} {
		if err := a.Add(ctx, id, c.now().Add(10*time.Second+time.Duration(i)*time.Second), 0); err != nil {
			t.Fatal(err)
		}
	}
	c.add(10*time.Second + reminders.Settle)
	if _, err := b.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if len(h.got) != 0 {
		t.Fatalf("handed over %v before any was due a settle ago", h.got)
	}
	c.add(reminders.Slot)
	if _, err := b.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(h.got["o1"], []int{0}) || len(h.got) != 1 {
		t.Fatalf("handed over %v, want o1 alone", h.got)
	}
	c.add(time.Minute)
	for _, r := range []*reminders.Reminders{a, b, a} {
		if _, err := r.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"o1", "o2", "o3"} {
		if !slices.Equal(h.got[id], []int{0}) {
			t.Fatalf("%s handed over %v times, want once", id, h.got[id])
		}
	}
}

func TestASweepThatFailsLeavesItsSlotToTheNext(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	backend := statestore.NewMemory()
	c := &clock{t: time.Unix(2_000_000, 0)}
	h := &handled{got: map[string][]int{}}
	r := newReminders(t, backend, c, h)
	if _, err := r.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Add(ctx, "o1", c.now().Add(time.Second), 0); err != nil {
		t.Fatal(err)
	}
	c.add(5 * time.Second)
	h.mu.Lock()
	h.fail = errors.New("store down")
	h.mu.Unlock()
	if _, err := r.Sweep(ctx); err == nil {
		t.Fatal("the failing handler's error was not returned")
	}
	h.mu.Lock()
	h.fail = nil
	h.mu.Unlock()
	c.add(time.Second)
	if _, err := r.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(h.got["o1"], []int{0}) {
		t.Fatalf("o1 handed over %v, want once after the failure", h.got["o1"])
	}
}

func TestAnIdRemindedAgainComesBackWithItsAttemptCounted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	backend := statestore.NewMemory()
	c := &clock{t: time.Unix(3_000_000, 0)}
	h := &handled{got: map[string][]int{}}
	h.again = func(d reminders.Due, now time.Time) *reminders.Later {
		if d.Attempt >= 3 {
			return nil
		}
		return &reminders.Later{ID: d.ID, Attempt: d.Attempt + 1, At: now.Add(reminders.Backoff(d.Attempt, time.Second, 4*time.Second))}
	}
	r := newReminders(t, backend, c, h)
	if _, err := r.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Add(ctx, "o1", c.now(), 0); err != nil {
		t.Fatal(err)
	}
	for range 40 {
		c.add(time.Second)
		if _, err := r.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(h.got["o1"], []int{0, 1, 2, 3}) {
		t.Fatalf("o1 handed over with attempts %v, want 0 to 3", h.got["o1"])
	}
}

func TestBackoffDoublesUpToItsBound(t *testing.T) {
	t.Parallel()
	var got []time.Duration
	for a := range 6 {
		got = append(got, reminders.Backoff(a, 2*time.Second, 20*time.Second))
	}
	want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 20 * time.Second, 20 * time.Second}
	if !slices.Equal(got, want) {
		t.Fatalf("backoff %v, want %v", got, want)
	}
}
