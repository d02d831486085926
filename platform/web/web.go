// Package web is how every service answers HTTP: handlers return an error,
// and one table turns its kind into a status and a problem type.
package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/problem"
)

// HandlerFunc serves one request: it writes the answer when it succeeds,
// and returns the error otherwise, for Handle to answer.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handle adapts h to net/http, answering its errors with Fail.
func Handle(log *slog.Logger, h HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			Fail(w, r, log, err)
		}
	}
}

// statusOf is the HTTP status of each kind of error.
var statusOf = map[contracts.Kind]int{
	contracts.KindInvalid:     http.StatusUnprocessableEntity,
	contracts.KindNotFound:    http.StatusNotFound,
	contracts.KindConflict:    http.StatusConflict,
	contracts.KindUnavailable: http.StatusServiceUnavailable,
	contracts.KindBusy:        http.StatusTooManyRequests,
}

// Fail answers err as a problem. An error of a known kind gets the status
// of its kind and its own type; a problem is sent as it is; anything else
// is a fault of the service: one 500, its text logged and never sent.
func Fail(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var p *problem.Details
	if errors.As(err, &p) {
		problem.Write(w, p)
		return
	}
	var e *contracts.Error
	if errors.As(err, &e) {
		status, known := statusOf[e.Kind]
		if known {
			if e.Kind == contracts.KindBusy {
				w.Header().Set("Retry-After", "1")
			}
			if e.Kind == contracts.KindUnavailable {
				log.WarnContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "error", err)
			}
			if e.Kind == contracts.KindInvalid && len(e.Fields) > 0 {
				p = problem.Invalid(e.Fields)
			} else {
				p = problem.New(status, e.Type, e.Detail)
			}
			problem.Write(w, p)
			return
		}
	}
	log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	problem.Write(w, problem.New(http.StatusInternalServerError, "internal", "the request could not be completed"))
}

// JSON answers with status and v as JSON.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
