package inventory

// Status is where the reservation of an order stands.
type Status string

const (
	// StatusReserved: every unit of the order is held for it.
	StatusReserved Status = "RESERVED"
	// StatusFailed: some unit could not be held, so none was.
	StatusFailed Status = "FAILED"
	// StatusSold: the order was paid and its units left the stock.
	StatusSold Status = "SOLD"
	// StatusReleased: the order was canceled and its units went back.
	StatusReleased Status = "RELEASED"
)

// Line is a quantity of one product.
type Line struct {
	ProductID string
	Quantity  int
}
