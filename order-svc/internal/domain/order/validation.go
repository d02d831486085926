package order

import (
	"fmt"
	"regexp"
)

// Limits on what one order may ask for.
const (
	MaxItems    = 100
	MaxQuantity = 10_000
)

var (
	customerIDPattern = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)
	productIDPattern  = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
)

// FieldError names one invalid field of a new order.
type FieldError struct {
	Field  string
	Detail string
}

// Validate checks a new order and names every invalid field; it returns
// nil when the order may be placed.
func Validate(customerID string, items []Item) []FieldError {
	var errs []FieldError
	if !customerIDPattern.MatchString(customerID) {
		errs = append(errs, FieldError{"customerId", "must be 1 to 64 letters, digits or . _ @ -"})
	}
	switch {
	case len(items) == 0:
		errs = append(errs, FieldError{"items", "must hold at least one item"})
	case len(items) > MaxItems:
		errs = append(errs, FieldError{"items", fmt.Sprintf("must hold at most %d items", MaxItems)})
	default:
		for i, it := range items {
			if !productIDPattern.MatchString(it.ProductID) {
				errs = append(errs, FieldError{fmt.Sprintf("items[%d].productId", i), "must be 1 to 64 letters, digits or . _ -"})
			}
			if it.Quantity < 1 || it.Quantity > MaxQuantity {
				errs = append(errs, FieldError{fmt.Sprintf("items[%d].quantity", i), fmt.Sprintf("must be between 1 and %d", MaxQuantity)})
			}
		}
	}
	return errs
}
