package runner

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeOrders is an order-svc whose reads of an order answer, one a read,
// the answers given and then the last one again: a status, or "500". A
// read of a status that is not final waits as long as it asks, as
// order-svc's waiting read does.
type fakeOrders struct {
	answers []string
	read    chan struct{} // told of every read, when not nil

	mu    sync.Mutex
	waits []string // the wait each read asked for
}

func (f *fakeOrders) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "not here", http.StatusNotFound)
		return
	}
	wait := r.URL.Query().Get("wait")
	f.mu.Lock()
	answer := f.answers[min(len(f.waits), len(f.answers)-1)]
	f.waits = append(f.waits, wait)
	f.mu.Unlock()
	if f.read != nil {
		select {
		case f.read <- struct{}{}:
		default:
		}
	}
	if answer == "500" {
		http.Error(w, "busy", http.StatusInternalServerError)
		return
	}
	if !isFinal(answer) {
		d, _ := time.ParseDuration(wait)
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
	created := time.Now().Add(-time.Millisecond)
	_ = json.NewEncoder(w).Encode(map[string]any{"id": "o-1", "status": answer, "createdAt": created,
		"history": []map[string]any{{"status": "PENDING", "at": created}, {"status": answer, "at": time.Now()}}})
}

func (f *fakeOrders) askedWaits() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.waits)
}

// watchOne starts following one order, placed now, on f; the reads go on
// until it is settled or the watcher is closed.
func watchOne(t *testing.T, f *fakeOrders, change func(*Config)) (col *collector, w *watcher) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg := Defaults()
	cfg.OrderURL, cfg.Wait = srv.URL, 50*time.Millisecond
	change(&cfg)
	c := newClient(cfg)
	t.Cleanup(c.close)
	col = newCollector()
	w = newWatcher(c, col, cfg)
	w.watch(&pending{id: "o-1", intent: meantToSucceed, sent: time.Now()})
	return col, w
}

func TestAnAcceptedOrderIsReadWithWaitingReadsUntilItIsFinal(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		answers    []string
		wantReads  int64
		wantErrors map[string]int64
	}{
		{"an order final at the first read is read once", []string{"CONFIRMED"}, 1, map[string]int64{}},
		{"an order final after two waits is read three times", []string{"PENDING", "STOCK_RESERVED", "CANCELED"}, 3, map[string]int64{}},
		{"two failed reads are counted and read again", []string{"500", "500", "CONFIRMED"}, 3, map[string]int64{"read: HTTP 500": 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeOrders{answers: tc.answers}
			col, w := watchOne(t, f, func(*Config) {})

			open := w.drain(context.Background(), 10*time.Second)
			w.close()

			if open != 0 || col.finished.Load() != 1 || col.timedOut.Load() != 0 {
				t.Fatalf("open %d, finished %d, timed out %d: want the order finished", open, col.finished.Load(), col.timedOut.Load())
			}
			if final := tc.answers[len(tc.answers)-1]; col.byStatus[final] != 1 {
				t.Errorf("by status %v, want one %s", col.byStatus, final)
			}
			if got := col.reads.Load(); got != tc.wantReads {
				t.Errorf("%d reads, want %d", got, tc.wantReads)
			}
			if !maps.Equal(col.errorKinds, tc.wantErrors) {
				t.Errorf("errors %v, want %v", col.errorKinds, tc.wantErrors)
			}
			for _, wait := range f.askedWaits() {
				if wait != "50ms" {
					t.Errorf("reads asked to wait %q, want each to wait 50ms", f.askedWaits())
					break
				}
			}
		})
	}
}

func TestAnOrderNotFinalByItsDeadlineIsGivenUpWithoutWaitingPastIt(t *testing.T) {
	t.Parallel()
	f := &fakeOrders{answers: []string{"PENDING"}}
	col, w := watchOne(t, f, func(c *Config) { c.FinalTimeout = 120 * time.Millisecond })

	open := w.drain(context.Background(), 10*time.Second)
	w.close()

	if open != 0 || col.timedOut.Load() != 1 || col.finished.Load() != 0 {
		t.Fatalf("open %d, timed out %d, finished %d: want the order timed out", open, col.timedOut.Load(), col.finished.Load())
	}
	if want := map[string]int64{"final: none within 120ms": 1}; !maps.Equal(col.errorKinds, want) {
		t.Errorf("errors %v, want %v", col.errorKinds, want)
	}
	var total time.Duration
	for _, wait := range f.askedWaits() {
		d, _ := time.ParseDuration(wait)
		if d > 50*time.Millisecond {
			t.Errorf("a read asked to wait %s, more than 50ms", wait)
		}
		total += d
	}
	if total > 120*time.Millisecond {
		t.Errorf("reads asked to wait %v, %s in all: past the deadline", f.askedWaits(), total)
	}
}

func TestTheReadsOfOrdersStillOpenEndWithTheRun(t *testing.T) {
	t.Parallel()
	f := &fakeOrders{answers: []string{"PENDING"}, read: make(chan struct{}, 1)}
	col, w := watchOne(t, f, func(c *Config) { c.Wait = 5 * time.Second })
	<-f.read

	closed := make(chan struct{})
	go func() { w.close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(3 * time.Second):
		t.Fatal("close still waits for a read that waits 5s")
	}

	if w.open.Load() != 1 || col.reads.Load() != 0 || col.errors.Load() != 0 || col.timedOut.Load() != 0 {
		t.Fatalf("open %d, reads %d, errors %v, timed out %d: want the order left open and nothing counted",
			w.open.Load(), col.reads.Load(), col.errorKinds, col.timedOut.Load())
	}
}
