// Package adapters connects order-svc's use cases to Dapr: the repositories
// over the state store, the event publisher and the metrics.
package adapters

import (
	"context"
	"time"

	"github.com/example/order-saga/order-svc/internal/domain/order"
	"github.com/example/order-saga/platform/statestore"
)

// orderRecord is an order as it is stored. Its JSON names are the ones
// orders have always been stored with: renaming one would make the stored
// orders unreadable.
type orderRecord struct {
	ID         string             `json:"id"`
	CustomerID string             `json:"customerId"`
	Items      []itemRecord       `json:"items"`
	Status     order.Status       `json:"status"`
	Reason     string             `json:"reason,omitempty"`
	TotalCents int64              `json:"totalCents"`
	Deadline   time.Time          `json:"deadline,omitzero"`
	Refunded   int64              `json:"refundedCents,omitempty"`
	CreatedAt  time.Time          `json:"createdAt"`
	UpdatedAt  time.Time          `json:"updatedAt"`
	History    []transitionRecord `json:"history"`
	Placed     bool               `json:"placed"`
	Steps      stepsRecord        `json:"steps"`
}

// The records of an order's parts have the fields of the domain types, so
// each converts to and from its domain type as it is, and a field added
// to one and not the other fails to compile.
type (
	itemRecord struct {
		ProductID string `json:"productId"`
		Quantity  int    `json:"quantity"`
	}
	transitionRecord struct {
		Status order.Status `json:"status"`
		At     time.Time    `json:"at"`
		Reason string       `json:"reason,omitempty"`
	}
	stepsRecord struct {
		StockReserved    bool   `json:"stockReserved,omitempty"`
		StockFailed      bool   `json:"stockFailed,omitempty"`
		PaymentCompleted bool   `json:"paymentCompleted,omitempty"`
		PaymentFailed    bool   `json:"paymentFailed,omitempty"`
		StockReleased    bool   `json:"stockReleased,omitempty"`
		Expired          bool   `json:"expired,omitempty"`
		PaymentRefunded  bool   `json:"paymentRefunded,omitempty"`
		Failure          string `json:"failure,omitempty"`
	}
)

func recordOf(o order.Order) orderRecord {
	return orderRecord{
		ID: o.ID, CustomerID: o.CustomerID, Status: o.Status, Reason: o.Reason, TotalCents: o.TotalCents,
		Deadline: o.Deadline, Refunded: o.RefundedCents, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, Placed: o.Placed, Steps: stepsRecord(o.Steps),
		Items:   convert(o.Items, func(it order.Item) itemRecord { return itemRecord(it) }),
		History: convert(o.History, func(t order.Transition) transitionRecord { return transitionRecord(t) }),
	}
}

func (r orderRecord) order() order.Order {
	return order.Order{
		ID: r.ID, CustomerID: r.CustomerID, Status: r.Status, Reason: r.Reason, TotalCents: r.TotalCents,
		Deadline: r.Deadline, RefundedCents: r.Refunded, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Placed: r.Placed, Steps: order.Steps(r.Steps),
		Items:   convert(r.Items, func(it itemRecord) order.Item { return order.Item(it) }),
		History: convert(r.History, func(t transitionRecord) order.Transition { return order.Transition(t) }),
	}
}

// convert maps each element of in with f; nil stays nil.
func convert[A, B any](in []A, f func(A) B) []B {
	if in == nil {
		return nil
	}
	out := make([]B, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// OrderRepository keeps each order under its own key.
type OrderRepository struct {
	Store *statestore.Store[orderRecord]
}

// NewOrderRepository returns the orders kept in the state store called
// name.
func NewOrderRepository(backend statestore.Backend, name string) OrderRepository {
	return OrderRepository{Store: statestore.New[orderRecord](backend, name)}
}

func orderKey(id string) string { return "order-" + id }

// Get implements app.Orders.
func (r OrderRepository) Get(ctx context.Context, id string) (order.Order, bool, error) {
	rec, found, err := r.Store.Get(ctx, orderKey(id))
	return rec.order(), found, err
}

// Update implements app.Orders.
func (r OrderRepository) Update(ctx context.Context, id string, fn func(o *order.Order) (bool, error)) error {
	return r.Store.Update(ctx, orderKey(id), func(rec *orderRecord, _ bool) error {
		o := rec.order()
		changed, err := fn(&o)
		if err != nil {
			return err
		}
		if !changed {
			return statestore.ErrUnchanged
		}
		*rec = recordOf(o)
		return nil
	})
}

// GetMany implements app.Orders.
func (r OrderRepository) GetMany(ctx context.Context, ids []string) (map[string]order.Order, error) {
	return statestore.GetByIDs(ctx, r.Store, ids, orderKey, orderRecord.order)
}

// Create implements app.Orders, with one write in the usual case.
func (r OrderRepository) Create(ctx context.Context, o order.Order) (bool, error) {
	_, created, err := r.Store.Create(ctx, orderKey(o.ID), recordOf(o))
	return created, err
}
