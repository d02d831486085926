package ports

import (
	"context"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/payment-svc/internal/app"
	"github.com/example/order-saga/platform/pubsub"
)

// Events consumes the stock topic. Only StockReserved concerns payments;
// the router acknowledges every other type and leaves it alone.
type Events struct {
	ChargeOrder  app.ChargeOrderHandler
	RefuseCharge app.RefuseChargeHandler
}

// Subscribe registers the event handlers on r.
func (e Events) Subscribe(r *pubsub.Router) {
	pubsub.On(r, contracts.TypeStockReserved, e.stockReserved)
	// A reservation payment-svc gives up on is refused, so that its stock
	// is released and its order ends.
	pubsub.OnRefused(r, contracts.TypeStockReserved, e.reservationRefused)
}

func (e Events) reservationRefused(ctx context.Context, ev pubsub.Refused) error {
	return e.RefuseCharge.Handle(ctx, app.RefuseCharge{OrderID: ev.OrderID, CustomerID: ev.CustomerID, Reason: ev.Reason})
}

func (e Events) stockReserved(ctx context.Context, ev contracts.StockReserved) error {
	return e.ChargeOrder.Handle(ctx, app.ChargeOrder{OrderID: ev.OrderID, CustomerID: ev.CustomerID, TotalCents: ev.TotalCents})
}
