// Package contracts holds what the services agree on over the wire: event
// types, topic names and Dapr component names. It uses only the standard
// library so that any service, tool or test can import it.
package contracts

// Dapr component names. They must match the metadata.name of the component
// YAMLs in dapr/components and k8s/.
const (
	PubSub       = "pubsub"
	OrderStore   = "orderstore"
	StockStore   = "stockstore"
	PaymentStore = "paymentstore"
)

// Topics, one per producing service, plus the dead-letter topic that Dapr
// sends dropped or undeliverable messages to.
const (
	TopicOrders      = "orders"
	TopicStock       = "stock"
	TopicPayments    = "payments"
	TopicDeadLetters = "deadletters"
)

// App ids of the three services, as their sidecars know them.
const (
	AppOrder   = "order-svc"
	AppStock   = "stock-svc"
	AppPayment = "payment-svc"
)
