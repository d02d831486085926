package app

import (
	"context"
	"fmt"

	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
)

// UndoPayment tells that the stock of an order order-svc canceled went
// back (StockReleased, canceled): no payment may stand for it.
type UndoPayment struct {
	OrderID    string
	CustomerID string // "" when the stock never learned it
}

// UndoPaymentHandler makes sure no payment stands for a canceled order,
// exactly once, whatever the deliveries:
//   - an order never charged gets a VOIDED record, written first-wins
//     like every payment record: a charge that comes later finds it and
//     charges nothing, and a charge decided just before, which lost the
//     race to the record, is given back when the wallet settles;
//   - a COMPLETED payment is refunded as it was charged, turned round: the
//     wallet decides the refund without paying it (Wallet.DecideRefund),
//     the record moves to REFUNDED under its ETag naming that decision,
//     and settling the wallet pays out the decision the record names,
//     once, and drops any other.
//
// Every delivery announces where the payment stands, PaymentRefunded with
// the cents that went back (0 when voided or refused), so that order-svc
// learns the cancellation was answered.
type UndoPaymentHandler struct{ ChargeOrderHandler }

// Handle voids or refunds the payment, and announces it.
func (h UndoPaymentHandler) Handle(ctx context.Context, cmd UndoPayment) error {
	log := h.Log.With("orderId", cmd.OrderID, "customerId", cmd.CustomerID)
	at := h.Now()
	p, created, err := h.Payments.Create(ctx, wallet.VoidPayment(cmd.OrderID, cmd.CustomerID, at))
	if err != nil {
		return fmt.Errorf("void payment of order %s: %w", cmd.OrderID, err)
	}
	if created {
		h.Metrics.PaymentRefunded(p)
		log.WarnContext(ctx, "payment voided: the order was canceled before it was charged")
	}
	if p.Status == wallet.Completed {
		var d wallet.Decision
		if err := h.Wallets.Update(ctx, p.CustomerID, func(w *wallet.Wallet) (changed bool, err error) {
			d, changed = w.DecideRefund(cmd.OrderID, p.AmountCents, at)
			return changed, nil
		}); err != nil {
			return fmt.Errorf("refund order %s: %w", cmd.OrderID, err)
		}
		var refunded bool
		if p, err = h.Payments.Update(ctx, cmd.OrderID, func(cur *wallet.Payment) bool {
			refunded = cur.Refund(d.Seq, at)
			return refunded
		}); err != nil {
			return fmt.Errorf("refund order %s: %w", cmd.OrderID, err)
		}
		if refunded {
			h.Metrics.PaymentRefunded(p)
		}
	}
	if err := h.settle(ctx, log, p); err != nil {
		return err
	}
	return h.Events.PaymentRefunded(ctx, p)
}
