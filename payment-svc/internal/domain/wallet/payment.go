package wallet

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
