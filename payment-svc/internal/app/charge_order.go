package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
	"github.com/example/order-saga/platform/faults"
)

// ChargeOrder asks for the payment of an order whose stock is reserved.
type ChargeOrder struct {
	OrderID    string
	CustomerID string
	TotalCents int64
	Deadline   time.Time // the order's; zero: none
}

// DeadlineExceeded is the reason of a payment refused because the order's
// deadline passed before it was charged: order-svc cancels such an order,
// so it is never charged.
const DeadlineExceeded = "deadline exceeded"

// ChargeOrderHandler charges each order exactly once, however often and
// however concurrently its message is delivered.
//
// The decision is first written into the wallet, under the wallet's ETag,
// and stays there until the payment record exists; only then is it
// dropped. A crash before the record is saved is redelivered and finds the
// decision in the wallet; a crash after finds the record. A handler that
// read "no record" just before another one finished the whole job makes a
// second decision: saving the record tells it that it lost, and settling
// gives its charge back.
type ChargeOrderHandler struct {
	Wallets  Wallets
	Payments Payments
	Events   Events
	Metrics  Metrics
	Log      *slog.Logger
	Now      func() time.Time
}

// Handle charges the order, records the payment and announces it.
func (h ChargeOrderHandler) Handle(ctx context.Context, cmd ChargeOrder) error {
	log := h.Log.With("orderId", cmd.OrderID, "customerId", cmd.CustomerID)
	recorded, found, err := h.Payments.Get(ctx, cmd.OrderID)
	if err != nil {
		return err
	}
	if found {
		log.InfoContext(ctx, "payment already recorded, announcing it again", "decision", recorded.Status)
		return h.announceAndSettle(ctx, log, recorded)
	}

	decision, err := h.decide(ctx, cmd)
	if err != nil {
		return err
	}
	if decision.Status == "" {
		decision = wallet.Decision{Status: wallet.Failed, Reason: DeadlineExceeded, At: h.Now().UTC()}
	}
	recorded, created, err := h.Payments.Create(ctx, wallet.PaymentOf(cmd.OrderID, cmd.CustomerID, decision))
	if err != nil {
		return fmt.Errorf("record payment of order %s: %w", cmd.OrderID, err)
	}
	if created {
		h.Metrics.PaymentRecorded(recorded)
		log.InfoContext(ctx, "payment decided", "decision", recorded.Status, "amountCents", recorded.AmountCents, "reason", recorded.Reason)
	} else if recorded.Seq != decision.Seq {
		log.WarnContext(ctx, "payment was decided twice; the later decision is undone", "decision", recorded.Status)
	}

	faults.Crash(log, contracts.FaultPaymentBeforePublish)
	return h.announceAndSettle(ctx, log, recorded)
}

// decide takes the wallet's pending decision for the order, or makes one;
// none (the zero Decision) when the order's deadline passed.
func (h ChargeOrderHandler) decide(ctx context.Context, cmd ChargeOrder) (wallet.Decision, error) {
	at := h.Now()
	if !cmd.Deadline.IsZero() && at.After(cmd.Deadline) {
		return wallet.Decision{}, nil
	}
	var d wallet.Decision
	err := h.Wallets.Update(ctx, cmd.CustomerID, func(w *wallet.Wallet) (changed bool, err error) {
		d, changed, err = w.Charge(cmd.OrderID, cmd.TotalCents, at)
		return changed, err
	})
	if err != nil {
		return wallet.Decision{}, fmt.Errorf("charge order %s: %w", cmd.OrderID, err)
	}
	return d, nil
}

// announceAndSettle publishes the recorded outcome, then drops the wallet's
// copies of the decisions, which the record now replaces.
func (h ChargeOrderHandler) announceAndSettle(ctx context.Context, log *slog.Logger, p wallet.Payment) error {
	announce := h.Events.PaymentFailed
	switch p.Status {
	case wallet.Completed:
		announce = h.Events.PaymentCompleted
	case wallet.Refunded, wallet.Voided:
		announce = h.Events.PaymentRefunded
	}
	if err := announce(ctx, p); err != nil {
		return err
	}
	return h.settle(ctx, log, p)
}

// settle drops the wallet's pending decisions for the order once its
// record stands: a charge the record does not name is given back, and
// the refund the record names is paid out (see Wallet.SettleRefund).
func (h ChargeOrderHandler) settle(ctx context.Context, log *slog.Logger, p wallet.Payment) error {
	if p.CustomerID == "" {
		// Refused with no customer to charge: no wallet holds a decision.
		return nil
	}
	var lost, refunded int64
	err := h.Wallets.Update(ctx, p.CustomerID, func(w *wallet.Wallet) (bool, error) {
		var charged, paidOut bool
		lost, charged = w.Settle(p.OrderID, p.Seq)
		refunded, paidOut = w.SettleRefund(p.OrderID, p.RefundSeq)
		return charged || paidOut, nil
	})
	if err != nil {
		return fmt.Errorf("settle order %s: %w", p.OrderID, err)
	}
	if lost > 0 {
		log.WarnContext(ctx, "a charge the record does not stand for was given back", "decision", p.Status, "refundedCents", lost)
	}
	if refunded > 0 {
		log.InfoContext(ctx, "payment refunded", "refundedCents", refunded)
	}
	return nil
}
