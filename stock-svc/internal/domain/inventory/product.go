package inventory

import (
	"fmt"
	"regexp"
	"unicode/utf8"
)

// Limits of a product.
const (
	MaxNameLength = 200
	MaxPriceCents = 100_000_000
	MaxAvailable  = 1_000_000_000
)

var productID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Product is a copy of one product of the catalog. Available units can be
// reserved; reserved units are held for orders that are not paid yet.
type Product struct {
	ID         string
	Name       string
	PriceCents int64
	Available  int
	Reserved   int
}

// ValidateProduct tells every field that a product cannot have.
func ValidateProduct(id, name string, priceCents int64, available int) error {
	var errs ValidationError
	if !productID.MatchString(id) {
		errs = append(errs, FieldError{"id", "must be 1 to 64 letters, digits, '.', '_' or '-'"})
	}
	if n := utf8.RuneCountInString(name); n < 1 || n > MaxNameLength {
		errs = append(errs, FieldError{"name", fmt.Sprintf("must be 1 to %d characters", MaxNameLength)})
	}
	if priceCents < 0 || priceCents > MaxPriceCents {
		errs = append(errs, FieldError{"priceCents", fmt.Sprintf("must be 0 to %d", MaxPriceCents)})
	}
	if available < 0 || available > MaxAvailable {
		errs = append(errs, FieldError{"available", fmt.Sprintf("must be 0 to %d", MaxAvailable)})
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}
