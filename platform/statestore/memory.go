package statestore

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	dapr "github.com/dapr/go-sdk/client"
)

// Memory is an in-process Backend that keeps the store's contract
// (contract.go), for unit tests of code above the store. Its ETags count
// versions, as state.redis's do; like state.postgresql it refuses a write
// that carries an ETag for a key that does not exist, the stricter of the
// two.
type Memory struct {
	mu   sync.Mutex
	data map[string]memoryItem
	// versions keeps counting across expiry, so that no ETag comes back.
	versions map[string]int
}

type memoryItem struct {
	value   []byte
	version int
	expires time.Time // zero: never
}

// NewMemory returns an empty in-process backend.
func NewMemory() *Memory {
	return &Memory{data: map[string]memoryItem{}, versions: map[string]int{}}
}

// item is the live value at k. The caller holds mu.
func (m *Memory) item(k string) (memoryItem, bool) {
	it, ok := m.data[k]
	if ok && !it.expires.IsZero() && !time.Now().Before(it.expires) {
		delete(m.data, k)
		return memoryItem{}, false
	}
	return it, ok
}

// GetState implements Backend.
func (m *Memory) GetState(_ context.Context, store, key string, _ map[string]string) (*dapr.StateItem, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.item(store + "||" + key)
	if !ok {
		return &dapr.StateItem{Key: key}, nil
	}
	return &dapr.StateItem{Key: key, Value: append([]byte(nil), it.value...), Etag: strconv.Itoa(it.version)}, nil
}

// GetBulkState implements Backend.
func (m *Memory) GetBulkState(ctx context.Context, store string, keys []string, meta map[string]string, _ int32) ([]*dapr.BulkStateItem, error) {
	items := make([]*dapr.BulkStateItem, len(keys))
	for i, key := range keys {
		it, _ := m.GetState(ctx, store, key, meta)
		items[i] = &dapr.BulkStateItem{Key: key, Value: it.Value, Etag: it.Etag}
	}
	return items, nil
}

// SaveStateWithETag implements Backend: a write with no ETag creates the
// key (first-write) and one with an ETag replaces the value of that
// version. ttlInSeconds in meta makes the value expire.
func (m *Memory) SaveStateWithETag(_ context.Context, store, key string, data []byte, etag string, meta map[string]string, _ ...dapr.StateOption) error {
	var expires time.Time
	if ttl := meta["ttlInSeconds"]; ttl != "" {
		n, err := strconv.Atoi(ttl)
		if err != nil {
			return errors.New("ttlInSeconds: not a number")
		}
		expires = time.Now().Add(time.Duration(n) * time.Second)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := store + "||" + key
	it, exists := m.item(k)
	switch {
	case exists && etag != strconv.Itoa(it.version):
		return errors.New("etag mismatch")
	case !exists && etag != "":
		return errors.New("etag mismatch: no such key")
	}
	m.versions[k]++
	m.data[k] = memoryItem{value: append([]byte(nil), data...), version: m.versions[k], expires: expires}
	return nil
}
