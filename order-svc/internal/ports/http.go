// Package ports is how order-svc is called: its HTTP API and its event
// subscriptions. Handlers stay thin: decode, call one use case, answer.
package ports

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/order-svc/internal/app"
	"github.com/example/order-saga/order-svc/internal/domain/order"
	"github.com/example/order-saga/platform/web"
)

// HTTP serves the orders API.
type HTTP struct {
	Place app.PlaceOrderHandler
	Get   app.GetOrderHandler
	Log   *slog.Logger
}

// Routes mounts the API on r.
func (h HTTP) Routes(r chi.Router) {
	r.Post("/orders", web.Handle(h.Log, h.placeOrder))
	r.Get("/orders/{id}", web.Handle(h.Log, h.getOrder))
}

type placeOrderRequest struct {
	CustomerID string     `json:"customerId"`
	Items      []itemView `json:"items"`
}

func (h HTTP) placeOrder(w http.ResponseWriter, r *http.Request) error {
	var req placeOrderRequest
	if err := web.Decode(w, r, &req); err != nil {
		return err
	}
	items := make([]order.Item, len(req.Items))
	for i, it := range req.Items {
		items[i] = order.Item(it)
	}
	o, replayed, err := h.Place.Handle(r.Context(), app.PlaceOrder{
		CustomerID: req.CustomerID, Items: items, IdempotencyKey: r.Header.Get("Idempotency-Key"),
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/orders/"+o.ID)
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	web.JSON(w, http.StatusAccepted, view(o))
	return nil
}

// MaxWait bounds how long GET /orders/{id}?wait= holds a request.
const MaxWait = 30 * time.Second

var errInvalidWait = contracts.Invalid(contracts.FieldError{Field: "wait", Detail: "must be a duration between 0s and 30s, such as 5s"})

func (h HTTP) getOrder(w http.ResponseWriter, r *http.Request) error {
	q := app.GetOrder{ID: chi.URLParam(r, "id")}
	if s := r.URL.Query().Get("wait"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 || d > MaxWait {
			return errInvalidWait
		}
		q.Wait = d
	}
	o, err := h.Get.Handle(r.Context(), q)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, view(o))
	return nil
}

// orderView is an order as the API shows it.
type orderView struct {
	ID         string           `json:"id"`
	CustomerID string           `json:"customerId"`
	Items      []itemView       `json:"items"`
	Status     order.Status     `json:"status"`
	Reason     string           `json:"reason"`
	TotalCents int64            `json:"totalCents"`
	Deadline   time.Time        `json:"deadline,omitzero"`
	Refunded   int64            `json:"refundedCents,omitempty"`
	CreatedAt  time.Time        `json:"createdAt"`
	UpdatedAt  time.Time        `json:"updatedAt"`
	History    []transitionView `json:"history"`
}

// The views of an order's parts have the fields of the domain types, so
// each converts from its domain type as it is.
type (
	itemView struct {
		ProductID string `json:"productId"`
		Quantity  int    `json:"quantity"`
	}
	transitionView struct {
		Status order.Status `json:"status"`
		At     time.Time    `json:"at"`
		Reason string       `json:"reason,omitempty"`
	}
)

func view(o order.Order) orderView {
	v := orderView{
		ID: o.ID, CustomerID: o.CustomerID, Status: o.Status, Reason: o.Reason, TotalCents: o.TotalCents,
		Deadline: o.Deadline, Refunded: o.RefundedCents, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
		Items: make([]itemView, len(o.Items)), History: make([]transitionView, len(o.History)),
	}
	for i, it := range o.Items {
		v.Items[i] = itemView(it)
	}
	for i, t := range o.History {
		v.History[i] = transitionView(t)
	}
	return v
}
