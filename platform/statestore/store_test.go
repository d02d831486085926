package statestore_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/example/order-saga/platform/statestore"
)

type counter struct {
	N int `json:"n"`
}

func TestConcurrentUpdatesOfOneKeyAreAllApplied(t *testing.T) {
	t.Parallel()
	backend := statestore.NewMemory()
	// Two stores over one backend stand for two replicas of a service.
	replicas := []*statestore.Store[counter]{statestore.New[counter](backend, "s"), statestore.New[counter](backend, "s")}
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(s *statestore.Store[counter]) {
			defer wg.Done()
			if err := s.Update(context.Background(), "k", func(c *counter, _ bool) error { c.N++; return nil }); err != nil {
				t.Error(err)
			}
		}(replicas[i%2])
	}
	wg.Wait()
	got, found, err := replicas[0].Get(context.Background(), "k")
	if err != nil || !found || got.N != 200 {
		t.Fatalf("got %+v found=%v err=%v, want n=200", got, found, err)
	}
}

func TestAFailedMutationDoesNotStopTheOthersInItsBatch(t *testing.T) {
	t.Parallel()
	s := statestore.New[counter](statestore.NewMemory(), "s")
	refused := errors.New("refused")
	var wg sync.WaitGroup
	var failures sync.Map
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			err := s.Update(context.Background(), "k", func(c *counter, _ bool) error {
				if i%5 == 0 {
					return refused
				}
				c.N++
				return nil
			})
			if err != nil {
				failures.Store(i, err)
			}
		}(i)
	}
	wg.Wait()
	got, _, _ := s.Get(context.Background(), "k")
	if got.N != 40 {
		t.Fatalf("n = %d, want 40", got.N)
	}
	n := 0
	failures.Range(func(_, v any) bool {
		if !errors.Is(v.(error), refused) {
			t.Errorf("unexpected error %v", v)
		}
		n++
		return true
	})
	if n != 10 {
		t.Fatalf("%d updates failed, want 10", n)
	}
}

func TestUnchangedIsNotAnErrorAndWritesNothing(t *testing.T) {
	t.Parallel()
	s := statestore.New[counter](statestore.NewMemory(), "s")
	err := s.Update(context.Background(), "k", func(*counter, bool) error { return statestore.ErrUnchanged })
	if err != nil {
		t.Fatal(err)
	}
	if _, found, _ := s.Get(context.Background(), "k"); found {
		t.Fatal("an unchanged update wrote the key")
	}
}

func TestCreateWritesOnceAndReturnsWhatStands(t *testing.T) {
	t.Parallel()
	s := statestore.New[counter](statestore.NewMemory(), "s")
	ctx := context.Background()
	first, created, err := s.Create(ctx, "k", counter{N: 1})
	if err != nil || !created || first.N != 1 {
		t.Fatalf("first create: %+v %v %v", first, created, err)
	}
	second, created, err := s.Create(ctx, "k", counter{N: 2})
	if err != nil || created || second.N != 1 {
		t.Fatalf("second create: %+v created=%v err=%v, want the first value back", second, created, err)
	}
}

type flag struct {
	On bool `json:"on"`
}

// A replica that wrote a key last keeps a copy of it; another replica may
// have written since. A decision to write nothing, or to refuse, must not
// rest on that copy.
func TestADecisionToDoNothingIsTakenOnWhatTheStoreHolds(t *testing.T) {
	t.Parallel()
	refused := errors.New("refused: already on")
	cases := []struct {
		name string
		// fn turns the flag on, and finds nothing to do, or refuses, when
		// it is on already.
		fn func(f *flag, _ bool) error
	}{
		{"nothing to do", func(f *flag, _ bool) error {
			if f.On {
				return statestore.ErrUnchanged
			}
			f.On = true
			return nil
		}},
		{"a refusal", func(f *flag, _ bool) error {
			if f.On {
				return refused
			}
			f.On = true
			return nil
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			backend := statestore.NewMemory()
			a, b := statestore.New[flag](backend, "s"), statestore.New[flag](backend, "s")
			ctx := context.Background()
			set := func(s *statestore.Store[flag], on bool) {
				t.Helper()
				if err := s.Update(ctx, "k", func(f *flag, _ bool) error { f.On = on; return nil }); err != nil {
					t.Fatal(err)
				}
			}
			set(a, true)  // a remembers the flag on
			set(b, false) // b turns it off behind a's back
			if err := a.Update(ctx, "k", tc.fn); err != nil {
				t.Fatalf("decided on a stale copy: %v", err)
			}
			if got, _, _ := b.Get(ctx, "k"); !got.On {
				t.Fatal("the flag stayed off: the update trusted a stale copy and wrote nothing")
			}
		})
	}
}

func TestGetManyReturnsTheKeysFound(t *testing.T) {
	t.Parallel()
	s := statestore.New[counter](statestore.NewMemory(), "s")
	ctx := context.Background()
	for _, k := range []string{"a", "c"} {
		if _, _, err := s.Create(ctx, k, counter{N: len(k)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.GetMany(ctx, []string{"a", "b", "c"})
	if err != nil || len(got) != 2 || got["a"].N != 1 || got["c"].N != 1 {
		t.Fatalf("got %v err=%v, want a and c", got, err)
	}
}
