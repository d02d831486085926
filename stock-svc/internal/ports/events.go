package ports

import (
	"context"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/pubsub"
	"github.com/example/order-saga/stock-svc/internal/app"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// Events hands the events stock-svc listens to to its use cases: a new
// order is reserved, a paid one sold, one whose payment failed released.
// The router decodes each event and checks its rules before it comes
// here.
type Events struct {
	Reserve app.ReserveStockHandler
	Refuse  app.RefuseOrderHandler
	Settle  app.SettleStockHandler
	Cancel  app.CancelOrderHandler
}

// Subscribe registers a handler for each event type on r.
func (e Events) Subscribe(r *pubsub.Router) {
	pubsub.On(r, contracts.TypeOrderCreated, e.orderCreated)
	// A creation the stock gives up on still ends its order, refused.
	pubsub.OnRefused(r, contracts.TypeOrderCreated, e.orderRefused)
	pubsub.On(r, contracts.TypePaymentCompleted, e.paymentCompleted)
	pubsub.On(r, contracts.TypePaymentFailed, e.paymentFailed)
	pubsub.On(r, contracts.TypeOrderCanceled, e.orderCanceled)
	// What settles or gives back units is handled again when it was given
	// up on (by this service or another); a new order given up on is not:
	// order-svc cancels it.
	pubsub.OnLetters(r, func(ctx context.Context, l pubsub.Letter) error {
		return r.Redeliver(ctx, l, contracts.TypePaymentCompleted, contracts.TypePaymentFailed, contracts.TypeOrderCanceled)
	})
}

func (e Events) orderCanceled(ctx context.Context, ev contracts.OrderCanceled) error {
	return e.Cancel.Handle(ctx, app.CancelOrder{OrderID: ev.OrderID, CustomerID: ev.CustomerID})
}

func (e Events) orderCreated(ctx context.Context, ev contracts.OrderCreated) error {
	lines := make([]inventory.Line, len(ev.Items))
	for i, it := range ev.Items {
		lines[i] = inventory.Line{ProductID: it.ProductID, Quantity: it.Quantity}
	}
	return e.Reserve.Handle(ctx, app.ReserveStock{OrderID: ev.OrderID, CustomerID: ev.CustomerID, Lines: lines, Deadline: ev.Deadline})
}

func (e Events) orderRefused(ctx context.Context, ev pubsub.Refused) error {
	return e.Refuse.Handle(ctx, app.RefuseOrder{OrderID: ev.OrderID, Reason: ev.Reason})
}

func (e Events) paymentCompleted(ctx context.Context, ev contracts.PaymentCompleted) error {
	return e.Settle.Handle(ctx, app.SettleStock{OrderID: ev.OrderID, EventType: contracts.TypePaymentCompleted})
}

func (e Events) paymentFailed(ctx context.Context, ev contracts.PaymentFailed) error {
	return e.Settle.Handle(ctx, app.SettleStock{OrderID: ev.OrderID, EventType: contracts.TypePaymentFailed})
}
