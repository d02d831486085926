// Package ports lets HTTP requests and events call in to the application.
package ports

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/example/order-saga/platform/problem"
	"github.com/example/order-saga/stock-svc/internal/app"
)

// maxProductBody bounds the body of a product.
const maxProductBody = 64 << 10

// HTTP serves the product catalog.
type HTTP struct {
	app *app.Application
	log *slog.Logger
}

// NewHTTP returns the HTTP port of application.
func NewHTTP(application *app.Application, log *slog.Logger) HTTP {
	return HTTP{app: application, log: log}
}

// Register adds the catalog routes to r.
func (h HTTP) Register(r chi.Router) {
	r.Get("/products", h.listProducts)
	r.Get("/products/{id}", h.getProduct)
	r.Put("/products/{id}", h.putProduct)
}

func (h HTTP) listProducts(w http.ResponseWriter, r *http.Request) {
	products, err := h.app.Products(r.Context())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	views := make([]productView, len(products))
	for i, p := range products {
		views[i] = viewOf(p)
	}
	problem.JSON(w, http.StatusOK, views)
}

func (h HTTP) getProduct(w http.ResponseWriter, r *http.Request) {
	p, err := h.app.Product(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	problem.JSON(w, http.StatusOK, viewOf(p))
}

func (h HTTP) putProduct(w http.ResponseWriter, r *http.Request) {
	var body productBody
	if p := problem.DecodeJSON(w, r, maxProductBody, &body); p != nil {
		problem.Write(w, p)
		return
	}
	id := chi.URLParam(r, "id")
	if fields := body.check(id); len(fields) > 0 {
		problem.Write(w, problem.Invalid(fields))
		return
	}
	p, err := h.app.PutProduct(r.Context(), id, body.Name, *body.PriceCents, *body.Available)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	problem.JSON(w, http.StatusOK, viewOf(p))
}
