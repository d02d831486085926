package ports

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/example/order-saga/platform/problem"

	"github.com/example/order-saga/payment-svc/internal/app"
	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
)

// writeError is the one place where a use case's error becomes a problem.
// Error text never reaches the client; unknown errors are logged.
func (h httpAPI) writeError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, wallet.ErrBalanceOutOfRange):
		problem.Write(w, problem.Invalid([]problem.FieldError{{Field: "balanceCents", Detail: fmt.Sprintf("must be between 0 and %d", wallet.MaxBalanceCents)}}))
	case errors.Is(err, app.ErrPaymentNotFound):
		problem.Write(w, problem.New(http.StatusNotFound, "payment-not-found", "no payment is recorded for this order"))
	default:
		h.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		problem.Write(w, problem.New(http.StatusInternalServerError, "internal", "the request could not be completed"))
	}
}
