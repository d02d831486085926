package ports

import (
	"errors"
	"fmt"
	"strings"

	"github.com/example/order-saga/contracts"
)

// Bounds of an order as the stock accepts it.
const (
	maxItems    = 100
	maxQuantity = 10_000
)

func validateOrderCreated(e *contracts.OrderCreated) error {
	var problems []string
	if err := validateOrderID(e.OrderID); err != nil {
		problems = append(problems, err.Error())
	}
	if e.CustomerID == "" {
		problems = append(problems, "customerId is required")
	}
	if n := len(e.Items); n < 1 || n > maxItems {
		problems = append(problems, fmt.Sprintf("items must hold 1 to %d lines, not %d", maxItems, n))
	}
	for i, it := range e.Items {
		if it.ProductID == "" {
			problems = append(problems, fmt.Sprintf("items[%d].productId is required", i))
		}
		if it.Quantity < 1 || it.Quantity > maxQuantity {
			problems = append(problems, fmt.Sprintf("items[%d].quantity must be 1 to %d", i, maxQuantity))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// validateOrderID refuses an order id that cannot be part of a state key:
// Dapr refuses keys that hold its own separator "||".
func validateOrderID(id string) error {
	switch {
	case id == "":
		return errors.New("orderId is required")
	case strings.Contains(id, "||"):
		return errors.New(`orderId must not contain "||"`)
	}
	return nil
}
