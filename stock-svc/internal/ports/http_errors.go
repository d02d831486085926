package ports

import (
	"errors"
	"net/http"

	"github.com/example/order-saga/platform/problem"
	"github.com/example/order-saga/stock-svc/internal/app"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// writeError answers err as a problem with a stable slug. The text of an
// unexpected error is logged, never sent.
func (h HTTP) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var invalid inventory.ValidationError
	switch {
	case errors.As(err, &invalid):
		problem.Write(w, problem.Invalid(fieldErrors(invalid)))
	case errors.Is(err, app.ErrProductNotFound):
		problem.Write(w, problem.New(http.StatusNotFound, "product-not-found", "no product has this id"))
	default:
		h.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		problem.Write(w, problem.New(http.StatusServiceUnavailable, "stock-unavailable", "the stock could not be read or written; try again"))
	}
}
