package ports

import (
	"context"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/order-svc/internal/app"
	"github.com/example/order-saga/order-svc/internal/domain/order"
	"github.com/example/order-saga/platform/pubsub"
)

// Events consumes each step that stock-svc and payment-svc report. Its
// own OrderCreated it does not consume: stock-svc's answer tells what an
// order is for, which stores an order published but not stored.
type Events struct {
	Record app.RecordStepHandler
	GiveUp app.GiveUpOrderHandler
}

// Subscribe registers a handler for each event order-svc follows. The
// router hands over only events that decode and keep their rules.
func (e Events) Subscribe(r *pubsub.Router) {
	pubsub.On(r, contracts.TypeStockReserved, e.stockReserved)
	pubsub.On(r, contracts.TypeStockFailed, e.stockFailed)
	pubsub.On(r, contracts.TypePaymentCompleted, e.paymentCompleted)
	pubsub.On(r, contracts.TypePaymentFailed, e.paymentFailed)
	pubsub.On(r, contracts.TypeStockReleased, e.stockReleased)
	pubsub.On(r, contracts.TypePaymentRefunded, e.paymentRefunded)
	pubsub.OnLetters(r, e.letter(r))
}

// letter handles a dead letter of an order: its event, when order-svc
// follows its type, is recorded as a late delivery, and then the order,
// if it is still open, is given up on at once. A poison event is left to
// the service that refused it, which ends its order with the reason.
func (e Events) letter(r *pubsub.Router) pubsub.LetterFunc {
	return func(ctx context.Context, l pubsub.Letter) error {
		if l.OrderID == "" || l.Poison != "" {
			return nil
		}
		if err := r.Redeliver(ctx, l); err != nil && !pubsub.IsPoison(err) {
			return err
		}
		return e.GiveUp.Handle(ctx, app.GiveUpOrder{OrderID: l.OrderID, EventType: l.Type})
	}
}

func (e Events) stockReserved(ctx context.Context, ev contracts.StockReserved) error {
	return e.record(ctx, ev.Header, order.Step{Kind: order.StockReserved, TotalCents: ev.TotalCents}, placement(ev.CustomerID, ev.Items, ev.Deadline))
}

func (e Events) stockFailed(ctx context.Context, ev contracts.StockFailed) error {
	return e.record(ctx, ev.Header, order.Step{Kind: order.StockFailed, Reason: ev.Reason}, placement(ev.CustomerID, ev.Items, time.Time{}))
}

// placement is what stock-svc's answer says the order is for, or nil when
// it does not say (a StockFailed for an order whose creation stock-svc
// could not read).
func placement(customerID string, items []contracts.Item, deadline time.Time) *app.Placement {
	if customerID == "" || len(items) == 0 {
		return nil
	}
	p := &app.Placement{CustomerID: customerID, Items: make([]order.Item, len(items)), Deadline: deadline}
	for i, it := range items {
		p.Items[i] = order.Item(it)
	}
	return p
}

func (e Events) paymentCompleted(ctx context.Context, ev contracts.PaymentCompleted) error {
	return e.record(ctx, ev.Header, order.Step{Kind: order.PaymentCompleted}, nil)
}

func (e Events) paymentFailed(ctx context.Context, ev contracts.PaymentFailed) error {
	return e.record(ctx, ev.Header, order.Step{Kind: order.PaymentFailed, Reason: ev.Reason}, nil)
}

func (e Events) stockReleased(ctx context.Context, ev contracts.StockReleased) error {
	return e.record(ctx, ev.Header, order.Step{Kind: order.StockReleased}, nil)
}

func (e Events) paymentRefunded(ctx context.Context, ev contracts.PaymentRefunded) error {
	return e.record(ctx, ev.Header, order.Step{Kind: order.PaymentRefunded, AmountCents: ev.AmountCents}, nil)
}

// record hands step s, reported by the event with header h, to the use
// case, with what the order is for when the event tells it. The router
// has checked that h.Type is the type the handler was registered for, so
// logs and metric labels stay a known set.
func (e Events) record(ctx context.Context, h contracts.Header, s order.Step, placed *app.Placement) error {
	s.At = h.OccurredAt
	return e.Record.Handle(ctx, app.RecordStep{OrderID: h.OrderID, EventType: h.Type, Step: s, Placed: placed})
}
