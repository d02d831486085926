package app

import (
	"context"
	"fmt"

	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
)

// RefuseCharge ends the payment of an order whose reservation payment-svc
// gave up on: it broke the rules of events, or could never be handled.
// Without it the order would stay open and its stock held. CustomerID is
// "" when the reservation named no valid customer.
type RefuseCharge struct {
	OrderID    string
	CustomerID string
	Reason     string
}

// RefuseChargeHandler records a refused payment, charging nothing, unless
// the order has a payment already, and announces the payment that stands,
// so the stock is released and the order canceled. A charge a handler took
// for the order before the refusal was recorded is given back when it
// settles, as for any decision that lost the race to the record.
type RefuseChargeHandler struct{ ChargeOrderHandler }

// Handle records the refusal and announces the payment that stands.
func (h RefuseChargeHandler) Handle(ctx context.Context, cmd RefuseCharge) error {
	log := h.Log.With("orderId", cmd.OrderID, "customerId", cmd.CustomerID)
	refused := wallet.PaymentOf(cmd.OrderID, cmd.CustomerID, wallet.Decision{Status: wallet.Failed, Reason: cmd.Reason, At: h.Now().UTC()})
	recorded, created, err := h.Payments.Create(ctx, refused)
	if err != nil {
		return fmt.Errorf("refuse payment of order %s: %w", cmd.OrderID, err)
	}
	if created {
		h.Metrics.PaymentRecorded(recorded)
		log.WarnContext(ctx, "payment refused: its reservation could not be handled", "reason", cmd.Reason)
	}
	return h.announceAndSettle(ctx, log, recorded)
}
