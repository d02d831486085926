package app

import (
	"context"
	"log/slog"
	"sync"

	"github.com/example/order-saga/order-svc/internal/domain/order"
)

// Tracker applies changes to stored orders, and reports the change that
// stores an order and the one that makes it final: to the metrics, to the
// readers waiting for it, and in the log. Every use case that changes an
// order goes through it, so each order is counted once whichever path
// stored or finished it.
type Tracker struct {
	Orders  Orders
	Metrics Metrics
	Log     *slog.Logger
	Waiters *FinishWaiters
}

// apply runs fn on the stored order, and reports this change when it is
// the one that stored the order, or made it final.
func (t Tracker) apply(ctx context.Context, id string, fn func(o *order.Order) bool) (order.Order, error) {
	var after order.Order
	var placed, finished bool
	err := t.Orders.Update(ctx, id, func(o *order.Order) (bool, error) {
		wasPlaced, wasFinal := o.Placed, o.Status.Final()
		changed := fn(o)
		after, placed, finished = *o, changed && !wasPlaced && o.Placed, changed && !wasFinal && o.Status.Final()
		return changed, nil
	})
	if err != nil {
		return after, err
	}
	if placed {
		t.Metrics.OrderCreated()
	}
	if finished {
		t.Waiters.finished(id, after)
		t.Metrics.OrderFinished(after)
		t.Log.InfoContext(ctx, "order finished", "orderId", id, "status", after.Status, "reason", after.Reason)
	}
	return after, nil
}

// FinishWaiters wakes the readers that wait for an order to finish. It
// only knows the finishes this instance records; readers also poll, for
// orders another replica finishes.
type FinishWaiters struct {
	mu      sync.Mutex
	waiting map[string][]chan order.Order
}

// NewFinishWaiters returns an empty registry.
func NewFinishWaiters() *FinishWaiters {
	return &FinishWaiters{waiting: map[string][]chan order.Order{}}
}

// wait returns a channel that receives the order when it finishes here,
// and a function to call when no longer waiting.
func (f *FinishWaiters) wait(id string) (<-chan order.Order, func()) {
	ch := make(chan order.Order, 1)
	f.mu.Lock()
	f.waiting[id] = append(f.waiting[id], ch)
	f.mu.Unlock()
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		list := f.waiting[id]
		for i, c := range list {
			if c == ch {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(f.waiting, id)
		} else {
			f.waiting[id] = list
		}
	}
}

// finished hands the finished order to every reader waiting for it.
func (f *FinishWaiters) finished(id string, o order.Order) {
	if f == nil {
		return
	}
	f.mu.Lock()
	list := f.waiting[id]
	delete(f.waiting, id)
	f.mu.Unlock()
	for _, c := range list {
		c <- o
	}
}

// Waiting counts the readers waiting for an order.
func (f *FinishWaiters) Waiting(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiting[id])
}
