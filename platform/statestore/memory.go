package statestore

import (
	"context"
	"errors"
	"strconv"
	"sync"

	dapr "github.com/dapr/go-sdk/client"
)

// Memory is an in-process Backend with the same ETag rules as state.redis,
// for unit tests of code above the store.
type Memory struct {
	mu   sync.Mutex
	data map[string]memoryItem
}

type memoryItem struct {
	value   []byte
	version int
}

// NewMemory returns an empty in-process backend.
func NewMemory() *Memory { return &Memory{data: map[string]memoryItem{}} }

// GetState implements Backend.
func (m *Memory) GetState(_ context.Context, store, key string, _ map[string]string) (*dapr.StateItem, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.data[store+"||"+key]
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

// SaveStateWithETag implements Backend.
func (m *Memory) SaveStateWithETag(_ context.Context, store, key string, data []byte, etag string, _ map[string]string, _ ...dapr.StateOption) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := store + "||" + key
	it, exists := m.data[k]
	if exists && etag != strconv.Itoa(it.version) {
		return errors.New("etag mismatch")
	}
	m.data[k] = memoryItem{value: append([]byte(nil), data...), version: it.version + 1}
	return nil
}
