package ports

import (
	"context"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/payment-svc/internal/app"
	"github.com/example/order-saga/platform/pubsub"
)

// Events consumes the stock topic: StockReserved is charged, and
// StockReleased of a canceled order undone; the router acknowledges every
// other type and leaves it alone.
type Events struct {
	ChargeOrder  app.ChargeOrderHandler
	RefuseCharge app.RefuseChargeHandler
	Undo         app.UndoPaymentHandler
}

// Subscribe registers the event handlers on r.
func (e Events) Subscribe(r *pubsub.Router) {
	pubsub.On(r, contracts.TypeStockReserved, e.stockReserved)
	// A reservation payment-svc gives up on is refused, so that its stock
	// is released and its order ends.
	pubsub.OnRefused(r, contracts.TypeStockReserved, e.reservationRefused)
	// The stock of an order order-svc canceled went back: so does the
	// payment. A release because the payment failed needs nothing more.
	pubsub.On(r, contracts.TypeStockReleased, e.stockReleased)
	// A release given up on is handled again: the payment of a canceled
	// order is undone however its news came. A reservation given up on is
	// not charged: order-svc cancels its order.
	pubsub.OnLetters(r, func(ctx context.Context, l pubsub.Letter) error {
		return r.Redeliver(ctx, l, contracts.TypeStockReleased)
	})
}

func (e Events) stockReleased(ctx context.Context, ev contracts.StockReleased) error {
	if !ev.Canceled {
		return nil
	}
	return e.Undo.Handle(ctx, app.UndoPayment{OrderID: ev.OrderID, CustomerID: ev.CustomerID})
}

func (e Events) reservationRefused(ctx context.Context, ev pubsub.Refused) error {
	return e.RefuseCharge.Handle(ctx, app.RefuseCharge{OrderID: ev.OrderID, CustomerID: ev.CustomerID, Reason: ev.Reason})
}

func (e Events) stockReserved(ctx context.Context, ev contracts.StockReserved) error {
	return e.ChargeOrder.Handle(ctx, app.ChargeOrder{OrderID: ev.OrderID, CustomerID: ev.CustomerID, TotalCents: ev.TotalCents, Deadline: ev.Deadline})
}
