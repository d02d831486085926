package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/example/order-saga/order-svc/internal/domain/order"
	"github.com/example/order-saga/platform/faults"
)

// ErrKeyReused is returned when an idempotency key comes back with a
// different request.
var ErrKeyReused = errors.New("idempotency key already used with a different request")

// InvalidOrderError lists the invalid fields of a new order.
type InvalidOrderError struct{ Fields []order.FieldError }

func (e *InvalidOrderError) Error() string { return fmt.Sprintf("invalid order: %v", e.Fields) }

// PlaceOrder is a customer's request for a new order.
type PlaceOrder struct {
	CustomerID     string
	Items          []order.Item
	IdempotencyKey string
}

// PlaceOrderHandler accepts orders. It publishes OrderCreated first and
// stores the order second: once the caller has its 202 the event is out,
// and if the process dies before the store, order-svc's own subscription
// to OrderCreated stores the order. Nothing accepted is ever lost.
type PlaceOrderHandler struct {
	Orders   Orders
	Claims   Claims
	Events   Events
	Observer Observer
	Log      *slog.Logger
	Waiters  *FinishWaiters
	Now      func() time.Time
}

// Handle places the order, or returns the one placed before under the same
// idempotency key; replayed tells which.
func (h PlaceOrderHandler) Handle(ctx context.Context, cmd PlaceOrder) (o order.Order, replayed bool, err error) {
	if errs := order.Validate(cmd.CustomerID, cmd.Items); errs != nil {
		return o, false, &InvalidOrderError{Fields: errs}
	}
	hash := requestHash(cmd)
	id := newID()
	if cmd.IdempotencyKey != "" {
		// The id follows from the key, so a retry after a crash at any
		// point publishes the very same event.
		id = idFromKey(cmd.IdempotencyKey)
		held, err := h.Claims.Claim(ctx, cmd.IdempotencyKey, hash)
		if err != nil {
			return o, false, err
		}
		if held != hash {
			return o, false, ErrKeyReused
		}
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
	if err := h.Events.OrderCreated(ctx, o); err != nil {
		return o, false, err
	}
	faults.Crash(h.Log, "order.before-persist")
	stored, err := h.store(ctx, o)
	if err != nil {
		// The event is out and our own subscription stores the order.
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
		h.Observer.OrderCreated()
		return o, nil
	}
	t := tracker{h.Orders, h.Observer, h.Log, h.Waiters}
	return t.apply(ctx, o.ID, func(cur *order.Order) bool { return cur.Place(o.ID, o.CustomerID, o.Items, o.CreatedAt) })
}

// requestHash identifies what was asked, to tell a retry from a reuse.
func requestHash(cmd PlaceOrder) string {
	b, _ := json.Marshal(struct {
		C string       `json:"c"`
		I []order.Item `json:"i"`
	}{cmd.CustomerID, cmd.Items})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

func idFromKey(key string) string {
	sum := sha256.Sum256([]byte("idempotency-key:" + key))
	return formatUUID(sum[:16])
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
