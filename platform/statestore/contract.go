package statestore

// What Store asks of a Dapr state store, and all it asks: any component
// that keeps these rules can hold the saga's state, whatever its ETags
// look like. storetest.Conformance checks each rule against a running
// store; `make test` runs it on the in-process Memory, on state.redis and
// on state.postgresql (v2).
//
//  1. A key never written reads as absent: an empty value, no error, in a
//     single read and in a bulk read alike.
//  2. A write with no ETag under first-write concurrency creates the key,
//     and is refused when the key exists: of two creators, one wins.
//  3. A read returns the value written last, as the same JSON, with a
//     non-empty ETag.
//  4. A write that carries the ETag of the last read is taken; a write
//     that carries any other ETag, one read before another writer's
//     write, is refused and changes nothing. Of concurrent writers that
//     read the same ETag, exactly one is taken.
//  5. Every write leaves an ETag that differs from the one it replaced.
//  6. A bulk read returns each key asked for at most once, with the value
//     and ETag a single read would give.
//  7. A value written with ttlInSeconds reads as absent once that time
//     has passed, and can then be created again.
//
// Nothing more is assumed. In particular an ETag is opaque: nothing
// decides on its form (known only predicts ETags on a store whose reads
// have borne the predictions out). A write that carries an ETag for a key
// that does not exist may be taken (state.redis) or refused
// (state.postgresql): the store never writes with an ETag it did not
// read, and keeps deleted aggregates as tombstones rather than deleting
// their keys. No write spans two keys: a multi-key transaction is not
// atomic on every store (state.redis).
