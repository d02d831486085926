module github.com/example/order-saga/contracts

go 1.26.0
