package ports

import (
	"context"
	"errors"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/pubsub"

	"github.com/example/order-saga/payment-svc/internal/app"
)

// StockEvents handles the stock topic. Only StockReserved concerns
// payments; every other type is acknowledged and ignored.
func StockEvents(application app.Application) pubsub.Handler {
	return func(ctx context.Context, eventType string, data []byte) error {
		if eventType != contracts.TypeStockReserved {
			return nil
		}
		e, err := pubsub.Decode(data, validateStockReserved)
		if err != nil {
			return err
		}
		return application.ChargeOrder.Handle(ctx, app.ChargeOrder{OrderID: e.OrderID, CustomerID: e.CustomerID, TotalCents: e.TotalCents})
	}
}

func validateStockReserved(e *contracts.StockReserved) error {
	var errs []error
	if e.OrderID == "" {
		errs = append(errs, errors.New("orderId is empty"))
	}
	if e.CustomerID == "" {
		errs = append(errs, errors.New("customerId is empty"))
	}
	if e.TotalCents < 0 {
		errs = append(errs, errors.New("totalCents is negative"))
	}
	if len(e.Items) == 0 {
		errs = append(errs, errors.New("items is empty"))
	}
	return errors.Join(errs...)
}
