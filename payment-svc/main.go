// Command payment-svc charges customers' wallets for the orders whose
// stock is reserved, and announces each payment on the payments topic.
package main

import (
	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/payment-svc/internal/service"
	"github.com/example/order-saga/platform/frame"
)

func main() { frame.Main(contracts.AppPayment, contracts.PortPayment, service.New) }
