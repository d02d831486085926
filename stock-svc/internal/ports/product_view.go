package ports

import (
	"github.com/example/order-saga/platform/problem"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

type productView struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	PriceCents int64  `json:"priceCents"`
	Available  int    `json:"available"`
	Reserved   int    `json:"reserved"`
}

func viewOf(p inventory.Product) productView {
	return productView{ID: p.ID, Name: p.Name, PriceCents: p.PriceCents, Available: p.Available, Reserved: p.Reserved}
}

// productBody is what PUT /products/{id} accepts. The numbers are pointers
// so that a missing one is told from a zero.
type productBody struct {
	Name       string `json:"name"`
	PriceCents *int64 `json:"priceCents"`
	Available  *int   `json:"available"`
}

// check names every field of the body, and the id, that is missing or
// out of bounds.
func (b productBody) check(id string) []problem.FieldError {
	var missing []problem.FieldError
	var price int64
	var available int
	if b.PriceCents == nil {
		missing = append(missing, problem.FieldError{Field: "priceCents", Detail: "is required"})
	} else {
		price = *b.PriceCents
	}
	if b.Available == nil {
		missing = append(missing, problem.FieldError{Field: "available", Detail: "is required"})
	} else {
		available = *b.Available
	}
	err := inventory.ValidateProduct(id, b.Name, price, available)
	invalid, _ := err.(inventory.ValidationError)
	return append(fieldErrors(invalid), missing...)
}

func fieldErrors(v inventory.ValidationError) []problem.FieldError {
	fields := make([]problem.FieldError, len(v))
	for i, f := range v {
		fields[i] = problem.FieldError{Field: f.Field, Detail: f.Reason}
	}
	return fields
}
