package ports

import (
	"context"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/order-svc/internal/app"
	"github.com/example/order-saga/order-svc/internal/domain/order"
	"github.com/example/order-saga/platform/pubsub"
)

// Events consumes the saga's events: order-svc's own OrderCreated, to
// store an order whose creation was published but not stored, and each
// step that stock-svc and payment-svc report.
type Events struct {
	Record  app.RecordStepHandler
	Created app.StoreCreatedHandler
}

// Subscribe registers a handler for each event order-svc follows. The
// router hands over only events that decode and keep their rules.
func (e Events) Subscribe(r *pubsub.Router) {
	pubsub.On(r, contracts.TypeOrderCreated, e.orderCreated)
	pubsub.On(r, contracts.TypeStockReserved, e.stockReserved)
	pubsub.On(r, contracts.TypeStockFailed, e.stockFailed)
	pubsub.On(r, contracts.TypePaymentCompleted, e.paymentCompleted)
	pubsub.On(r, contracts.TypePaymentFailed, e.paymentFailed)
	pubsub.On(r, contracts.TypeStockReleased, e.stockReleased)
}

func (e Events) orderCreated(ctx context.Context, ev contracts.OrderCreated) error {
	items := make([]order.Item, len(ev.Items))
	for i, it := range ev.Items {
		items[i] = order.Item(it)
	}
	return e.Created.Handle(ctx, app.StoreCreated{OrderID: ev.OrderID, CustomerID: ev.CustomerID, Items: items, CreatedAt: ev.OccurredAt})
}

func (e Events) stockReserved(ctx context.Context, ev contracts.StockReserved) error {
	return e.record(ctx, ev.Header, order.Step{Kind: order.StockReserved, TotalCents: ev.TotalCents})
}

func (e Events) stockFailed(ctx context.Context, ev contracts.StockFailed) error {
	return e.record(ctx, ev.Header, order.Step{Kind: order.StockFailed, Reason: ev.Reason})
}

func (e Events) paymentCompleted(ctx context.Context, ev contracts.PaymentCompleted) error {
	return e.record(ctx, ev.Header, order.Step{Kind: order.PaymentCompleted})
}

func (e Events) paymentFailed(ctx context.Context, ev contracts.PaymentFailed) error {
	return e.record(ctx, ev.Header, order.Step{Kind: order.PaymentFailed, Reason: ev.Reason})
}

func (e Events) stockReleased(ctx context.Context, ev contracts.StockReleased) error {
	return e.record(ctx, ev.Header, order.Step{Kind: order.StockReleased})
}

// record hands step s, reported by the event with header h, to the use
// case. The router has checked that h.Type is the type the handler was
// registered for, so logs and metric labels stay a known set.
func (e Events) record(ctx context.Context, h contracts.Header, s order.Step) error {
	s.At = h.OccurredAt
	return e.Record.Handle(ctx, app.RecordStep{OrderID: h.OrderID, EventType: h.Type, Step: s})
}
