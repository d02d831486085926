package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
	"unicode"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/order-svc/internal/domain/order"
	"github.com/example/order-saga/platform/faults"
)

// ErrKeyReused is returned when an idempotency key comes back with a
// different request.
var ErrKeyReused = &contracts.Error{Kind: contracts.KindInvalid, Type: "idempotency-key-reused",
	Detail: "this Idempotency-Key was used with a different request"}

// errInvalidKey refuses an idempotency key that is not 1 to 255 printable
// ASCII characters.
var errInvalidKey = contracts.Invalid(contracts.FieldError{Field: "Idempotency-Key",
	Detail: "must be 1 to 255 printable ASCII characters"})

// PlaceOrder is a customer's request for a new order.
type PlaceOrder struct {
	CustomerID     string
	Items          []order.Item
	IdempotencyKey string
}

// PlaceOrderHandler accepts orders. It publishes OrderCreated first and
// stores the order second: once the caller has its 202 the event is out,
// and if the process dies before the store, the order is stored from
// stock-svc's answer, which tells what it is for (see RecordStepHandler).
// Nothing accepted is ever lost.
//
// Before the event is out, the order's deadline is stored (Deadlines): an
// order that has not ended by then is canceled, whatever died meanwhile.
type PlaceOrderHandler struct {
	Tracker
	Claims    Claims
	Events    Events
	Deadlines Deadlines
	// Deadline is how long an order may take before it is canceled.
	Deadline time.Duration
	Now      func() time.Time
}

// Handle places the order, or returns the one placed before under the same
// idempotency key; replayed tells which. An order that breaks the rules of
// the contracts, or a malformed key, is refused before anything is
// claimed, published or stored.
func (h PlaceOrderHandler) Handle(ctx context.Context, cmd PlaceOrder) (o order.Order, replayed bool, err error) {
	if !validKey(cmd.IdempotencyKey) {
		return o, false, errInvalidKey
	}
	items := contractItems(cmd.Items)
	if err := contracts.ValidateOrder(cmd.CustomerID, items); err != nil {
		return o, false, err
	}
	hash := requestHash(cmd.CustomerID, items)
	id := newID()
	if cmd.IdempotencyKey != "" {
		// The claim keeps the id it was first given, so a retry after a
		// crash at any point publishes the very same event. The id is
		// random: nobody can tell it, or take it, before the order exists.
		held, err := h.Claims.Claim(ctx, cmd.CustomerID, cmd.IdempotencyKey, Claim{RequestHash: hash, OrderID: id})
		if err != nil {
			return o, false, err
		}
		if held.RequestHash != hash {
			return o, false, ErrKeyReused
		}
		id = held.OrderID
		existing, found, err := h.Orders.Get(ctx, id)
		if err != nil {
			return o, false, err
		}
		if found && existing.Placed {
			return existing, true, nil
		}
	}

	now := h.Now().UTC()
	o.Place(id, cmd.CustomerID, cmd.Items, now)
	o.Deadline = now.Add(h.Deadline)
	if err := h.Deadlines.Add(ctx, id, o.Deadline, 0); err != nil {
		return o, false, err
	}
	if err := h.Events.OrderCreated(ctx, o); err != nil {
		return o, false, err
	}
	h.Redrive.track(id, now)
	faults.Crash(h.Log, contracts.FaultOrderBeforePersist)
	stored, err := h.store(ctx, o)
	if err != nil {
		// The event is out, and stock-svc's answer stores the order.
		h.Log.WarnContext(ctx, "order published but not stored yet", "orderId", id, "error", err)
		stored = o
	}
	h.Log.InfoContext(ctx, "order placed", "orderId", id, "customerId", cmd.CustomerID, "items", len(cmd.Items))
	return stored, false, nil
}

// store writes a new order. When something is stored under its id already
// (its own event, or a later step, got there first), it places the order
// into what is stored.
func (h PlaceOrderHandler) store(ctx context.Context, o order.Order) (order.Order, error) {
	created, err := h.Orders.Create(ctx, o)
	if err != nil {
		return o, err
	}
	if created {
		h.Metrics.OrderCreated()
		return o, nil
	}
	return h.apply(ctx, o.ID, func(cur *order.Order) bool {
		placed := cur.Place(o.ID, o.CustomerID, o.Items, o.CreatedAt)
		if placed && cur.Deadline.IsZero() {
			cur.Deadline = o.Deadline
		}
		return placed
	})
}

// validKey accepts an absent key or 1 to 255 printable ASCII characters.
func validKey(k string) bool {
	if len(k) > 255 {
		return false
	}
	for _, c := range k {
		if c > unicode.MaxASCII || !unicode.IsPrint(c) {
			return false
		}
	}
	return true
}

// contractItems are the items of an order as the contracts name them.
func contractItems(items []order.Item) []contracts.Item {
	out := make([]contracts.Item, len(items))
	for i, it := range items {
		out[i] = contracts.Item(it)
	}
	return out
}

// requestHash identifies what was asked, to tell a retry from a reuse. Its
// input must not change, or the keys claimed before would refuse their
// own retries.
func requestHash(customerID string, items []contracts.Item) string {
	b, _ := json.Marshal(struct {
		C string           `json:"c"`
		I []contracts.Item `json:"i"`
	}{customerID, items})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return formatUUID(b[:])
}

// formatUUID formats 16 bytes as a version 4 style UUID.
func formatUUID(b []byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
