package adapters

import (
	"time"

	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
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
}

func paymentFromRecord(r paymentRecord) wallet.Payment {
	return wallet.PaymentOf(r.OrderID, r.CustomerID, wallet.Decision{
		Seq: r.DecisionSeq, Status: wallet.Status(r.Status), AmountCents: r.AmountCents, Reason: r.Reason, At: r.DecidedAt,
	})
}

func paymentToRecord(p wallet.Payment) paymentRecord {
	return paymentRecord{
		OrderID: p.OrderID, CustomerID: p.CustomerID, AmountCents: p.AmountCents, Status: string(p.Status),
		Reason: p.Reason, DecidedAt: p.At, DecisionSeq: p.Seq,
	}
}
