package inventory

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidOrder is wrapped by every error of an order that no decision
// can be taken on.
var ErrInvalidOrder = errors.New("invalid order")

// Errors of an order that no decision can be taken on.
var (
	ErrNoOrderID       = fmt.Errorf("%w: an order needs an id", ErrInvalidOrder)
	ErrNoLines         = fmt.Errorf("%w: an order needs at least one line", ErrInvalidOrder)
	ErrNoProductID     = fmt.Errorf("%w: every line needs a product id", ErrInvalidOrder)
	ErrInvalidQuantity = fmt.Errorf("%w: every line needs a positive quantity", ErrInvalidOrder)
)

// ErrProductHeld is returned for a product that cannot be deleted while it
// holds units for orders.
var ErrProductHeld = errors.New("the product holds units for orders")

// Refusal is the reason an order cannot have its units: an unknown
// product, or not enough of one. It is a decision, not a failure.
type Refusal struct{ Reason string }

func (r Refusal) Error() string { return r.Reason }

// FieldError says why one input field was refused. Fields are named as
// clients name them.
type FieldError struct {
	Field  string
	Reason string
}

// ValidationError lists every refused field of an input.
type ValidationError []FieldError

func (v ValidationError) Error() string {
	parts := make([]string, len(v))
	for i, f := range v {
		parts[i] = f.Field + " " + f.Reason
	}
	return "invalid: " + strings.Join(parts, "; ")
}
