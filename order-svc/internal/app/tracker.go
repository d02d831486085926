package app

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/example/order-saga/contracts"

	"github.com/example/order-saga/order-svc/internal/domain/order"
	"github.com/example/order-saga/platform/reminders"
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
	// Redrive, when set, keeps the orders stored here until they finish.
	Redrive *Redriver
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
		if !finished && !after.Status.Final() {
			t.Redrive.track(id, after.CreatedAt)
		}
	}
	if finished {
		t.Redrive.forget(id)
		t.Waiters.finished(id, after)
		t.Metrics.OrderFinished(after)
		t.Log.InfoContext(ctx, "order finished", "orderId", id, "status", after.Status, "reason", after.Reason)
	}
	return after, nil
}

// FinishWaiters wakes the readers that wait for an order to finish: at
// once when this instance records the finish, and for orders that another
// instance finishes, within a second, by one read of all the orders waited
// for (see Watch) rather than a read per reader.
type FinishWaiters struct {
	// Max bounds the readers waiting at once; DefaultMaxWaiting when 0.
	Max int

	mu      sync.Mutex
	waiting map[string][]chan order.Order
	count   int
}

// DefaultMaxWaiting is how many reads may wait at once in one instance.
const DefaultMaxWaiting = 1000

// ErrTooManyWaiting refuses a waiting read beyond FinishWaiters.Max.
var ErrTooManyWaiting = &contracts.Error{Kind: contracts.KindBusy, Type: "too-many-waiting-reads",
	Detail: "as many reads as this instance takes are waiting already; retry, or read without waiting"}

// NewFinishWaiters returns an empty registry.
func NewFinishWaiters() *FinishWaiters {
	return &FinishWaiters{waiting: map[string][]chan order.Order{}}
}

// wait returns a channel that receives the order when it finishes, and a
// function to call when no longer waiting; ErrTooManyWaiting when Max
// reads wait already.
func (f *FinishWaiters) wait(id string) (<-chan order.Order, func(), error) {
	ch := make(chan order.Order, 1)
	f.mu.Lock()
	limit := f.Max
	if limit <= 0 {
		limit = DefaultMaxWaiting
	}
	if f.count >= limit {
		f.mu.Unlock()
		return nil, nil, ErrTooManyWaiting
	}
	f.waiting[id] = append(f.waiting[id], ch)
	f.count++
	f.mu.Unlock()
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		list := f.waiting[id]
		for i, c := range list {
			if c == ch {
				list = append(list[:i], list[i+1:]...)
				f.count--
				break
			}
		}
		if len(list) == 0 {
			delete(f.waiting, id)
		} else {
			f.waiting[id] = list
		}
	}, nil
}

// finished hands the finished order to every reader waiting for it.
func (f *FinishWaiters) finished(id string, o order.Order) {
	if f == nil {
		return
	}
	f.mu.Lock()
	list := f.waiting[id]
	delete(f.waiting, id)
	f.count -= len(list)
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

// watchBatch is how many orders one read of Watch fetches.
const watchBatch = 100

// Watch looks, every period until ctx ends, at the orders that readers
// wait for, in reads of up to watchBatch orders, and hands over those that
// another instance finished. It reads nothing while nobody waits.
func (f *FinishWaiters) Watch(ctx context.Context, orders Orders, period time.Duration, log *slog.Logger) {
	reminders.Every(ctx, period, func() { f.look(ctx, orders, log) })
}

// look hands over the waited-for orders another instance finished.
func (f *FinishWaiters) look(ctx context.Context, orders Orders, log *slog.Logger) {
	f.mu.Lock()
	ids := slices.Collect(maps.Keys(f.waiting))
	f.mu.Unlock()
	for batch := range slices.Chunk(ids, watchBatch) {
		found, err := orders.GetMany(ctx, batch)
		if err != nil {
			log.WarnContext(ctx, "waiting reads not looked at", "orders", len(batch), "error", err)
			return
		}
		for id, o := range found {
			if o.Placed && o.Status.Final() {
				f.finished(id, o)
			}
		}
	}
}
