package statestore_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	dapr "github.com/dapr/go-sdk/client"

	"github.com/example/order-saga/platform/statestore"
)

// countingBackend counts the reads that reach the store.
type countingBackend struct {
	*statestore.Memory
	reads atomic.Int64
}

func (c *countingBackend) GetState(ctx context.Context, store, key string, meta map[string]string) (*dapr.StateItem, error) {
	c.reads.Add(1)
	return c.Memory.GetState(ctx, store, key, meta)
}

// trustPredictions updates a key of its own until the reads have borne
// the store's predicted ETags out, and predictions are used.
func trustPredictions(t *testing.T, s *statestore.Store[counter]) {
	t.Helper()
	for i := 0; i < 10; i++ {
		if err := s.Update(context.Background(), "warm-up", func(c *counter, _ bool) error { c.N++; return nil }); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAKeyThisProcessWroteLastIsUpdatedWithoutARead(t *testing.T) {
	t.Parallel()
	backend := &countingBackend{Memory: statestore.NewMemory()}
	s := statestore.New[counter](backend, "s")
	trustPredictions(t, s)
	before := backend.reads.Load()
	ctx := context.Background()
	inc := func(c *counter, _ bool) error { c.N++; return nil }
	for i := 0; i < 5; i++ {
		if err := s.Update(ctx, "k", inc); err != nil {
			t.Fatal(err)
		}
	}
	if n := backend.reads.Load() - before; n != 1 {
		t.Fatalf("%d reads for five updates, want only the first", n)
	}
	got, _, _ := s.Get(ctx, "k")
	if got.N != 5 {
		t.Fatalf("n = %d, want 5", got.N)
	}
}

func TestNoReadIsSkippedBeforeTheStoreHasBorneThePredictionsOut(t *testing.T) {
	t.Parallel()
	backend := &countingBackend{Memory: statestore.NewMemory()}
	s := statestore.New[counter](backend, "s")
	for i := 1; i <= 5; i++ {
		if err := s.Update(context.Background(), "k", func(c *counter, _ bool) error { c.N++; return nil }); err != nil {
			t.Fatal(err)
		}
		if n := backend.reads.Load(); n != int64(i) {
			t.Fatalf("%d reads for %d updates of a new store: a prediction was used untried", n, i)
		}
	}
}

// otherETags gives the ETags of another kind of store: a random UUID per
// write (uuid), or a number that is not the key's version (a counter
// of every write of the store, as a transaction id is).
type otherETags struct {
	*statestore.Memory
	reads   atomic.Int64
	refused atomic.Int64 // writes
	uuid    bool

	mu     sync.Mutex
	writes int
	byVer  map[string]string // "key@version" -> ETag shown
	toVer  map[string]string // ETag shown -> version
}

func newOtherETags(uuid bool) *otherETags {
	return &otherETags{Memory: statestore.NewMemory(), uuid: uuid, byVer: map[string]string{}, toVer: map[string]string{}}
}

func (o *otherETags) GetState(ctx context.Context, store, key string, meta map[string]string) (*dapr.StateItem, error) {
	o.reads.Add(1)
	it, err := o.Memory.GetState(ctx, store, key, meta)
	if err != nil || it.Etag == "" {
		return it, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	it.Etag = o.byVer[key+"@"+it.Etag]
	return it, nil
}

func (o *otherETags) SaveStateWithETag(ctx context.Context, store, key string, data []byte, etag string, meta map[string]string, so ...dapr.StateOption) error {
	o.mu.Lock()
	version, known := o.toVer[etag]
	o.mu.Unlock()
	if etag != "" && !known {
		o.refused.Add(1)
		return errors.New("etag mismatch")
	}
	if err := o.Memory.SaveStateWithETag(ctx, store, key, data, version, meta, so...); err != nil {
		o.refused.Add(1)
		return err
	}
	it, _ := o.Memory.GetState(ctx, store, key, nil)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.writes++
	shown := strconv.Itoa(1000 + o.writes*3)
	if o.uuid {
		shown = fmt.Sprintf("%08x-0000-4000-8000-%012x", o.writes, o.writes*7919)
	}
	o.byVer[key+"@"+it.Etag], o.toVer[shown] = shown, it.Etag
	return nil
}

func TestAStoreWhoseETagsDoNotCountVersionsIsReadBeforeEveryUpdate(t *testing.T) {
	t.Parallel()
	for _, kind := range []struct {
		name string
		uuid bool
	}{{"a UUID per write", true}, {"a number that is not the version", false}} {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			backend := newOtherETags(kind.uuid)
			s := statestore.New[counter](backend, "s")
			ctx := context.Background()
			const updates = 40
			for i := 0; i < updates; i++ {
				for _, key := range []string{"a", "b"} {
					if err := s.Update(ctx, key, func(c *counter, _ bool) error { c.N++; return nil }); err != nil {
						t.Fatal(err)
					}
				}
			}
			if n, refused := backend.reads.Load(), backend.refused.Load(); n != 2*updates || refused != 0 {
				t.Fatalf("%d reads and %d refused writes for %d updates, want a read each and no write refused", n, refused, 2*updates)
			}
			for _, key := range []string{"a", "b"} {
				if got, _, _ := s.Get(ctx, key); got.N != updates {
					t.Fatalf("%s = %d, want %d", key, got.N, updates)
				}
			}
		})
	}
}

func TestAWriteByAnotherReplicaIsNeverOverwritten(t *testing.T) {
	t.Parallel()
	backend := statestore.NewMemory()
	a, b := statestore.New[counter](backend, "s"), statestore.New[counter](backend, "s")
	ctx := context.Background()
	inc := func(c *counter, _ bool) error { c.N++; return nil }
	// a writes, b writes behind a's back, then a updates from what it
	// remembers: its predicted ETag is refused and it reads again.
	for _, s := range []*statestore.Store[counter]{a, b, a, b, b, a} {
		if err := s.Update(ctx, "k", inc); err != nil {
			t.Fatal(err)
		}
	}
	got, _, _ := a.Get(ctx, "k")
	if got.N != 6 {
		t.Fatalf("n = %d, want 6: an update was lost", got.N)
	}
}

func TestACreatedKeyIsUpdatedWithoutARead(t *testing.T) {
	t.Parallel()
	backend := &countingBackend{Memory: statestore.NewMemory()}
	s := statestore.New[counter](backend, "s")
	trustPredictions(t, s)
	before := backend.reads.Load()
	ctx := context.Background()
	if _, created, err := s.Create(ctx, "k", counter{N: 1}); err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	if err := s.Update(ctx, "k", func(c *counter, found bool) error {
		if !found || c.N != 1 {
			t.Errorf("update saw %+v found=%v", c, found)
		}
		c.N++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n := backend.reads.Load() - before; n != 0 {
		t.Fatalf("%d reads, want none", n)
	}
}
