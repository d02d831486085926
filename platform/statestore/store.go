// Package statestore keeps JSON aggregates in a Dapr state store, one key
// per aggregate, with optimistic concurrency on every write.
//
// Updates to the same key from one process are batched: while a write for a
// key is in flight, the next updates queue, and then one read and one write
// apply them all (group commit). Writes from other replicas are caught by
// the ETag check and retried. On a store whose ETags have been seen to
// count versions, a key this process wrote last is updated without a
// read, over the ETag its write should have left (see known). That copy
// only ever saves the read before a write, whose ETag check catches a
// stale copy: a batch that would write nothing, or that refuses a change,
// is run again on a value read from the store, so that no decision to do
// nothing rests on a copy nobody checked.
//
// What the store asks of a Dapr state store is written in contract.go.
package statestore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	dapr "github.com/dapr/go-sdk/client"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/example/order-saga/contracts"
)

// ErrUnchanged is returned by a mutation that leaves the value as it was:
// the batch is not written for it, and Update returns no error.
var ErrUnchanged = errors.New("unchanged")

// Backend is the part of the Dapr client the store needs.
type Backend interface {
	GetState(ctx context.Context, storeName, key string, meta map[string]string) (*dapr.StateItem, error)
	GetBulkState(ctx context.Context, storeName string, keys []string, meta map[string]string, parallelism int32) ([]*dapr.BulkStateItem, error)
	SaveStateWithETag(ctx context.Context, storeName, key string, data []byte, etag string, meta map[string]string, so ...dapr.StateOption) error
}

// Store keeps values of type T under keys of one state store.
type Store[T any] struct {
	backend Backend
	name    string
	// attempts bounds how many times a batch is retried on a write conflict.
	attempts int

	mu     sync.Mutex
	queues map[string][]*mutation[T]
	known  *known
	meta   map[string]string // sent with every write
}

// Option tunes a store.
type Option func(*storeOptions)

type storeOptions struct{ ttl time.Duration }

// ExpireAfter makes every value expire ttl after its last write (Dapr's
// ttlInSeconds), for keys that only matter for a while.
func ExpireAfter(ttl time.Duration) Option {
	return func(o *storeOptions) { o.ttl = ttl }
}

type mutation[T any] struct {
	fn   func(v *T, found bool) error
	err  error
	done chan struct{}
}

// knownKeys bounds how many keys a store remembers its last write of.
const knownKeys = 1024

// New returns a store over the Dapr state store called name.
func New[T any](backend Backend, name string, opts ...Option) *Store[T] {
	var o storeOptions
	for _, opt := range opts {
		opt(&o)
	}
	s := &Store[T]{backend: backend, name: name, attempts: 100, queues: map[string][]*mutation[T]{}, known: newKnown(knownKeys)}
	if o.ttl > 0 {
		s.meta = map[string]string{"ttlInSeconds": strconv.Itoa(int(o.ttl.Seconds()))}
	}
	return s
}

// Name is the Dapr component name of the store.
func (s *Store[T]) Name() string { return s.name }

// Get reads the value at key. found is false when there is none.
func (s *Store[T]) Get(ctx context.Context, key string) (v T, found bool, err error) {
	v, _, found, err = s.read(ctx, key)
	return v, found, err
}

// Update applies fn to the value at key and writes the result, retrying on
// write conflicts. fn receives the zero value with found false when the key
// is absent. fn may run more than once, so it must only change v and
// variables it overwrites on every run. When fn returns an error it must
// leave v untouched; the error is returned (ErrUnchanged as nil).
func (s *Store[T]) Update(ctx context.Context, key string, fn func(v *T, found bool) error) error {
	m := &mutation[T]{fn: fn, done: make(chan struct{})}
	s.mu.Lock()
	queue, busy := s.queues[key]
	s.queues[key] = append(queue, m)
	s.mu.Unlock()
	if !busy {
		go s.drain(key)
	}
	select {
	case <-m.done:
		if errors.Is(m.err, ErrUnchanged) {
			return nil
		}
		return m.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Create writes v at key unless a value is there already, with one write
// and no read in the usual case. It returns the value that stands, and
// whether it is v.
func (s *Store[T]) Create(ctx context.Context, key string, v T) (stored T, created bool, err error) {
	data, err := json.Marshal(v)
	if err != nil {
		return stored, false, fmt.Errorf("encode %s: %w", key, err)
	}
	// First-write with no ETag fails when the key exists.
	saveErr := s.backend.SaveStateWithETag(ctx, s.name, key, data, "", s.meta, dapr.WithConcurrency(dapr.StateConcurrencyFirstWrite))
	if saveErr == nil {
		s.known.wrote(key, data, "")
		return v, true, nil
	}
	stored, found, err := s.Get(ctx, key)
	if err != nil {
		return stored, false, err
	}
	if !found {
		return stored, false, unavailable(fmt.Errorf("create %s in %s: %w", key, s.name, saveErr))
	}
	return stored, false, nil
}

// GetMany reads the values at keys in one call, and returns those found,
// by key.
func (s *Store[T]) GetMany(ctx context.Context, keys []string) (map[string]T, error) {
	out := make(map[string]T, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	items, err := s.backend.GetBulkState(ctx, s.name, keys, nil, bulkParallelism)
	if err != nil {
		return nil, unavailable(fmt.Errorf("get %d keys from %s: %w", len(keys), s.name, err))
	}
	for _, item := range items {
		if item.Error != "" {
			return nil, unavailable(fmt.Errorf("get %s from %s: %s", item.Key, s.name, item.Error))
		}
		if len(item.Value) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(item.Value, &v); err != nil {
			return nil, fmt.Errorf("decode %s from %s: %w", item.Key, s.name, err)
		}
		out[item.Key] = v
	}
	return out, nil
}

// GetByIDs reads, in one call, the values of the aggregates named by ids,
// each kept at keyOf(id), and returns those found, by id, converted by
// convert from their stored form.
func GetByIDs[T, V any](ctx context.Context, s *Store[T], ids []string, keyOf func(string) string, convert func(T) V) (map[string]V, error) {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = keyOf(id)
	}
	found, err := s.GetMany(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := make(map[string]V, len(found))
	for i, key := range keys {
		if v, ok := found[key]; ok {
			out[ids[i]] = convert(v)
		}
	}
	return out, nil
}

// bulkParallelism is how many keys the sidecar reads at once for GetMany,
// on stores that have no bulk read of their own.
const bulkParallelism = 16

// drain commits the queued mutations of key, batch by batch, until none is
// left. There is at most one drain per key at a time.
func (s *Store[T]) drain(key string) {
	for {
		s.mu.Lock()
		batch := s.queues[key]
		if len(batch) == 0 {
			delete(s.queues, key)
			s.mu.Unlock()
			return
		}
		s.queues[key] = batch[:0:0]
		s.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := s.commit(ctx, key, batch)
		cancel()
		for _, m := range batch {
			if err != nil {
				m.err = err
			}
			close(m.done)
		}
	}
}

func (s *Store[T]) commit(ctx context.Context, key string, batch []*mutation[T]) error {
	var lastErr error
	for attempt := 0; attempt < s.attempts; attempt++ {
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return err
			}
		}
		v, etag, found, predicted, err := s.current(ctx, key)
		if err != nil {
			// The store is unreachable: fail now and let the caller (or
			// Dapr's redelivery) retry, rather than hold the batch.
			return err
		}
		changed, all := apply(batch, &v, found)
		if predicted && !all {
			// Something was refused or left unchanged on the remembered
			// copy: decide that again on what the store holds.
			s.known.forget(key)
			if v, etag, found, err = s.read(ctx, key); err != nil {
				return err
			}
			predicted = false
			changed, _ = apply(batch, &v, found)
		}
		if !changed {
			return nil
		}
		data, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode %s: %w", key, err)
		}
		// First-write with the ETag read: the write fails if anyone wrote
		// the key since, and an insert (no ETag) fails if anyone created it.
		err = s.backend.SaveStateWithETag(ctx, s.name, key, data, etag, s.meta, dapr.WithConcurrency(dapr.StateConcurrencyFirstWrite))
		if err == nil {
			if predicted {
				s.known.hit()
			}
			s.known.wrote(key, data, etag)
			return nil
		}
		if predicted && status.Code(err) == codes.Aborted {
			s.known.miss(key)
		} else {
			s.known.forget(key)
		}
		lastErr = err
	}
	return unavailable(fmt.Errorf("update %s in %s: %w", key, s.name, lastErr))
}

// unavailable marks a failure of the store, which a retry may not meet.
func unavailable(err error) error {
	return contracts.Unavailable("the state store could not be read or written; try again", err)
}

// apply runs the batch on v in turn, and tells whether any mutation
// changed it and whether all of them did.
func apply[T any](batch []*mutation[T], v *T, found bool) (changed, all bool) {
	all = true
	for _, m := range batch {
		m.err = m.fn(v, found)
		if m.err == nil {
			changed, found = true, true
		} else {
			all = false
		}
	}
	return changed, all
}

// current is the value to update at key: the one this process wrote last,
// with its predicted ETag, or else the one read from the store.
func (s *Store[T]) current(ctx context.Context, key string) (v T, etag string, found, predicted bool, err error) {
	if data, etag, ok := s.known.get(key); ok {
		if err := json.Unmarshal(data, &v); err == nil {
			return v, etag, true, true, nil
		}
		s.known.forget(key)
	}
	v, etag, found, err = s.read(ctx, key)
	return v, etag, found, false, err
}

func (s *Store[T]) read(ctx context.Context, key string) (v T, etag string, found bool, err error) {
	item, err := s.backend.GetState(ctx, s.name, key, nil)
	if err != nil {
		return v, "", false, unavailable(fmt.Errorf("get %s from %s: %w", key, s.name, err))
	}
	if item == nil || len(item.Value) == 0 {
		return v, "", false, nil
	}
	if err := json.Unmarshal(item.Value, &v); err != nil {
		return v, "", false, fmt.Errorf("decode %s from %s: %w", key, s.name, err)
	}
	s.known.read(key, item.Value, item.Etag)
	return v, item.Etag, true, nil
}

// backoff waits a little longer after each failed write, which is most
// often a conflict with another replica that has just finished.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(attempt*attempt) * time.Millisecond
	if d > 500*time.Millisecond {
		d = 500 * time.Millisecond
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
