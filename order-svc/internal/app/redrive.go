package app

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/example/order-saga/platform/reminders"
)

// Redriver announces again the orders that stay open too long. An event
// the saga needs can be lost without any service failing: Dapr's RabbitMQ
// component reports a publish as done when the broker, stopping, dropped
// it, and a delivery given up on goes to the dead letters. Each service
// announces its recorded decision again when it sees an order again, so
// the order's OrderCreated, published once more, finishes the order
// wherever its saga stopped, and changes nothing that was done.
//
// It keeps the orders this instance placed or stored, in memory: it is a
// faster path that nothing depends on. An order whose instance dies, and
// one whose saga cannot finish, ends at its deadline (see
// ExpireOrdersHandler), durably.
type Redriver struct {
	Orders  Orders
	Events  Events
	Metrics Metrics
	Log     *slog.Logger
	// After is how long an order may stay open before it is announced
	// again; each later announcement waits twice as long, up to MaxAfter.
	After, MaxAfter time.Duration
	// Max bounds the orders kept; past it, new ones are not kept.
	Max int

	mu   sync.Mutex
	open map[string]openOrder
}

// openOrder is when to look at a kept order next, and how long to wait
// after that.
type openOrder struct {
	due  time.Time
	wait time.Duration
}

// redriveBatch is how many orders one look reads at once.
const redriveBatch = 100

// NewRedriver returns a redriver that keeps at most max orders.
func NewRedriver(orders Orders, events Events, metrics Metrics, log *slog.Logger, after, maxAfter time.Duration, max int) *Redriver {
	return &Redriver{Orders: orders, Events: events, Metrics: metrics, Log: log, After: after, MaxAfter: maxAfter, Max: max,
		open: map[string]openOrder{}}
}

// track keeps an order placed or stored at now, unless kept already.
func (r *Redriver) track(id string, now time.Time) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, kept := r.open[id]; kept || len(r.open) >= r.Max {
		return
	}
	r.open[id] = openOrder{due: now.Add(r.After), wait: r.After}
}

// forget drops an order that this instance saw finish.
func (r *Redriver) forget(id string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	delete(r.open, id)
	r.mu.Unlock()
}

// Kept counts the orders kept.
func (r *Redriver) Kept() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.open)
}

// Run looks, every period until ctx ends, at the kept orders that are due.
func (r *Redriver) Run(ctx context.Context, period time.Duration, now func() time.Time) {
	reminders.Every(ctx, period, func() { r.Look(ctx, now()) })
}

// Look reads the kept orders due at now, from the store: it forgets those
// that are final, announces again those still open, and looks at an order
// not stored yet again later. It returns how many it announced again.
func (r *Redriver) Look(ctx context.Context, now time.Time) int {
	r.mu.Lock()
	var due []string
	for id, o := range r.open {
		if !o.due.After(now) {
			due = append(due, id)
		}
	}
	r.mu.Unlock()
	slices.Sort(due)
	announced := 0
	for batch := range slices.Chunk(due, redriveBatch) {
		found, err := r.Orders.GetMany(ctx, batch)
		if err != nil {
			r.Log.WarnContext(ctx, "open orders not looked at", "orders", len(batch), "error", err)
			return announced
		}
		for _, id := range batch {
			o, ok := found[id]
			switch {
			case ok && o.Status.Final():
				r.forget(id)
				continue
			case ok && o.Placed:
				if err := r.Events.OrderCreated(ctx, o); err != nil {
					r.Log.WarnContext(ctx, "open order not announced again", "orderId", id, "error", err)
					continue // due still: the next look tries again
				}
				announced++
				r.Metrics.OrderRedriven()
				r.Log.WarnContext(ctx, "order still open, announced again", "orderId", id, "status", o.Status, "since", now.Sub(o.CreatedAt).Round(time.Millisecond))
			}
			r.later(id, now)
		}
	}
	return announced
}

// later puts off the next look at an order, twice as long as the last.
func (r *Redriver) later(id string, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if o, kept := r.open[id]; kept {
		o.wait = min(2*o.wait, r.MaxAfter)
		o.due = now.Add(o.wait)
		r.open[id] = o
	}
}

// Keeps reports whether the redriver keeps the order id.
func (r *Redriver) Keeps(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.open[id]
	return ok
}
