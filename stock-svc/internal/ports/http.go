// Package ports is how stock-svc is called: its catalog API and its event
// subscriptions. Handlers stay thin: decode, call one use case, answer.
package ports

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/example/order-saga/platform/problem"
	"github.com/example/order-saga/stock-svc/internal/app"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 64 << 10

// HTTP serves the catalog API.
type HTTP struct {
	Put    app.PutProductHandler
	Delete app.DeleteProductHandler
	Get    app.GetProductHandler
	List   app.ListProductsHandler
	Log    *slog.Logger
}

// Routes mounts the API on r.
func (h HTTP) Routes(r chi.Router) {
	r.Get("/products", h.listProducts)
	r.Get("/products/{id}", h.getProduct)
	r.Put("/products/{id}", h.putProduct)
	r.Delete("/products/{id}", h.deleteProduct)
}

type productView struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	PriceCents int64  `json:"priceCents"`
	Available  int    `json:"available"`
	Reserved   int    `json:"reserved"`
	Sold       int    `json:"sold"`
}

func viewOf(p inventory.Product) productView {
	return productView{ID: p.ID, Name: p.Name, PriceCents: p.PriceCents, Available: p.Available, Reserved: p.Reserved, Sold: p.Sold}
}

type pageView struct {
	Products []productView `json:"products"`
	Next     string        `json:"next,omitempty"`
}

func (h HTTP) listProducts(w http.ResponseWriter, r *http.Request) {
	q := app.ListProducts{After: r.URL.Query().Get("after"), Limit: app.DefaultPageSize}
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			n = -1 // named as out of bounds by the use case
		}
		q.Limit = n
	}
	products, next, err := h.List.Handle(r.Context(), q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	page := pageView{Products: make([]productView, len(products)), Next: next}
	for i, p := range products {
		page.Products[i] = viewOf(p)
	}
	problem.JSON(w, http.StatusOK, page)
}

func (h HTTP) getProduct(w http.ResponseWriter, r *http.Request) {
	p, err := h.Get.Handle(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	problem.JSON(w, http.StatusOK, viewOf(p))
}

// productBody is what PUT /products/{id} accepts. The numbers are pointers
// so that a missing one is told from a zero.
type productBody struct {
	Name       string `json:"name"`
	PriceCents *int64 `json:"priceCents"`
	Available  *int   `json:"available"`
}

func (h HTTP) putProduct(w http.ResponseWriter, r *http.Request) {
	var body productBody
	if p := problem.DecodeJSON(w, r, MaxBodyBytes, &body); p != nil {
		problem.Write(w, p)
		return
	}
	cmd := app.PutProduct{ID: chi.URLParam(r, "id"), Name: body.Name}
	var missing []problem.FieldError
	if body.PriceCents == nil {
		missing = append(missing, problem.FieldError{Field: "priceCents", Detail: "is required"})
	} else {
		cmd.PriceCents = *body.PriceCents
	}
	if body.Available == nil {
		missing = append(missing, problem.FieldError{Field: "available", Detail: "is required"})
	} else {
		cmd.Available = *body.Available
	}
	if len(missing) > 0 {
		invalid, _ := inventory.ValidateProduct(cmd.ID, cmd.Name, cmd.PriceCents, cmd.Available).(inventory.ValidationError)
		problem.Write(w, problem.Invalid(append(fieldErrors(invalid), missing...)))
		return
	}
	p, err := h.Put.Handle(r.Context(), cmd)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	problem.JSON(w, http.StatusOK, viewOf(p))
}

func (h HTTP) deleteProduct(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	if !inventory.ValidProductID(id) {
		h.fail(w, r, app.ErrProductNotFound)
		return
	}
	if err := h.Delete.Handle(r.Context(), id); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// fail answers err as a problem with a stable slug. The text of an
// unexpected error is logged, never sent.
func (h HTTP) fail(w http.ResponseWriter, r *http.Request, err error) {
	var invalid inventory.ValidationError
	switch {
	case errors.As(err, &invalid):
		problem.Write(w, problem.Invalid(fieldErrors(invalid)))
	case errors.Is(err, app.ErrProductNotFound):
		problem.Write(w, problem.New(http.StatusNotFound, "product-not-found", "no product has this id"))
	case errors.Is(err, inventory.ErrProductHeld):
		problem.Write(w, problem.New(http.StatusConflict, "product-held", "the product holds units for orders not settled yet; try again once they are"))
	default:
		h.Log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		problem.Write(w, problem.New(http.StatusServiceUnavailable, "stock-unavailable", "the stock could not be read or written; try again"))
	}
}

func fieldErrors(v inventory.ValidationError) []problem.FieldError {
	fields := make([]problem.FieldError, len(v))
	for i, f := range v {
		fields[i] = problem.FieldError{Field: f.Field, Detail: f.Reason}
	}
	return fields
}
