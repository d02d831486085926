package app

import (
	"context"
	"log/slog"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/faults"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// CrashBeforePublish is the point where a test may crash the service after
// the decision is recorded and before it is announced.
const CrashBeforePublish = "stock.before-publish"

// ReserveStock decides whether the units of a new order can be held,
// records the decision and announces it. An order handled again, or by two
// handlers at once, is decided once and announced with the same event.
func (a *Application) ReserveStock(ctx context.Context, e contracts.OrderCreated) error {
	log := a.log.With("orderId", e.OrderID, "eventType", e.Type)
	rec, found, err := a.reservations.Get(ctx, e.OrderID)
	if err != nil {
		return err
	}
	if found {
		log.InfoContext(ctx, "order already decided, announcing again", "decision", rec.Status)
		return a.announce(ctx, log, rec, true)
	}

	hold, err := a.hold(ctx, e)
	if err != nil {
		return err
	}
	rec, created, err := a.record(ctx, e, hold)
	if err != nil {
		return err
	}
	if created {
		a.metrics.ReservationDecided(rec.Status)
		log.InfoContext(ctx, "stock decided", "decision", rec.Status, "reason", rec.Reason, "totalCents", rec.TotalCents)
	} else {
		log.InfoContext(ctx, "order decided meanwhile by another handler", "decision", rec.Status)
	}
	// The hold stays only when it is the one a waiting reservation stands
	// for: a refusal has no use for it once recorded, and a hold whose
	// record was written by another handler is that handler's to keep.
	return a.announce(ctx, log, rec, !rec.Accounts(hold))
}

// hold takes the catalog's decision for the order: the one it already
// has, or a new one.
func (a *Application) hold(ctx context.Context, e contracts.OrderCreated) (inventory.Hold, error) {
	ref, at, lines := newRef(), a.now(), linesOf(e.Items)
	var hold inventory.Hold
	err := a.updateCatalog(ctx, func(c *inventory.Catalog, _ bool) (bool, error) {
		h, fresh, err := c.Reserve(e.OrderID, lines, ref, at)
		hold = h
		return fresh, err
	})
	return hold, err
}

// record writes the reservation record of the order unless one is
// written already, and returns the record that stands.
func (a *Application) record(ctx context.Context, e contracts.OrderCreated, hold inventory.Hold) (rec inventory.Reservation, created bool, err error) {
	return a.reservations.Create(ctx, inventory.NewReservation(e.OrderID, e.CustomerID, hold))
}

// announce publishes the decision a record stands for, then, when tidy is
// set, drops any hold of the order that the record does not account for.
func (a *Application) announce(ctx context.Context, log *slog.Logger, rec inventory.Reservation, tidy bool) error {
	faults.Crash(log, CrashBeforePublish)
	if err := a.publishDecision(ctx, rec); err != nil {
		return err
	}
	if !tidy {
		return nil
	}
	return a.updateCatalog(ctx, func(c *inventory.Catalog, _ bool) (bool, error) {
		return c.Tidy(rec), nil
	})
}

func (a *Application) publishDecision(ctx context.Context, rec inventory.Reservation) error {
	if !rec.Granted() {
		h := contracts.NewHeader(contracts.TypeStockFailed, rec.OrderID, rec.At)
		return a.publisher.Publish(ctx, h, contracts.StockFailed{Header: h, Reason: rec.Reason})
	}
	h := contracts.NewHeader(contracts.TypeStockReserved, rec.OrderID, rec.At)
	return a.publisher.Publish(ctx, h, contracts.StockReserved{
		Header: h, CustomerID: rec.CustomerID, Items: itemsOf(rec.Lines), TotalCents: rec.TotalCents,
	})
}
