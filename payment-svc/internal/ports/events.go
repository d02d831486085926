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
	ChargeOrder app.ChargeOrderHandler
}

// Subscribe registers the event handlers on r.
func (e Events) Subscribe(r *pubsub.Router) {
	pubsub.On(r, contracts.TypeStockReserved, e.stockReserved)
}

func (e Events) stockReserved(ctx context.Context, ev contracts.StockReserved) error {
	return e.ChargeOrder.Handle(ctx, app.ChargeOrder{OrderID: ev.OrderID, CustomerID: ev.CustomerID, TotalCents: ev.TotalCents})
}
