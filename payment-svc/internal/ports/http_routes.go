// Package ports turns HTTP requests and events into calls of the use cases.
package ports

import (
	"log/slog"

	"github.com/go-chi/chi/v5"

	"github.com/example/order-saga/payment-svc/internal/app"
)

// maxBodyBytes bounds every request body.
const maxBodyBytes = 64 << 10

// httpAPI serves the payment API.
type httpAPI struct {
	app app.Application
	log *slog.Logger
}

// Routes adds the payment API to r.
func Routes(r chi.Router, application app.Application, log *slog.Logger) {
	h := httpAPI{app: application, log: log}
	r.Get("/wallets/{customerId}", h.getWallet)
	r.Put("/wallets/{customerId}", h.putWallet)
	r.Get("/payments/{orderId}", h.getPayment)
}
