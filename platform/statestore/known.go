package statestore

import (
	"container/list"
	"strconv"
	"sync"
)

// known remembers, for the keys this process wrote last, the value it wrote
// and the ETag the store will hold for it, so that the next update of the
// key can skip its read.
//
// state.redis (and the in-process Memory backend) count versions: a write
// of version N leaves version N+1, and an insert leaves 1. The ETag after a
// write is thus predicted, never trusted: every write still carries it and
// is refused if another writer came in between, and a refusal forgets the
// key so the next attempt reads it. A store whose ETags are not such
// counters never gets a prediction; one whose predictions keep failing
// stops being predicted.
type known struct {
	mu      sync.Mutex
	max     int
	order   *list.List // front: most recently used
	entries map[string]*list.Element
	misses  int // predictions refused in a row
	off     bool
}

type knownEntry struct {
	key  string
	data []byte
	etag string
}

// missesBeforeOff is how many refused predictions in a row turn them off.
const missesBeforeOff = 50

func newKnown(max int) *known {
	return &known{max: max, order: list.New(), entries: map[string]*list.Element{}}
}

// get returns the value last written at key and its predicted ETag.
func (k *known) get(key string) (data []byte, etag string, ok bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.off {
		return nil, "", false
	}
	el, ok := k.entries[key]
	if !ok {
		return nil, "", false
	}
	k.order.MoveToFront(el)
	e := el.Value.(*knownEntry)
	return e.data, e.etag, true
}

// wrote records a successful write of data at key over etag ("" for an
// insert).
func (k *known) wrote(key string, data []byte, etag string) {
	next, ok := nextVersion(etag)
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.off || !ok {
		return
	}
	if el, ok := k.entries[key]; ok {
		e := el.Value.(*knownEntry)
		e.data, e.etag = data, next
		k.order.MoveToFront(el)
		return
	}
	k.entries[key] = k.order.PushFront(&knownEntry{key: key, data: data, etag: next})
	if k.order.Len() > k.max {
		oldest := k.order.Back()
		k.order.Remove(oldest)
		delete(k.entries, oldest.Value.(*knownEntry).key)
	}
}

// hit tells that a write over a predicted ETag went through.
func (k *known) hit() {
	k.mu.Lock()
	k.misses = 0
	k.mu.Unlock()
}

// miss forgets key after a write over its predicted ETag was refused.
func (k *known) miss(key string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if el, ok := k.entries[key]; ok {
		k.order.Remove(el)
		delete(k.entries, key)
	}
	k.misses++
	if k.misses >= missesBeforeOff {
		k.off = true
		k.entries = map[string]*list.Element{}
		k.order.Init()
	}
}

// forget drops key, whose write failed for another reason.
func (k *known) forget(key string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if el, ok := k.entries[key]; ok {
		k.order.Remove(el)
		delete(k.entries, key)
	}
}

// nextVersion predicts the ETag after a write over etag, when ETags are
// version counters.
func nextVersion(etag string) (string, bool) {
	if etag == "" {
		return "1", true
	}
	n, err := strconv.ParseUint(etag, 10, 64)
	if err != nil {
		return "", false
	}
	return strconv.FormatUint(n+1, 10), true
}
