package ports

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/dapr/go-sdk/service/common"
	"github.com/go-chi/chi/v5"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/order-svc/internal/app"
	"github.com/example/order-saga/order-svc/internal/domain/order"
	"github.com/example/order-saga/platform/pubsub"
)

// Events consumes the saga's topics.
type Events struct {
	Record  app.RecordStepHandler
	Created app.StoreCreatedHandler
	Log     *slog.Logger
	Obs     pubsub.Observer
}

// Subscribe registers the subscriptions on svc: its own orders topic (to
// store orders whose creation was published but not stored) and the
// stock and payments topics.
func (e Events) Subscribe(svc common.Service, router chi.Router) error {
	for _, topic := range []string{contracts.TopicOrders, contracts.TopicStock, contracts.TopicPayments} {
		if err := pubsub.Subscribe(svc, router, contracts.PubSub, topic, e.handle, e.Obs, e.Log); err != nil {
			return err
		}
	}
	return nil
}

func (e Events) handle(ctx context.Context, eventType string, data []byte) error {
	switch eventType {
	case contracts.TypeOrderCreated:
		ev, err := decode[contracts.OrderCreated](data)
		if err != nil {
			return err
		}
		if errs := order.Validate(ev.CustomerID, items(ev.Items)); errs != nil {
			return pubsub.Poison(fmt.Errorf("invalid order: %v", errs))
		}
		o := order.Order{ID: ev.OrderID, CustomerID: ev.CustomerID, Items: items(ev.Items), CreatedAt: ev.OccurredAt}
		return e.Created.Handle(ctx, o)
	case contracts.TypeStockReserved:
		ev, err := decode[contracts.StockReserved](data)
		if err != nil {
			return err
		}
		return e.record(ctx, contracts.TypeStockReserved, ev.Header,
			order.Step{Kind: order.StockReserved, TotalCents: ev.TotalCents})
	case contracts.TypeStockFailed:
		ev, err := decode[contracts.StockFailed](data)
		if err != nil {
			return err
		}
		return e.record(ctx, contracts.TypeStockFailed, ev.Header, order.Step{Kind: order.StockFailed, Reason: ev.Reason})
	case contracts.TypePaymentCompleted:
		ev, err := decode[contracts.PaymentCompleted](data)
		if err != nil {
			return err
		}
		return e.record(ctx, contracts.TypePaymentCompleted, ev.Header, order.Step{Kind: order.PaymentCompleted})
	case contracts.TypePaymentFailed:
		ev, err := decode[contracts.PaymentFailed](data)
		if err != nil {
			return err
		}
		return e.record(ctx, contracts.TypePaymentFailed, ev.Header, order.Step{Kind: order.PaymentFailed, Reason: ev.Reason})
	case contracts.TypeStockReleased:
		ev, err := decode[contracts.StockReleased](data)
		if err != nil {
			return err
		}
		return e.record(ctx, contracts.TypeStockReleased, ev.Header, order.Step{Kind: order.StockReleased})
	}
	e.Log.DebugContext(ctx, "ignoring event of a type order-svc does not handle", "eventType", eventType)
	return nil
}

// record hands step s, reported by the event with header h, to the use
// case. eventType is the constant the event was matched on, never the
// type the payload claims, so logs and metric labels stay a known set.
func (e Events) record(ctx context.Context, eventType string, h contracts.Header, s order.Step) error {
	s.At = h.OccurredAt
	return e.Record.Handle(ctx, app.RecordStep{OrderID: h.OrderID, EventType: eventType, Step: s})
}

// decode reads an event and checks the header every event must carry.
func decode[T any, P interface {
	*T
	EventHeader() contracts.Header
}](data []byte) (T, error) {
	return pubsub.Decode(data, func(ev *T) error { return checkHeader(P(ev).EventHeader()) })
}

func checkHeader(h contracts.Header) error {
	switch {
	case h.OrderID == "":
		return errors.New("orderId is missing")
	case h.OccurredAt.IsZero():
		return errors.New("occurredAt is missing")
	}
	return nil
}

func items(in []contracts.Item) []order.Item {
	out := make([]order.Item, len(in))
	for i, it := range in {
		out[i] = order.Item{ProductID: it.ProductID, Quantity: it.Quantity}
	}
	return out
}
