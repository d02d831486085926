package statestore

import (
	"bytes"
	"container/list"
	"strconv"
	"sync"
)

// known remembers, for the keys this process wrote last, the value it wrote
// and the ETag it expects the store to hold for it, so that the next update
// of the key can skip its read.
//
// An ETag is opaque to the contract (contract.go): a store's ETags may be
// version counters (state.redis: a write over version N leaves N+1, an
// insert 1) or anything else (state.postgresql v2: a random UUID per
// write). known never assumes which. It expects counters, and predicts
// nothing until the store has shown it right: on the reads this process
// makes anyway, a key still holding the very bytes this process wrote
// must hold the ETag expected for it. After trustAfter such reads, and as
// long as no read shows otherwise, the expected ETag saves the read
// before the next write; distrustAfter reads that show otherwise turn
// predictions off for good, as do missesBeforeOff refused predictions in
// a row. A store whose ETags are not numbers is never predicted at all.
//
// Even a trusted prediction decides nothing: it is sent with the write,
// which the store refuses if anyone wrote the key since, and a refusal
// forgets the key so that the next attempt reads it.
type known struct {
	mu      sync.Mutex
	max     int
	order   *list.List // front: most recently used
	entries map[string]*list.Element
	trust   trust
	seen    int // reads that bore a prediction out
	wrong   int // reads that showed one wrong
	misses  int // predictions refused in a row
}

// trust is whether predictions are used.
type trust int

const (
	trial   trust = iota // watching reads, predicting nothing
	trusted              // predicting
	off                  // never again
)

type knownEntry struct {
	key  string
	data []byte
	etag string
}

const (
	// trustAfter is how many reads must bear predictions out before any
	// is used.
	trustAfter = 8
	// distrustAfter is how many reads showing a prediction wrong turn
	// predictions off. One could be a key that expired and was written
	// again; three are a store whose ETags do not count.
	distrustAfter = 3
	// missesBeforeOff is how many refused predictions in a row turn them
	// off: each costs a write, and something keeps beating this process
	// to its keys.
	missesBeforeOff = 50
)

func newKnown(max int) *known {
	return &known{max: max, order: list.New(), entries: map[string]*list.Element{}}
}

// get returns the value last written at key and its predicted ETag, when
// predictions are trusted.
func (k *known) get(key string) (data []byte, etag string, ok bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.trust != trusted {
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
	if !ok {
		k.turnOff()
	}
	if k.trust == off {
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

// read weighs what a read of key found, data under etag, against the
// prediction for key: when the key holds what this process wrote, its
// ETag is the one predicted, or predictions are wrong for this store. A
// key another writer changed since tells nothing.
func (k *known) read(key string, data []byte, etag string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.trust == off {
		return
	}
	el, ok := k.entries[key]
	if !ok {
		return
	}
	e := el.Value.(*knownEntry)
	if !bytes.Equal(e.data, data) {
		return
	}
	if e.etag != etag {
		k.wrong++
		k.order.Remove(el)
		delete(k.entries, key)
		if k.wrong >= distrustAfter {
			k.turnOff()
		}
		return
	}
	k.seen++
	if k.trust == trial && k.seen >= trustAfter {
		k.trust = trusted
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
		k.turnOff()
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

// predicting reports whether predictions are in use.
func (k *known) predicting() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.trust == trusted
}

// turnOff stops predictions for good and forgets every key. The caller
// holds mu.
func (k *known) turnOff() {
	k.trust = off
	k.entries = map[string]*list.Element{}
	k.order.Init()
}

// nextVersion is the ETag expected after a write over etag, on a store
// whose ETags count versions; false when etag is not such a count.
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
