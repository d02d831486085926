// Package service wires stock-svc together: it is the composition root.
package service

import (
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/frame"
	"github.com/example/order-saga/platform/pubsub"
	"github.com/example/order-saga/stock-svc/internal/adapters"
	"github.com/example/order-saga/stock-svc/internal/app"
	"github.com/example/order-saga/stock-svc/internal/ports"
)

// New builds stock-svc: its frame, routes, subscriptions and use cases,
// ready to Run. The starter catalog is seeded on the side once the sidecar
// answers, and the service is not ready before.
func New(cfg frame.Config) (*frame.App, error) {
	if err := cfg.RequireAdminToken(); err != nil {
		return nil, err
	}
	a, err := frame.New(cfg, contracts.StockStore)
	if err != nil {
		return nil, err
	}
	products := adapters.NewProductRepository(a.Dapr, contracts.StockStore)
	stock := app.Stock{
		Products:     products,
		Reservations: adapters.NewReservationRepository(a.Dapr, contracts.StockStore),
		Events:       adapters.EventPublisher{Publisher: pubsub.NewPublisher(a.Dapr, contracts.PubSub)},
		Metrics:      adapters.NewMetrics(a.Metrics),
		Log:          a.Log,
		Now:          time.Now,
	}

	ports.HTTP{
		Put:    app.PutProductHandler{Stock: stock},
		Delete: app.DeleteProductHandler{Stock: stock},
		Get:    app.GetProductHandler{Products: products},
		List:   app.ListProductsHandler{Products: products},
		Log:    a.Log,
		// Only the catalog's owner changes it.
		AdminToken: cfg.AdminToken,
	}.Routes(a.Router)
	ports.Events{
		Reserve: app.ReserveStockHandler{Stock: stock},
		Refuse:  app.RefuseOrderHandler{Stock: stock},
		Settle:  app.SettleStockHandler{Stock: stock},
	}.Subscribe(a.Events)

	seedOnRun(a, app.SeedCatalogHandler{Stock: stock})
	return a, nil
}
