// Command payment-svc charges customers' wallets for the orders whose
// stock is reserved, and announces each payment on the payments topic.
package main

import (
	"fmt"
	"os"

	"github.com/example/order-saga/contracts"
	platform "github.com/example/order-saga/platform/app"

	"github.com/example/order-saga/payment-svc/internal/service"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "payment-svc:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := platform.LoadConfig(contracts.AppPayment, 8083)
	if err != nil {
		return err
	}
	balance, err := platform.EnvInt64("PAYMENT_DEFAULT_BALANCE_CENTS", 100000)
	if err != nil {
		return err
	}
	svc, err := service.New(service.Config{App: cfg, DefaultBalanceCents: balance})
	if err != nil {
		return err
	}
	return svc.Run()
}
