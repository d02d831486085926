package ports

import (
	"net/http"
	"regexp"

	"github.com/go-chi/chi/v5"

	"github.com/example/order-saga/payment-svc/internal/app"
	"github.com/example/order-saga/platform/problem"
)

var customerIDPattern = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

type walletResponse struct {
	CustomerID   string `json:"customerId"`
	BalanceCents int64  `json:"balanceCents"`
}

type putWalletRequest struct {
	// A pointer, so that a missing balance is told from a zero one.
	BalanceCents *int64 `json:"balanceCents"`
}

func (h httpAPI) getWallet(w http.ResponseWriter, r *http.Request) {
	customerID, ok := customerIDParam(w, r)
	if !ok {
		return
	}
	view, err := h.app.GetWallet.Handle(r.Context(), customerID)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	problem.JSON(w, http.StatusOK, walletResponse{CustomerID: view.CustomerID, BalanceCents: view.BalanceCents})
}

func (h httpAPI) putWallet(w http.ResponseWriter, r *http.Request) {
	customerID, ok := customerIDParam(w, r)
	if !ok {
		return
	}
	var req putWalletRequest
	if p := problem.DecodeJSON(w, r, maxBodyBytes, &req); p != nil {
		problem.Write(w, p)
		return
	}
	if req.BalanceCents == nil {
		problem.Write(w, problem.Invalid([]problem.FieldError{{Field: "balanceCents", Detail: "is required"}}))
		return
	}
	view, err := h.app.SetBalance.Handle(r.Context(), app.SetBalance{CustomerID: customerID, BalanceCents: *req.BalanceCents})
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	problem.JSON(w, http.StatusOK, walletResponse{CustomerID: view.CustomerID, BalanceCents: view.BalanceCents})
}

func customerIDParam(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := chi.URLParam(r, "customerId")
	if !customerIDPattern.MatchString(id) {
		problem.Write(w, problem.Invalid([]problem.FieldError{{Field: "customerId", Detail: "must be 1 to 64 letters, digits or . _ @ -"}}))
		return "", false
	}
	return id, true
}
