// Command order-svc accepts orders and follows each one through the saga.
package main

import (
	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/order-svc/internal/service"
	"github.com/example/order-saga/platform/frame"
)

func main() { frame.Main(contracts.AppOrder, contracts.PortOrder, service.New) }
