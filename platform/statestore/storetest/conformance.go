// Package storetest checks a Dapr state store against the contract the
// saga's store needs of it (statestore/contract.go), rule by rule.
package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dapr "github.com/dapr/go-sdk/client"

	"github.com/example/order-saga/platform/statestore"
)

// Conformance runs the contract's rules, each as a subtest, on the store
// called name behind backend: the in-process Memory, or a sidecar's
// client. Its keys start with prefix, which must be new to the store.
func Conformance(t *testing.T, backend statestore.Backend, name, prefix string) {
	c := checker{b: backend, name: name, prefix: prefix, keys: new(atomic.Int64)}
	t.Run("1. a key never written reads as absent, alone and in bulk", c.absent)
	t.Run("2. a first write creates the key, and of two creators one wins", c.creates)
	t.Run("3. a read returns the value written last, with an ETag", c.readBack)
	t.Run("4. a write over the ETag read is taken, over a stale one refused", c.etagChecked)
	t.Run("4. of concurrent writers over one ETag exactly one is taken", c.oneWriterWins)
	t.Run("5. every write leaves another ETag", c.newETag)
	t.Run("6. a bulk read gives what single reads give", c.bulk)
	t.Run("7. a value with a time to live is gone after it and can be created again", c.ttl)
	t.Run("the saga's store keeps every update of many writers", c.storeUpdates)
}

type checker struct {
	b      statestore.Backend
	name   string
	prefix string
	keys   *atomic.Int64
}

// key is a key no check used before.
func (c checker) key() string {
	return c.prefix + "-" + strconv.FormatInt(c.keys.Add(1), 10)
}

func ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// insert writes v at key with no ETag under first-write concurrency.
func (c checker) insert(key string, v string, meta map[string]string) error {
	return c.b.SaveStateWithETag(context.Background(), c.name, key, []byte(v), "", meta, dapr.WithConcurrency(dapr.StateConcurrencyFirstWrite))
}

// write writes v at key over etag.
func (c checker) write(key, v, etag string) error {
	return c.b.SaveStateWithETag(context.Background(), c.name, key, []byte(v), etag, nil, dapr.WithConcurrency(dapr.StateConcurrencyFirstWrite))
}

// read reads key, failing the test on an error.
func (c checker) read(t *testing.T, key string) (value, etag string) {
	t.Helper()
	item, err := c.b.GetState(ctx(t), c.name, key, nil)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	if item == nil {
		return "", ""
	}
	return string(item.Value), item.Etag
}

// mustHold fails unless key holds the JSON of want, and returns its ETag.
func (c checker) mustHold(t *testing.T, key, want string) string {
	t.Helper()
	got, etag := c.read(t, key)
	if !sameJSON(got, want) {
		t.Fatalf("%s holds %q, want %s", key, got, want)
	}
	if etag == "" {
		t.Fatalf("%s holds %s with no ETag", key, got)
	}
	return etag
}

func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

func (c checker) absent(t *testing.T) {
	key := c.key()
	if v, etag := c.read(t, key); v != "" || etag != "" {
		t.Fatalf("a key never written reads as %q with ETag %q", v, etag)
	}
	items, err := c.b.GetBulkState(ctx(t), c.name, []string{key, key + "-2"}, nil, 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if len(it.Value) != 0 || it.Error != "" {
			t.Fatalf("bulk read of %s: %q, error %q", it.Key, it.Value, it.Error)
		}
	}
}

func (c checker) creates(t *testing.T) {
	key := c.key()
	if err := c.insert(key, `{"n":1}`, nil); err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := c.insert(key, `{"n":2}`, nil); err == nil {
		t.Fatal("a second create of the key was taken")
	}
	c.mustHold(t, key, `{"n":1}`)

	raced := c.key() + "-raced"
	taken := race(8, func(i int) error { return c.insert(raced, fmt.Sprintf(`{"n":%d}`, i), nil) })
	if len(taken) != 1 {
		t.Fatalf("%d of 8 concurrent creates were taken, want 1", len(taken))
	}
	c.mustHold(t, raced, fmt.Sprintf(`{"n":%d}`, taken[0]))
}

func (c checker) readBack(t *testing.T) {
	key := c.key()
	value := `{"id":"a","items":[{"productId":"p","quantity":2}],"totalCents":1250,"note":"é \u2028 <&>"}`
	if err := c.insert(key, value, nil); err != nil {
		t.Fatal(err)
	}
	etag := c.mustHold(t, key, value)
	if err := c.write(key, `{"n":3}`, etag); err != nil {
		t.Fatal(err)
	}
	c.mustHold(t, key, `{"n":3}`)
}

func (c checker) etagChecked(t *testing.T) {
	key := c.key()
	if err := c.insert(key, `{"n":1}`, nil); err != nil {
		t.Fatal(err)
	}
	first := c.mustHold(t, key, `{"n":1}`)
	if err := c.write(key, `{"n":2}`, first); err != nil {
		t.Fatalf("a write over the ETag read was refused: %v", err)
	}
	// Another writer came in after the read of first: its ETag is stale.
	if err := c.write(key, `{"n":99}`, first); err == nil {
		t.Fatal("a write over a stale ETag was taken")
	}
	second := c.mustHold(t, key, `{"n":2}`)
	if err := c.write(key, `{"n":99}`, second+"x"); err == nil {
		t.Fatal("a write over an ETag the store never gave was taken")
	}
	c.mustHold(t, key, `{"n":2}`)
}

func (c checker) oneWriterWins(t *testing.T) {
	key := c.key()
	if err := c.insert(key, `{"n":0}`, nil); err != nil {
		t.Fatal(err)
	}
	etag := c.mustHold(t, key, `{"n":0}`)
	taken := race(8, func(i int) error { return c.write(key, fmt.Sprintf(`{"n":%d}`, i+1), etag) })
	if len(taken) != 1 {
		t.Fatalf("%d of 8 writers over the same ETag were taken, want 1", len(taken))
	}
	c.mustHold(t, key, fmt.Sprintf(`{"n":%d}`, taken[0]+1))
}

func (c checker) newETag(t *testing.T) {
	key := c.key()
	if err := c.insert(key, `{"n":0}`, nil); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	etag := c.mustHold(t, key, `{"n":0}`)
	for i := 1; i <= 5; i++ {
		seen[etag] = true
		// The same value again: the ETag must change all the same.
		if err := c.write(key, `{"n":0}`, etag); err != nil {
			t.Fatal(err)
		}
		if etag = c.mustHold(t, key, `{"n":0}`); seen[etag] {
			t.Fatalf("write %d left the ETag %q seen before", i, etag)
		}
	}
}

func (c checker) bulk(t *testing.T) {
	base := c.key()
	var keys []string
	for i := range 40 {
		keys = append(keys, fmt.Sprintf("%s-%02d", base, i))
		if i%2 == 0 {
			if err := c.insert(keys[i], fmt.Sprintf(`{"n":%d}`, i), nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	asked := append(slices.Clone(keys), base+"-missing")
	items, err := c.b.GetBulkState(ctx(t), c.name, asked, nil, 8)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*dapr.BulkStateItem{}
	for _, it := range items {
		if got[it.Key] != nil {
			t.Fatalf("%s came twice", it.Key)
		}
		if it.Error != "" {
			t.Fatalf("%s: %s", it.Key, it.Error)
		}
		got[it.Key] = it
	}
	for i, key := range keys {
		value, etag := c.read(t, key)
		it := got[key]
		if i%2 == 1 || it == nil {
			if it != nil && len(it.Value) != 0 {
				t.Fatalf("the absent %s reads in bulk as %q", key, it.Value)
			}
			continue
		}
		if !sameJSON(string(it.Value), value) || it.Etag != etag {
			t.Fatalf("%s in bulk: %q %q, alone: %q %q", key, it.Value, it.Etag, value, etag)
		}
	}
	for i := 0; i < len(keys); i += 2 {
		if got[keys[i]] == nil {
			t.Fatalf("the bulk read left out %s", keys[i])
		}
	}
}

func (c checker) ttl(t *testing.T) {
	key := c.key()
	ttl := map[string]string{"ttlInSeconds": "1"}
	if err := c.insert(key, `{"n":1}`, ttl); err != nil {
		t.Fatal(err)
	}
	c.mustHold(t, key, `{"n":1}`)
	deadline := time.Now().Add(15 * time.Second)
	for {
		if v, _ := c.read(t, key); v == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the value was still there 15 s after its time to live of 1 s")
		}
		<-time.After(100 * time.Millisecond)
	}
	if err := c.insert(key, `{"n":2}`, nil); err != nil {
		t.Fatalf("the key could not be created again after it expired: %v", err)
	}
	c.mustHold(t, key, `{"n":2}`)
}

// storeUpdates runs the saga's own store over the backend: two stores
// (two replicas) add to one counter concurrently, and none of the adds
// is lost.
func (c checker) storeUpdates(t *testing.T) {
	type counter struct {
		N int `json:"n"`
	}
	key := c.key()
	replicas := []*statestore.Store[counter]{statestore.New[counter](c.b, c.name), statestore.New[counter](c.b, c.name)}
	const adds = 200
	var wg sync.WaitGroup
	errs := make(chan error, adds)
	for i := range adds {
		wg.Go(func() {
			errs <- replicas[i%2].Update(ctx(t), key, func(v *counter, _ bool) error { v.N++; return nil })
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, found, err := replicas[0].Get(ctx(t), key)
	if err != nil || !found || got.N != adds {
		t.Fatalf("after %d adds: %+v found=%v err=%v", adds, got, found, err)
	}
}

// race runs n calls of fn at once, and returns the indexes of those that
// succeeded.
func race(n int, fn func(i int) error) []int {
	var (
		mu    sync.Mutex
		taken []int
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for i := range n {
		wg.Go(func() {
			<-start
			if fn(i) == nil {
				mu.Lock()
				taken = append(taken, i)
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	return taken
}
