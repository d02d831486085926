// Package ports is how order-svc is called: its HTTP API and its event
// subscriptions. Handlers stay thin: decode, call one use case, answer.
package ports

import (
	"errors"
	"log/slog"
	"net/http"
	"time"
	"unicode"

	"github.com/go-chi/chi/v5"

	"github.com/example/order-saga/order-svc/internal/app"
	"github.com/example/order-saga/order-svc/internal/domain/order"
	"github.com/example/order-saga/platform/problem"
)

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 64 << 10

// HTTP serves the orders API.
type HTTP struct {
	Place app.PlaceOrderHandler
	Get   app.GetOrderHandler
	Log   *slog.Logger
}

// Routes mounts the API on r.
func (h HTTP) Routes(r chi.Router) {
	r.Post("/orders", h.placeOrder)
	r.Get("/orders/{id}", h.getOrder)
}

type placeOrderRequest struct {
	CustomerID string       `json:"customerId"`
	Items      []order.Item `json:"items"`
}

func (h HTTP) placeOrder(w http.ResponseWriter, r *http.Request) {
	var req placeOrderRequest
	if p := problem.DecodeJSON(w, r, MaxBodyBytes, &req); p != nil {
		problem.Write(w, p)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if !validKey(key) {
		problem.Write(w, problem.Invalid([]problem.FieldError{{Field: "Idempotency-Key", Detail: "must be 1 to 255 printable ASCII characters"}}))
		return
	}
	o, replayed, err := h.Place.Handle(r.Context(), app.PlaceOrder{CustomerID: req.CustomerID, Items: req.Items, IdempotencyKey: key})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/orders/"+o.ID)
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	problem.JSON(w, http.StatusAccepted, view(o))
}

// MaxWait bounds how long GET /orders/{id}?wait= holds a request.
const MaxWait = 30 * time.Second

func (h HTTP) getOrder(w http.ResponseWriter, r *http.Request) {
	var wait time.Duration
	if s := r.URL.Query().Get("wait"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 || d > MaxWait {
			problem.Write(w, problem.Invalid([]problem.FieldError{{Field: "wait", Detail: "must be a duration between 0s and 30s, such as 5s"}}))
			return
		}
		wait = d
	}
	o, err := h.Get.Handle(r.Context(), chi.URLParam(r, "id"), wait)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	problem.JSON(w, http.StatusOK, view(o))
}

// fail maps a use-case error to its problem; the raw error is only logged.
func (h HTTP) fail(w http.ResponseWriter, r *http.Request, err error) {
	var invalid *app.InvalidOrderError
	switch {
	case errors.As(err, &invalid):
		fields := make([]problem.FieldError, len(invalid.Fields))
		for i, f := range invalid.Fields {
			fields[i] = problem.FieldError{Field: f.Field, Detail: f.Detail}
		}
		problem.Write(w, problem.Invalid(fields))
	case errors.Is(err, app.ErrKeyReused):
		problem.Write(w, problem.New(http.StatusUnprocessableEntity, "idempotency-key-reused", "this Idempotency-Key was used with a different request"))
	case errors.Is(err, order.ErrNotFound):
		problem.Write(w, problem.New(http.StatusNotFound, "order-not-found", "no order has this id"))
	default:
		h.Log.ErrorContext(r.Context(), "request failed", "error", err)
		problem.Write(w, problem.New(http.StatusServiceUnavailable, "unavailable", "the order could not be processed now; retry with the same Idempotency-Key"))
	}
}

// validKey accepts an absent key or 1 to 255 printable ASCII characters.
func validKey(k string) bool {
	if len(k) > 255 {
		return false
	}
	for _, c := range k {
		if c > unicode.MaxASCII || !unicode.IsPrint(c) {
			return false
		}
	}
	return true
}
