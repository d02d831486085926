// Package ports is how payment-svc is called: its HTTP API and its event
// subscriptions. Each route and each event calls one use case.
package ports

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/payment-svc/internal/app"
	"github.com/example/order-saga/platform/web"
)

// HTTP serves the wallets and payments API.
type HTTP struct {
	SetBalance app.SetBalanceHandler
	GetWallet  app.GetWalletHandler
	GetPayment app.GetPaymentHandler
	Log        *slog.Logger
	// AdminToken is the bearer token that PUT needs.
	AdminToken string
}

// Routes mounts the API on r.
func (h HTTP) Routes(r chi.Router) {
	r.Get("/wallets/{customerId}", web.Handle(h.Log, h.getWallet))
	r.With(web.RequireToken(web.BearerToken, h.AdminToken)).Put("/wallets/{customerId}", web.Handle(h.Log, h.putWallet))
	r.Get("/payments/{orderId}", web.Handle(h.Log, h.getPayment))
}

type walletResponse struct {
	CustomerID   string `json:"customerId"`
	BalanceCents int64  `json:"balanceCents"`
}

type putWalletRequest struct {
	// A pointer, so that a missing balance is told from a zero one.
	BalanceCents *int64 `json:"balanceCents"`
}

type paymentResponse struct {
	OrderID     string `json:"orderId"`
	CustomerID  string `json:"customerId"`
	AmountCents int64  `json:"amountCents"`
	Status      string `json:"status"`
	Reason      string `json:"reason"`
}

func (h HTTP) getWallet(w http.ResponseWriter, r *http.Request) error {
	customerID, err := customerIDParam(r)
	if err != nil {
		return err
	}
	wl, err := h.GetWallet.Handle(r.Context(), customerID)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, walletResponse{CustomerID: customerID, BalanceCents: wl.BalanceCents()})
	return nil
}

func (h HTTP) putWallet(w http.ResponseWriter, r *http.Request) error {
	customerID, err := customerIDParam(r)
	if err != nil {
		return err
	}
	var req putWalletRequest
	if err := web.Decode(w, r, &req); err != nil {
		return err
	}
	if req.BalanceCents == nil {
		return contracts.Invalid(contracts.FieldError{Field: "balanceCents", Detail: "is required"})
	}
	wl, err := h.SetBalance.Handle(r.Context(), app.SetBalance{CustomerID: customerID, BalanceCents: *req.BalanceCents})
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, walletResponse{CustomerID: customerID, BalanceCents: wl.BalanceCents()})
	return nil
}

func (h HTTP) getPayment(w http.ResponseWriter, r *http.Request) error {
	p, err := h.GetPayment.Handle(r.Context(), chi.URLParam(r, "orderId"))
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, paymentResponse{
		OrderID: p.OrderID, CustomerID: p.CustomerID, AmountCents: p.AmountCents, Status: string(p.Status), Reason: p.Reason,
	})
	return nil
}

// customerIDParam is the {customerId} of the path, which must name a
// customer.
func customerIDParam(r *http.Request) (string, error) {
	id := chi.URLParam(r, "customerId")
	if !contracts.ValidCustomerID(id) {
		return "", contracts.Invalid(contracts.FieldError{Field: "customerId", Detail: contracts.CustomerIDRule})
	}
	return id, nil
}
