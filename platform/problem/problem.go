// Package problem writes errors as RFC 9457 problem details.
package problem

import (
	"encoding/json"
	"net/http"
)

// ContentType of a problem details body.
const ContentType = "application/problem+json"

// FieldError names one invalid field of a request.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Details is the body of an error response. Type is a stable slug that
// clients can switch on; Detail is for people.
type Details struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail,omitempty"`
	Errors []FieldError `json:"errors,omitempty"`
}

// Error lets a Details travel as an error from a use case to the edge.
func (d *Details) Error() string { return d.Title + ": " + d.Detail }

// New returns a problem with a slug, status and detail; the title is the
// status text.
func New(status int, slug, detail string) *Details {
	return &Details{Type: "/problems/" + slug, Title: http.StatusText(status), Status: status, Detail: detail}
}

// Invalid returns a 422 problem naming each bad field.
func Invalid(fields []FieldError) *Details {
	d := New(http.StatusUnprocessableEntity, "validation-failed", "")
	d.Errors = fields
	d.Detail = "invalid fields:"
	for i, f := range fields {
		if i > 0 {
			d.Detail += ";"
		}
		d.Detail += " " + f.Field + " " + f.Detail
	}
	return d
}

// Write sends d as the response.
func Write(w http.ResponseWriter, d *Details) {
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(d.Status)
	_ = json.NewEncoder(w).Encode(d)
}
