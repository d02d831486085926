// Package contracts holds what the services agree on over the wire: event
// types and their rules, topic and component names, ports, and the kinds
// of error every service answers the same way. It uses only the standard
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

// Default HTTP ports of the three services (PORT overrides them). The
// manifests, the local runner and the images use the same ones.
const (
	PortOrder   = 8081
	PortStock   = 8082
	PortPayment = 8083
)

// DefaultPort is the default port of the service with the app id app, 0
// for an app id that is not one of the three.
func DefaultPort(app string) int {
	switch app {
	case AppOrder:
		return PortOrder
	case AppStock:
		return PortStock
	case AppPayment:
		return PortPayment
	}
	return 0
}
