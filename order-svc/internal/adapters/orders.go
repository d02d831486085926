// Package adapters connects order-svc's use cases to Dapr.
package adapters

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/order-svc/internal/domain/order"
	"github.com/example/order-saga/platform/pubsub"
	"github.com/example/order-saga/platform/statestore"
)

// OrderRepository keeps each order under its own key.
type OrderRepository struct {
	Store *statestore.Store[order.Order]
}

func orderKey(id string) string { return "order-" + id }

// Get implements app.Orders.
func (r OrderRepository) Get(ctx context.Context, id string) (order.Order, bool, error) {
	return r.Store.Get(ctx, orderKey(id))
}

// Update implements app.Orders.
func (r OrderRepository) Update(ctx context.Context, id string, fn func(o *order.Order) bool) error {
	return r.Store.Update(ctx, orderKey(id), func(o *order.Order, _ bool) error {
		if !fn(o) {
			return statestore.ErrUnchanged
		}
		return nil
	})
}

// Create implements app.Orders, with one write in the usual case.
func (r OrderRepository) Create(ctx context.Context, o order.Order) (bool, error) {
	_, created, err := r.Store.Create(ctx, orderKey(o.ID), o)
	return created, err
}

// claim is what an idempotency key holds.
type claim struct {
	RequestHash string    `json:"requestHash"`
	At          time.Time `json:"at"`
}

// ClaimRepository keeps idempotency keys, hashed so that any key fits.
type ClaimRepository struct {
	Store *statestore.Store[claim]
}

// ClaimTTL is how long an idempotency key is remembered, as payment APIs
// commonly do: a retry within it gets the same order back; after it, the
// key may be used afresh.
const ClaimTTL = 24 * time.Hour

// NewClaimRepository returns the claims kept in the state store called name.
func NewClaimRepository(backend statestore.Backend, name string) ClaimRepository {
	return ClaimRepository{Store: statestore.New[claim](backend, name, statestore.ExpireAfter(ClaimTTL))}
}

// Claim implements app.Claims.
func (r ClaimRepository) Claim(ctx context.Context, key, requestHash string) (string, error) {
	sum := sha256.Sum256([]byte(key))
	var held string
	err := r.Store.Update(ctx, "idempotency-"+hex.EncodeToString(sum[:]), func(c *claim, found bool) error {
		if found {
			held = c.RequestHash
			return statestore.ErrUnchanged
		}
		*c = claim{RequestHash: requestHash, At: time.Now().UTC()}
		held = requestHash
		return nil
	})
	return held, err
}

// EventPublisher publishes order-svc's events.
type EventPublisher struct {
	Publisher *pubsub.Publisher
}

// OrderCreated implements app.Events.
func (p EventPublisher) OrderCreated(ctx context.Context, o order.Order) error {
	h := contracts.NewHeader(contracts.TypeOrderCreated, o.ID, o.CreatedAt)
	items := make([]contracts.Item, len(o.Items))
	for i, it := range o.Items {
		items[i] = contracts.Item{ProductID: it.ProductID, Quantity: it.Quantity}
	}
	return p.Publisher.Publish(ctx, h, contracts.OrderCreated{Header: h, CustomerID: o.CustomerID, Items: items})
}
