package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/faults"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// ReserveStock asks for the units of a new order.
type ReserveStock struct {
	OrderID    string
	CustomerID string
	Lines      []inventory.Line
	Deadline   time.Time // zero: none
}

// ReserveStockHandler holds the units of each order all-or-nothing, once,
// however often and however concurrently its message is delivered, with
// any number of replicas, and touches only the products of the order.
//
// The order's record is written first, as the intent. Then each product
// the order wants, in id order, holds its units for the order: one write
// of one product key, idempotent, since a product holds an order at most
// once. Then the record is decided: granted with the hold of each product,
// or refused when a product was unknown or short. The first handler to
// write the decision decides; every handler then settles the products by
// that decision, which gives back whatever a refusal, or a handler that
// came too late, had held. The decision is announced last, so a crash at
// any point is redelivered and finishes the work: the record says what is
// decided, and the products say what is held.
type ReserveStockHandler struct{ Stock }

// Handle reserves the order's units, records the decision and announces it.
// An order that breaks the rules of orders is refused as invalid, and no
// record is written for it.
func (h ReserveStockHandler) Handle(ctx context.Context, cmd ReserveStock) error {
	log := h.Log.With("orderId", cmd.OrderID)
	intent, err := inventory.NewReservation(cmd.OrderID, cmd.CustomerID, cmd.Lines)
	if err != nil {
		return err
	}
	intent.Deadline = cmd.Deadline
	rec, created, err := h.Reservations.Create(ctx, intent)
	if err != nil {
		return fmt.Errorf("record order %s: %w", cmd.OrderID, err)
	}
	if !created {
		log.InfoContext(ctx, "order seen before", "decision", rec.Status)
	}
	if !rec.Decided() {
		if rec, err = h.decide(ctx, log, rec); err != nil {
			return err
		}
	}
	if rec.Settled() {
		if err := h.settle(ctx, rec); err != nil {
			return err
		}
	}
	faults.Crash(log, contracts.FaultStockBeforePublish)
	if err := h.announce(ctx, rec); err != nil {
		return err
	}
	// After the announcement, off the saga's path: a failure here asks
	// for the order again, which announces it again and follows it then.
	return h.follow(ctx, rec)
}

// decide holds the units of each product the order wants, then writes the
// decision, and returns the record as it stands: this handler's decision,
// or that of a handler that wrote first.
func (h ReserveStockHandler) decide(ctx context.Context, log *slog.Logger, rec inventory.Reservation) (inventory.Reservation, error) {
	ref := rand.Text()
	holds := map[string]inventory.Hold{}
	var refusal inventory.Refusal
	wanted := rec.Wanted()
	if rec.Late(h.Now()) {
		// Its deadline passed: order-svc cancels it, so nothing is held.
		refusal, wanted = inventory.Refusal{Reason: "deadline exceeded"}, nil
	}
	for _, w := range wanted {
		var held inventory.Hold
		p, err := h.Products.Update(ctx, w.ProductID, func(p *inventory.Product, found bool) (bool, error) {
			var taken bool
			var err error
			held, taken, err = p.Hold(found, rec.OrderID, ref, w.Quantity)
			return taken, err
		})
		if errors.As(err, &refusal) {
			break
		}
		if err != nil {
			return rec, fmt.Errorf("hold %s for order %s: %w", w.ProductID, rec.OrderID, err)
		}
		holds[w.ProductID] = held
		h.Metrics.StockLevel(p)
		faults.Crash(log, contracts.FaultStockMidReservation)
	}

	at := h.Now()
	decided, changed, _, err := h.Reservations.Update(ctx, rec.OrderID, func(r *inventory.Reservation) (bool, error) {
		if refusal.Reason != "" {
			return r.Refuse(refusal.Reason, at), nil
		}
		return r.Grant(holds, at), nil
	})
	if err != nil {
		return rec, fmt.Errorf("decide order %s: %w", rec.OrderID, err)
	}
	if changed {
		h.Metrics.ReservationDecided(decided.Status)
		log.InfoContext(ctx, "stock decided", "decision", decided.Status, "reason", decided.Reason, "totalCents", decided.TotalCents)
	} else {
		log.InfoContext(ctx, "order decided meanwhile by another handler", "decision", decided.Status)
	}
	return decided, nil
}
