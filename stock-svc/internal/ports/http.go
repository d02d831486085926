// Package ports is how stock-svc is called: its catalog API and its event
// subscriptions. Handlers stay thin: decode, call one use case, answer.
package ports

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/example/order-saga/platform/web"
	"github.com/example/order-saga/stock-svc/internal/app"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// HTTP serves the catalog API.
type HTTP struct {
	Put    app.PutProductHandler
	Delete app.DeleteProductHandler
	Get    app.GetProductHandler
	List   app.ListProductsHandler
	Log    *slog.Logger
	// AdminToken is the bearer token that PUT and DELETE need.
	AdminToken string
}

// Routes mounts the API on r.
func (h HTTP) Routes(r chi.Router) {
	r.Get("/products", web.Handle(h.Log, h.listProducts))
	r.Get("/products/{id}", web.Handle(h.Log, h.getProduct))
	admin := r.With(web.RequireToken(web.BearerToken, h.AdminToken))
	admin.Put("/products/{id}", web.Handle(h.Log, h.putProduct))
	admin.Delete("/products/{id}", web.Handle(h.Log, h.deleteProduct))
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

func (h HTTP) listProducts(w http.ResponseWriter, r *http.Request) error {
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
		return err
	}
	page := pageView{Products: make([]productView, len(products)), Next: next}
	for i, p := range products {
		page.Products[i] = viewOf(p)
	}
	web.JSON(w, http.StatusOK, page)
	return nil
}

func (h HTTP) getProduct(w http.ResponseWriter, r *http.Request) error {
	p, err := h.Get.Handle(r.Context(), app.GetProduct{ID: chi.URLParam(r, "id")})
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, viewOf(p))
	return nil
}

// productBody is what PUT /products/{id} accepts. The numbers are pointers
// so that a missing one is told from a zero.
type productBody struct {
	Name       string `json:"name"`
	PriceCents *int64 `json:"priceCents"`
	Available  *int   `json:"available"`
}

func (h HTTP) putProduct(w http.ResponseWriter, r *http.Request) error {
	var body productBody
	if err := web.Decode(w, r, &body); err != nil {
		return err
	}
	p, err := h.Put.Handle(r.Context(), app.PutProduct{
		ID: chi.URLParam(r, "id"), Name: body.Name, PriceCents: body.PriceCents, Available: body.Available,
	})
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, viewOf(p))
	return nil
}

func (h HTTP) deleteProduct(w http.ResponseWriter, r *http.Request) error {
	if err := h.Delete.Handle(r.Context(), app.DeleteProduct{ID: chi.URLParam(r, "id")}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
