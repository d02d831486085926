// Command stock-svc keeps the stock of the shop: it reserves the units of
// new orders, sells them once paid and releases them when payment fails.
package main

import (
	"fmt"
	"os"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/app"
	"github.com/example/order-saga/stock-svc/internal/service"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "stock-svc:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := app.LoadConfig(contracts.AppStock, 8082)
	if err != nil {
		return err
	}
	svc, err := service.New(cfg)
	if err != nil {
		return err
	}
	return svc.Run()
}
