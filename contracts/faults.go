package contracts

// Fault points: where a test may crash a service on purpose (SAGA_CRASH_AT
// names one), to prove that a process dying between two steps loses
// nothing. They are named here so that the services and the tests agree.
const (
	// FaultOrderBeforePersist: OrderCreated is published, the order not
	// stored yet.
	FaultOrderBeforePersist = "order.before-persist"
	// FaultStockMidReservation: the first product of an order holds its
	// units, the others do not yet.
	FaultStockMidReservation = "stock.mid-reservation"
	// FaultStockBeforePublish: the stock decision is recorded, not
	// announced yet.
	FaultStockBeforePublish = "stock.before-publish"
	// FaultStockBeforeSettling: the outcome of a payment is recorded, the
	// products do not follow it yet.
	FaultStockBeforeSettling = "stock.before-settling"
	// FaultPaymentBeforePublish: the payment is recorded, not announced
	// yet.
	FaultPaymentBeforePublish = "payment.before-publish"
)
