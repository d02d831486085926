package wallet

import "time"

// Status is the outcome of charging an order.
type Status string

// The two outcomes of a charge.
const (
	Completed Status = "COMPLETED"
	Failed    Status = "FAILED"
)

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
}

// PaymentOf records decision d as the payment of an order.
func PaymentOf(orderID, customerID string, d Decision) Payment {
	return Payment{OrderID: orderID, CustomerID: customerID, Decision: d}
}
