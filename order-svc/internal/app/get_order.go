package app

import (
	"context"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/order-svc/internal/domain/order"
)

// GetOrder asks for one order. With Wait above zero, the answer waits up
// to Wait for the order to be final.
type GetOrder struct {
	ID   string
	Wait time.Duration
}

// GetOrderHandler reads one order, and can wait for it to finish.
type GetOrderHandler struct {
	Orders  Orders
	Waiters *FinishWaiters
}

// Handle returns the order, or order.ErrNotFound (at once for an id that
// no order can have). An order known only from later steps is not shown
// until its own creation is stored. With a wait, it returns as soon as the
// order is final, or once the wait is over; a read beyond the waiting
// reads the instance takes is refused with ErrTooManyWaiting.
func (h GetOrderHandler) Handle(ctx context.Context, q GetOrder) (order.Order, error) {
	if !contracts.ValidID(q.ID) {
		return order.Order{}, order.ErrNotFound
	}
	if q.Wait <= 0 {
		return h.get(ctx, q.ID)
	}
	// Registered before the read, so a finish in between is not missed;
	// the finish hands over the order, so waking costs no read.
	finished, stop, err := h.Waiters.wait(q.ID)
	if err != nil {
		return order.Order{}, err
	}
	defer stop()
	o, err := h.get(ctx, q.ID)
	if err != nil || o.Status.Final() {
		return o, err
	}
	deadline := time.NewTimer(q.Wait)
	defer deadline.Stop()
	select {
	case o = <-finished:
	case <-deadline.C:
	case <-ctx.Done():
	}
	return o, nil
}

func (h GetOrderHandler) get(ctx context.Context, id string) (order.Order, error) {
	o, found, err := h.Orders.Get(ctx, id)
	if err != nil {
		return o, err
	}
	if !found || !o.Placed {
		return o, order.ErrNotFound
	}
	return o, nil
}
