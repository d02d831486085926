// Package sagaapi is the saga's HTTP API as its clients read it: the JSON
// bodies of an order, a product, a wallet and a payment. The end-to-end
// tests, on the local stack and on the cluster, decode the services'
// replies into these.
package sagaapi

import "time"

// The statuses an order ends in.
const (
	StatusConfirmed = "CONFIRMED"
	StatusCanceled  = "CANCELED"
)

// Item is one line of an order.
type Item struct {
	ProductID string `json:"productId"`
	Quantity  int    `json:"quantity"`
}

// Order is an order as order-svc shows it.
type Order struct {
	ID         string `json:"id"`
	CustomerID string `json:"customerId"`
	Items      []Item `json:"items"`
	Status     string `json:"status"`
	Reason     string `json:"reason"`
	TotalCents int64  `json:"totalCents"`
	History    []Step `json:"history"`
	// CreatedAt is when order-svc accepted the order, UpdatedAt when its
	// status last changed: for a final order, when the saga ended.
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	// Deadline is when the order is canceled if it has not ended, and
	// RefundedCents what went back to the wallet for an order canceled
	// at its deadline after it was paid.
	Deadline      time.Time `json:"deadline"`
	RefundedCents int64     `json:"refundedCents"`
}

// Step is one status the order went through, or a refund.
type Step struct {
	Status string    `json:"status"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// ReasonDeadline is the reason of an order canceled at its deadline.
const ReasonDeadline = "deadline exceeded"

// Final reports whether the order has ended.
func (o Order) Final() bool { return o.Status == StatusConfirmed || o.Status == StatusCanceled }

// Product is a product of stock-svc's catalog with its units.
type Product struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	PriceCents int64  `json:"priceCents"`
	Available  int    `json:"available"`
	Reserved   int    `json:"reserved"`
	Sold       int    `json:"sold"`
}

// Wallet is a customer's balance at payment-svc.
type Wallet struct {
	CustomerID   string `json:"customerId"`
	BalanceCents int64  `json:"balanceCents"`
}

// Payment is payment-svc's record of an order's charge.
type Payment struct {
	OrderID     string `json:"orderId"`
	CustomerID  string `json:"customerId"`
	AmountCents int64  `json:"amountCents"`
	Status      string `json:"status"`
}
