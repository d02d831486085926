package wallet

import "time"

// Status is the outcome of charging an order.
type Status string

// The two outcomes of a charge, and what becomes of a payment whose order
// order-svc canceled: a completed one is refunded, and an order never
// charged is voided, so that it never is.
const (
	Completed Status = "COMPLETED"
	Failed    Status = "FAILED"
	Refunded  Status = "REFUNDED"
	Voided    Status = "VOIDED"
)

// OrderCanceled is the reason of a payment voided because its order was
// canceled before it was charged.
const OrderCanceled = "order canceled"

// Decision is how a wallet answered the charge of one order. Seq is unique
// within its wallet, so two decisions for the same order, made by
// handlers that raced, can be told apart.
type Decision struct {
	Seq         int64
	Status      Status
	AmountCents int64
	Reason      string
	At          time.Time
}

// Payment is the lasting record of how an order was charged. Once saved it
// never changes, and the wallet's copy of the decision can be dropped.
type Payment struct {
	OrderID    string
	CustomerID string
	Decision
	// RefundSeq is the wallet decision that refunded a REFUNDED payment
	// (see Wallet.DecideRefund), RefundedAt when.
	RefundSeq  int64
	RefundedAt time.Time
}

// VoidPayment is the record of an order canceled before it was charged:
// it charges nothing, and stands in the way of any later charge.
func VoidPayment(orderID, customerID string, at time.Time) Payment {
	return PaymentOf(orderID, customerID, Decision{Status: Voided, Reason: OrderCanceled, At: at.UTC()})
}

// Refund marks a completed payment as refunded by the wallet's refund
// decision refundSeq, and tells whether that changed it: a payment that is
// not COMPLETED stays as it is.
func (p *Payment) Refund(refundSeq int64, at time.Time) bool {
	if p.Status != Completed {
		return false
	}
	p.Status, p.RefundSeq, p.RefundedAt = Refunded, refundSeq, at.UTC()
	return true
}

// GivenBackCents is what went back to the wallet for the payment.
func (p Payment) GivenBackCents() int64 {
	if p.Status == Refunded {
		return p.AmountCents
	}
	return 0
}

// PaymentOf records decision d as the payment of an order.
func PaymentOf(orderID, customerID string, d Decision) Payment {
	return Payment{OrderID: orderID, CustomerID: customerID, Decision: d}
}
