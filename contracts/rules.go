package contracts

import (
	"fmt"
	"regexp"
	"strings"
)

// Limits of one order, the same at the API and in every consumer.
const (
	MaxItems    = 100
	MaxQuantity = 10_000
)

var (
	idPattern         = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	customerIDPattern = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)
)

// What a field error says of an id that breaks its pattern.
const (
	IDRule         = "must be 1 to 64 letters, digits or . _ -"
	CustomerIDRule = "must be 1 to 64 letters, digits or . _ @ -"
)

// ValidID tells whether id can name an order or a product: it always fits
// in a state key, and never holds Dapr's key separator "||".
func ValidID(id string) bool { return idPattern.MatchString(id) }

// ValidCustomerID tells whether id can name a customer.
func ValidCustomerID(id string) bool { return customerIDPattern.MatchString(id) }

// FieldError names one invalid field of a request or an event, as clients
// name it.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// FieldErrors collects the invalid fields of one input.
type FieldErrors []FieldError

// Add names one more invalid field.
func (f *FieldErrors) Add(field, detail string) { *f = append(*f, FieldError{field, detail}) }

// Err is nil when no field was named, and an invalid-input Error (see
// Invalid) naming them all otherwise.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return Invalid(f...)
}

func (f FieldErrors) String() string {
	parts := make([]string, len(f))
	for i, e := range f {
		parts[i] = e.Field + " " + e.Detail
	}
	return strings.Join(parts, "; ")
}

// ValidateOrder checks what a customer asks for: who, and which items. It
// is the rule of POST /orders and of every event that carries an order.
func ValidateOrder(customerID string, items []Item) error {
	var errs FieldErrors
	checkCustomer(&errs, customerID)
	checkItems(&errs, items)
	return errs.Err()
}

func checkCustomer(errs *FieldErrors, customerID string) {
	if !ValidCustomerID(customerID) {
		errs.Add("customerId", CustomerIDRule)
	}
}

func checkItems(errs *FieldErrors, items []Item) {
	switch {
	case len(items) == 0:
		errs.Add("items", "must hold at least one item")
	case len(items) > MaxItems:
		errs.Add("items", fmt.Sprintf("must hold at most %d items", MaxItems))
	default:
		for i, it := range items {
			if !ValidID(it.ProductID) {
				errs.Add(fmt.Sprintf("items[%d].productId", i), IDRule)
			}
			if it.Quantity < 1 || it.Quantity > MaxQuantity {
				errs.Add(fmt.Sprintf("items[%d].quantity", i), fmt.Sprintf("must be between 1 and %d", MaxQuantity))
			}
		}
	}
}

func checkCents(errs *FieldErrors, field string, cents int64) {
	if cents < 0 {
		errs.Add(field, "must not be negative")
	}
}

// check is what every event must carry: its own type, an order id and the
// time it happened.
func (h Header) check(errs *FieldErrors, eventType string) {
	if h.Type != eventType {
		errs.Add("type", "must be "+eventType)
	}
	if !ValidID(h.OrderID) {
		errs.Add("orderId", IDRule)
	}
	if h.OccurredAt.IsZero() {
		errs.Add("occurredAt", "is required")
	}
}

// Validate checks the event; the same rules hold at the API.
func (e OrderCreated) Validate() error {
	var errs FieldErrors
	e.check(&errs, TypeOrderCreated)
	checkCustomer(&errs, e.CustomerID)
	checkItems(&errs, e.Items)
	return errs.Err()
}

// Validate checks the event.
func (e StockReserved) Validate() error {
	var errs FieldErrors
	e.check(&errs, TypeStockReserved)
	checkCustomer(&errs, e.CustomerID)
	checkItems(&errs, e.Items)
	checkCents(&errs, "totalCents", e.TotalCents)
	return errs.Err()
}

// Validate checks the event.
func (e StockFailed) Validate() error {
	var errs FieldErrors
	e.check(&errs, TypeStockFailed)
	if e.CustomerID != "" || len(e.Items) > 0 {
		checkCustomer(&errs, e.CustomerID)
		checkItems(&errs, e.Items)
	}
	return errs.Err()
}

// Validate checks the event.
func (e PaymentCompleted) Validate() error {
	var errs FieldErrors
	e.check(&errs, TypePaymentCompleted)
	checkCustomer(&errs, e.CustomerID)
	checkCents(&errs, "amountCents", e.AmountCents)
	return errs.Err()
}

// Validate checks the event. The customer may be unknown: a payment
// refused because its reservation could not be read has none.
func (e PaymentFailed) Validate() error {
	var errs FieldErrors
	e.check(&errs, TypePaymentFailed)
	if e.CustomerID != "" {
		checkCustomer(&errs, e.CustomerID)
	}
	return errs.Err()
}

// Validate checks the event.
func (e StockReleased) Validate() error {
	var errs FieldErrors
	e.check(&errs, TypeStockReleased)
	checkItems(&errs, e.Items)
	if e.CustomerID != "" {
		checkCustomer(&errs, e.CustomerID)
	}
	return errs.Err()
}

// Validate checks the event.
func (e OrderCanceled) Validate() error {
	var errs FieldErrors
	e.check(&errs, TypeOrderCanceled)
	if e.CustomerID != "" {
		checkCustomer(&errs, e.CustomerID)
	}
	if e.Reason == "" {
		errs.Add("reason", "is required")
	}
	return errs.Err()
}

// Validate checks the event.
func (e PaymentRefunded) Validate() error {
	var errs FieldErrors
	e.check(&errs, TypePaymentRefunded)
	if e.CustomerID != "" {
		checkCustomer(&errs, e.CustomerID)
	}
	checkCents(&errs, "amountCents", e.AmountCents)
	return errs.Err()
}
