package inventory

import (
	"maps"
	"slices"
	"time"

	"github.com/example/order-saga/contracts"
)

// Status is where the reservation of an order stands.
type Status string

const (
	// StatusReserving: the order is known and its units are being held,
	// product by product.
	StatusReserving Status = "RESERVING"
	// StatusReserved: every unit of the order is held for it.
	StatusReserved Status = "RESERVED"
	// StatusFailed: some unit could not be held, so none is kept.
	StatusFailed Status = "FAILED"
	// StatusSold: the order was paid and its units left the stock.
	StatusSold Status = "SOLD"
	// StatusReleased: the payment failed, or the order was canceled, and
	// the units went back.
	StatusReleased Status = "RELEASED"
	// StatusReturned: the order was canceled after its units were sold,
	// and they came back to the stock.
	StatusReturned Status = "RETURNED"
)

// Canceled is the reason of an order refused because order-svc canceled
// it before the stock decided.
const Canceled = "order canceled"

// Line is a quantity of one product.
type Line struct {
	ProductID string
	Quantity  int
}

// Reservation is the record of one order in the stock: written first, as
// the intent to hold its units, then the decision, then what became of
// the units. It is the one place that says what the order got; every
// handler of the order, whenever it comes, acts on what it records.
//
// It moves only forward: RESERVING to RESERVED or FAILED, RESERVED to
// SOLD or RELEASED, and SOLD to RETURNED when order-svc cancels an order
// it never saw paid. Each move is one ETag-checked write, so of two
// handlers that decide apart, the first to write decides.
type Reservation struct {
	OrderID    string
	CustomerID string
	Status     Status
	Lines      []Line
	// Holds names, once RESERVED, the hold each product keeps for the
	// order, by product id: the one the reservation stands for.
	Holds      map[string]string
	TotalCents int64
	Reason     string
	DecidedAt  time.Time
	SettledAt  time.Time
	// Deadline is the order's: no unit is held for it after that.
	Deadline time.Time
	// CanceledByOrder: order-svc canceled the order (OrderCanceled), and
	// what it held or sold went back for that.
	CanceledByOrder bool
}

// NewReservation returns the intent to hold the units of an order. An
// order that breaks the rules of every order (contracts.ValidateOrder) is
// refused as invalid, naming its bad fields: no decision can be taken on
// it, and a line of no units, or of fewer, would break the invariants of
// its products.
func NewReservation(orderID, customerID string, lines []Line) (Reservation, error) {
	if !contracts.ValidID(orderID) {
		return Reservation{}, contracts.Invalid(contracts.FieldError{Field: "orderId", Detail: contracts.IDRule})
	}
	items := make([]contracts.Item, len(lines))
	for i, l := range lines {
		items[i] = contracts.Item{ProductID: l.ProductID, Quantity: l.Quantity}
	}
	if err := contracts.ValidateOrder(customerID, items); err != nil {
		return Reservation{}, err
	}
	return Reservation{OrderID: orderID, CustomerID: customerID, Status: StatusReserving, Lines: slices.Clone(lines)}, nil
}

// RefusedReservation is the record of an order refused at once, before
// any unit was held: one whose creation could not be handled. It asks for
// nothing, so it holds nothing.
func RefusedReservation(orderID, reason string, at time.Time) Reservation {
	return Reservation{OrderID: orderID, Status: StatusFailed, Reason: reason, DecidedAt: at}
}

// Wanted is what the order asks of each product: lines naming the same
// product are summed, and products come sorted by id. Every handler holds
// them in this one order, so that two orders competing for the same
// scarce products cannot each take one and both be refused.
func (r Reservation) Wanted() []Line {
	sum := map[string]int{}
	for _, l := range r.Lines {
		sum[l.ProductID] += l.Quantity
	}
	wanted := make([]Line, 0, len(sum))
	for _, id := range slices.Sorted(maps.Keys(sum)) {
		wanted = append(wanted, Line{ProductID: id, Quantity: sum[id]})
	}
	return wanted
}

// Decided tells whether the order was granted or refused.
func (r Reservation) Decided() bool { return r.Status != StatusReserving }

// Granted tells whether the order got its units, whatever became of them.
func (r Reservation) Granted() bool {
	return r.Status == StatusReserved || r.Status == StatusSold || r.Status == StatusReleased || r.Status == StatusReturned
}

// Settled tells whether the order holds no unit any more: refused, sold
// or released.
func (r Reservation) Settled() bool { return r.Decided() && r.Status != StatusReserved }

// Units is the number of units the order asked for.
func (r Reservation) Units() int {
	n := 0
	for _, l := range r.Lines {
		n += l.Quantity
	}
	return n
}

// Grant decides that the order has its units: holds has the hold of each
// product it wants, and the total is what they were held at. It tells
// whether that changed the record; a reservation decided already stays as
// it was.
func (r *Reservation) Grant(holds map[string]Hold, at time.Time) bool {
	if r.Decided() {
		return false
	}
	r.Status, r.DecidedAt, r.Holds, r.TotalCents = StatusReserved, at, make(map[string]string, len(holds)), 0
	for id, h := range holds {
		r.Holds[id] = h.Ref
		r.TotalCents += int64(h.Quantity) * h.PriceCents
	}
	return true
}

// Refuse decides that the order cannot have its units, for reason.
func (r *Reservation) Refuse(reason string, at time.Time) bool {
	if r.Decided() {
		return false
	}
	r.Status, r.Reason, r.DecidedAt = StatusFailed, reason, at
	return true
}

// Sell marks the reserved units as sold, and tells whether that changed
// the record.
func (r *Reservation) Sell(at time.Time) bool { return r.settle(StatusSold, at) }

// Release marks the reserved units as given back, and tells whether that
// changed the record.
func (r *Reservation) Release(at time.Time) bool { return r.settle(StatusReleased, at) }

func (r *Reservation) settle(to Status, at time.Time) bool {
	if r.Status != StatusReserved {
		return false
	}
	r.Status, r.SettledAt = to, at
	return true
}

// Cancel applies order-svc's cancellation of the order, and tells whether
// that changed the record: an order not decided yet is refused, one
// reserved is released, one sold has its units returned; one refused or
// released already only notes the cancellation.
func (r *Reservation) Cancel(at time.Time) bool {
	if r.CanceledByOrder {
		return false
	}
	r.CanceledByOrder = true
	switch r.Status {
	case StatusReserving:
		r.Status, r.Reason, r.DecidedAt = StatusFailed, Canceled, at
	case StatusReserved:
		r.Status, r.SettledAt = StatusReleased, at
	case StatusSold:
		r.Status, r.SettledAt = StatusReturned, at
	}
	return true
}

// Late tells whether the order's deadline passed at now: it is not held.
func (r Reservation) Late(now time.Time) bool {
	return !r.Deadline.IsZero() && now.After(r.Deadline)
}
