// Package problem writes errors as RFC 9457 problem details.
package problem

import (
	"encoding/json"
	"net/http"

	"github.com/example/order-saga/contracts"
)

// ContentType of a problem details body.
const ContentType = "application/problem+json"

// Details is the body of an error response. Type is a stable slug that
// clients can switch on; Detail is for people; Errors names each invalid
// field.
type Details struct {
	Type   string                 `json:"type"`
	Title  string                 `json:"title"`
	Status int                    `json:"status"`
	Detail string                 `json:"detail,omitempty"`
	Errors []contracts.FieldError `json:"errors,omitempty"`
}

// Error lets a Details travel as an error from a use case to the edge.
func (d *Details) Error() string { return d.Title + ": " + d.Detail }

// New returns a problem with a slug, status and detail; the title is the
// status text.
func New(status int, slug, detail string) *Details {
	return &Details{Type: "/problems/" + slug, Title: http.StatusText(status), Status: status, Detail: detail}
}

// Invalid returns a 422 problem naming each bad field.
func Invalid(fields []contracts.FieldError) *Details {
	d := New(http.StatusUnprocessableEntity, "validation-failed", "invalid fields: "+contracts.FieldErrors(fields).String())
	d.Errors = fields
	return d
}

// Write sends d as the response.
func Write(w http.ResponseWriter, d *Details) {
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(d.Status)
	_ = json.NewEncoder(w).Encode(d)
}
