// Command stock-svc keeps the stock of the shop: it reserves the units of
// new orders, sells them once paid and releases them when payment fails.
package main

import (
	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/frame"
	"github.com/example/order-saga/stock-svc/internal/service"
)

func main() { frame.Main(contracts.AppStock, contracts.PortStock, service.New) }
