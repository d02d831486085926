package ports

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/example/order-saga/platform/problem"
)

type paymentResponse struct {
	OrderID     string `json:"orderId"`
	CustomerID  string `json:"customerId"`
	AmountCents int64  `json:"amountCents"`
	Status      string `json:"status"`
	Reason      string `json:"reason"`
}

func (h httpAPI) getPayment(w http.ResponseWriter, r *http.Request) {
	p, err := h.app.GetPayment.Handle(r.Context(), chi.URLParam(r, "orderId"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	problem.JSON(w, http.StatusOK, paymentResponse{
		OrderID: p.OrderID, CustomerID: p.CustomerID, AmountCents: p.AmountCents, Status: string(p.Status), Reason: p.Reason,
	})
}
