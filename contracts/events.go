package contracts

import "time"

// Event type strings. They travel both as the CloudEvent type and inside
// the payload, and are never derived from Go type names.
const (
	TypeOrderCreated     = "OrderCreated"
	TypeStockReserved    = "StockReserved"
	TypeStockFailed      = "StockFailed"
	TypePaymentCompleted = "PaymentCompleted"
	TypePaymentFailed    = "PaymentFailed"
	TypeStockReleased    = "StockReleased"
)

// TopicOf names the topic an event type is published on.
func TopicOf(eventType string) string {
	switch eventType {
	case TypeOrderCreated:
		return TopicOrders
	case TypeStockReserved, TypeStockFailed, TypeStockReleased:
		return TopicStock
	case TypePaymentCompleted, TypePaymentFailed:
		return TopicPayments
	}
	return ""
}

// EventID is the id of the one event of a given type that an order can
// have. Because it is deterministic, publishing again after a crash or on
// redelivery produces the same id, and consumers can tell a repeat.
func EventID(orderID, eventType string) string {
	return orderID + "." + eventType
}

// Header is carried by every event.
type Header struct {
	Type       string    `json:"type"`
	EventID    string    `json:"eventId"`
	OrderID    string    `json:"orderId"`
	OccurredAt time.Time `json:"occurredAt"`
}

// NewHeader builds the header of the event of type eventType for an order.
func NewHeader(eventType, orderID string, at time.Time) Header {
	return Header{Type: eventType, EventID: EventID(orderID, eventType), OrderID: orderID, OccurredAt: at.UTC()}
}

// Item is one line of an order.
type Item struct {
	ProductID string `json:"productId"`
	Quantity  int    `json:"quantity"`
}

// OrderCreated is published by order-svc when an order is accepted.
type OrderCreated struct {
	Header
	CustomerID string `json:"customerId"`
	Items      []Item `json:"items"`
}

// StockReserved is published by stock-svc when every item is held.
type StockReserved struct {
	Header
	CustomerID string `json:"customerId"`
	Items      []Item `json:"items"`
	TotalCents int64  `json:"totalCents"`
}

// StockFailed is published by stock-svc when any item cannot be held.
// Like StockReserved, it carries what the order was for when stock-svc
// knows it, so that order-svc can store an order from the first step it
// hears of, whichever that is (see order-svc's RecordStepHandler).
type StockFailed struct {
	Header
	Reason     string `json:"reason"`
	CustomerID string `json:"customerId,omitempty"`
	Items      []Item `json:"items,omitempty"`
}

// PaymentCompleted is published by payment-svc when the wallet is charged.
type PaymentCompleted struct {
	Header
	CustomerID  string `json:"customerId"`
	AmountCents int64  `json:"amountCents"`
}

// PaymentFailed is published by payment-svc when the charge is refused.
type PaymentFailed struct {
	Header
	CustomerID string `json:"customerId"`
	Reason     string `json:"reason"`
}

// StockReleased is published by stock-svc once the units held for a
// canceled order are back in stock.
type StockReleased struct {
	Header
	Items []Item `json:"items"`
}

// EventHeader returns the header, so code can handle any event generically.
func (h Header) EventHeader() Header { return h }

// Event is what every event is: a header, and the rules of its fields.
type Event interface {
	EventHeader() Header
	Validate() error
}
