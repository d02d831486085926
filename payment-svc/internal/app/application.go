// Package app holds the use cases of the payment service, one per file.
package app

// Application is every use case, as the ports call them.
type Application struct {
	ChargeOrder ChargeOrderHandler
	SetBalance  SetBalanceHandler
	GetWallet   GetWalletHandler
	GetPayment  GetPaymentHandler
}
