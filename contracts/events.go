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
	TypeOrderCanceled    = "OrderCanceled"
	TypePaymentRefunded  = "PaymentRefunded"
)

// TopicOf names the topic an event type is published on.
func TopicOf(eventType string) string {
	switch eventType {
	case TypeOrderCreated, TypeOrderCanceled:
		return TopicOrders
	case TypeStockReserved, TypeStockFailed, TypeStockReleased:
		return TopicStock
	case TypePaymentCompleted, TypePaymentFailed, TypePaymentRefunded:
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
// Deadline is when order-svc cancels the order if it has not ended: no
// unit is held and no payment is made for it after that (zero in events
// published before orders had one: no deadline).
type OrderCreated struct {
	Header
	CustomerID string    `json:"customerId"`
	Items      []Item    `json:"items"`
	Deadline   time.Time `json:"deadline,omitzero"`
}

// OrderCanceled is published by order-svc when it cancels an order that
// had not ended, at its deadline, and again until both participants have
// answered it: stock-svc gives back what it held or sold for the order,
// and payment-svc voids or refunds its payment. CustomerID is "" for an
// order order-svc never learned the content of.
type OrderCanceled struct {
	Header
	CustomerID string `json:"customerId,omitempty"`
	Reason     string `json:"reason"`
}

// StockReserved is published by stock-svc when every item is held.
type StockReserved struct {
	Header
	CustomerID string    `json:"customerId"`
	Items      []Item    `json:"items"`
	TotalCents int64     `json:"totalCents"`
	Deadline   time.Time `json:"deadline,omitzero"` // the order's, see OrderCreated
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
// canceled order are back in stock. Canceled tells that they came back
// because order-svc canceled the order (OrderCanceled), sold units
// included, rather than because its payment failed: payment-svc then
// makes sure no payment stands for it.
type StockReleased struct {
	Header
	Items      []Item `json:"items"`
	CustomerID string `json:"customerId,omitempty"`
	Canceled   bool   `json:"canceled,omitempty"`
}

// PaymentRefunded is published by payment-svc when no payment stands for
// an order order-svc canceled: AmountCents went back to the wallet (0
// when nothing had been charged, the payment voided).
type PaymentRefunded struct {
	Header
	CustomerID  string `json:"customerId,omitempty"`
	AmountCents int64  `json:"amountCents"`
}

// EventHeader returns the header, so code can handle any event generically.
func (h Header) EventHeader() Header { return h }

// Event is what every event is: a header, and the rules of its fields.
type Event interface {
	EventHeader() Header
	Validate() error
}

// NewEvent returns a new zero event of eventType, to decode a payload
// into; nil for a type that is none of the contracts'.
func NewEvent(eventType string) Event {
	switch eventType {
	case TypeOrderCreated:
		return &OrderCreated{}
	case TypeOrderCanceled:
		return &OrderCanceled{}
	case TypeStockReserved:
		return &StockReserved{}
	case TypeStockFailed:
		return &StockFailed{}
	case TypeStockReleased:
		return &StockReleased{}
	case TypePaymentCompleted:
		return &PaymentCompleted{}
	case TypePaymentFailed:
		return &PaymentFailed{}
	case TypePaymentRefunded:
		return &PaymentRefunded{}
	}
	return nil
}
