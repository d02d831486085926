package app

import (
	"github.com/example/order-saga/contracts"

	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
)

// outcomeEvent is the event that announces a payment. It is built from the
// record alone, so every republish of it is the same event.
func outcomeEvent(p wallet.Payment) (contracts.Header, any) {
	if p.Status == wallet.Completed {
		h := contracts.NewHeader(contracts.TypePaymentCompleted, p.OrderID, p.At)
		return h, contracts.PaymentCompleted{Header: h, CustomerID: p.CustomerID, AmountCents: p.AmountCents}
	}
	h := contracts.NewHeader(contracts.TypePaymentFailed, p.OrderID, p.At)
	return h, contracts.PaymentFailed{Header: h, CustomerID: p.CustomerID, Reason: p.Reason}
}
