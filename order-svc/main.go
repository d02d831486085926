// Command order-svc accepts orders and follows each one through the saga.
package main

import (
	"fmt"
	"os"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/order-svc/internal/service"
	"github.com/example/order-saga/platform/app"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "order-svc:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := app.LoadConfig(contracts.AppOrder, 8081)
	if err != nil {
		return err
	}
	svc, err := service.New(cfg)
	if err != nil {
		return err
	}
	return svc.Run()
}
