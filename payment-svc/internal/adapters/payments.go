package adapters

import (
	"context"
	"time"

	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
	"github.com/example/order-saga/platform/statestore"
)

// paymentRecord is how a payment is stored. It is this service's own.
type paymentRecord struct {
	OrderID     string    `json:"orderId"`
	CustomerID  string    `json:"customerId"`
	AmountCents int64     `json:"amountCents"`
	Status      string    `json:"status"`
	Reason      string    `json:"reason,omitempty"`
	DecidedAt   time.Time `json:"decidedAt"`
	DecisionSeq int64     `json:"decisionSeq"`
	RefundSeq   int64     `json:"refundSeq,omitempty"`
	RefundedAt  time.Time `json:"refundedAt,omitzero"`
}

func paymentFromRecord(r paymentRecord) wallet.Payment {
	p := wallet.PaymentOf(r.OrderID, r.CustomerID, wallet.Decision{
		Seq: r.DecisionSeq, Status: wallet.Status(r.Status), AmountCents: r.AmountCents, Reason: r.Reason, At: r.DecidedAt,
	})
	p.RefundSeq, p.RefundedAt = r.RefundSeq, r.RefundedAt
	return p
}

func paymentToRecord(p wallet.Payment) paymentRecord {
	return paymentRecord{
		OrderID: p.OrderID, CustomerID: p.CustomerID, AmountCents: p.AmountCents, Status: string(p.Status),
		Reason: p.Reason, DecidedAt: p.At, DecisionSeq: p.Seq, RefundSeq: p.RefundSeq, RefundedAt: p.RefundedAt,
	}
}

// PaymentRepository keeps one payment record per order. A record, once
// created, changes only when its order is canceled (see Update).
type PaymentRepository struct {
	store *statestore.Store[paymentRecord]
}

// NewPaymentRepository stores payments in the state store called storeName.
func NewPaymentRepository(backend statestore.Backend, storeName string) *PaymentRepository {
	return &PaymentRepository{store: statestore.New[paymentRecord](backend, storeName)}
}

func paymentKey(orderID string) string { return "payment-" + orderID }

// Get implements app.Payments: found is false when the order has no
// record.
func (r *PaymentRepository) Get(ctx context.Context, orderID string) (p wallet.Payment, found bool, err error) {
	rec, found, err := r.store.Get(ctx, paymentKey(orderID))
	if err != nil || !found {
		return wallet.Payment{}, false, err
	}
	return paymentFromRecord(rec), true, nil
}

// Create implements app.Payments: it saves p unless its order already has
// a record, and returns the record that stands, and whether it is p.
func (r *PaymentRepository) Create(ctx context.Context, p wallet.Payment) (recorded wallet.Payment, created bool, err error) {
	rec, created, err := r.store.Create(ctx, paymentKey(p.OrderID), paymentToRecord(p))
	if err != nil {
		return wallet.Payment{}, false, err
	}
	return paymentFromRecord(rec), created, nil
}

// Update implements app.Payments: it applies fn to the record of an order
// and writes it when fn reports a change, and returns the record as it
// stands. fn is not run when there is no record.
func (r *PaymentRepository) Update(ctx context.Context, orderID string, fn func(p *wallet.Payment) (changed bool)) (wallet.Payment, error) {
	var out wallet.Payment
	err := r.store.Update(ctx, paymentKey(orderID), func(rec *paymentRecord, found bool) error {
		if !found {
			out = wallet.Payment{}
			return statestore.ErrUnchanged
		}
		p := paymentFromRecord(*rec)
		if !fn(&p) {
			out = p
			return statestore.ErrUnchanged
		}
		out, *rec = p, paymentToRecord(p)
		return nil
	})
	return out, err
}
