package statestore_test

import (
	"context"
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

func TestAKeyThisProcessWroteLastIsUpdatedWithoutARead(t *testing.T) {
	t.Parallel()
	backend := &countingBackend{Memory: statestore.NewMemory()}
	s := statestore.New[counter](backend, "s")
	ctx := context.Background()
	inc := func(c *counter, _ bool) error { c.N++; return nil }
	for i := 0; i < 5; i++ {
		if err := s.Update(ctx, "k", inc); err != nil {
			t.Fatal(err)
		}
	}
	if n := backend.reads.Load(); n != 1 {
		t.Fatalf("%d reads for five updates, want only the first", n)
	}
	got, _, _ := s.Get(ctx, "k")
	if got.N != 5 {
		t.Fatalf("n = %d, want 5", got.N)
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
	if n := backend.reads.Load(); n != 0 {
		t.Fatalf("%d reads, want none", n)
	}
}
