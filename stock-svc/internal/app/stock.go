package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// Stock is what every use case of the stock works on.
type Stock struct {
	Products     Products
	Reservations Reservations
	Events       Events
	Metrics      Metrics
	Log          *slog.Logger
	Now          func() time.Time
	// Followups and FollowAfter: each reservation granted is looked at
	// again FollowAfter later (see FollowHoldsHandler).
	Followups   Followups
	FollowAfter time.Duration
}

// settle brings every product of an order in line with its record, the
// one that decides: what a refused order held goes back, what a sold one
// holds leaves the stock, what a released one holds goes back, and any hold
// the record does not stand for, taken by a handler that came after the
// decision, goes back. Each product is one ETag-checked write, or none when
// it holds nothing for the order, so settling again, from any replica, at
// any time, changes nothing.
func (s Stock) settle(ctx context.Context, rec inventory.Reservation) error {
	for _, w := range rec.Wanted() {
		var sold int
		p, err := s.Products.Update(ctx, w.ProductID, func(p *inventory.Product, found bool) (bool, error) {
			var changed bool
			sold, changed = p.Settle(rec)
			return changed, nil
		})
		if err != nil {
			return fmt.Errorf("settle %s of order %s: %w", w.ProductID, rec.OrderID, err)
		}
		if sold > 0 {
			s.Metrics.UnitsSold(sold)
		}
		s.Metrics.StockLevel(p)
	}
	return nil
}

// announce publishes the decision a record stands for, with the same
// event on every delivery: what it came to once the order was canceled,
// or else its decision.
func (s Stock) announce(ctx context.Context, rec inventory.Reservation) error {
	switch {
	case !rec.Granted():
		return s.Events.StockFailed(ctx, rec)
	case rec.CanceledByOrder:
		return s.Events.StockReleased(ctx, rec)
	}
	return s.Events.StockReserved(ctx, rec)
}

// follow has a granted reservation looked at again, in case the outcome
// of its payment never arrives.
func (s Stock) follow(ctx context.Context, rec inventory.Reservation) error {
	if rec.Status != inventory.StatusReserved || s.Followups == nil {
		return nil
	}
	if err := s.Followups.Add(ctx, rec.OrderID, s.Now().Add(s.FollowAfter), 0); err != nil {
		return fmt.Errorf("follow order %s: %w", rec.OrderID, err)
	}
	return nil
}
