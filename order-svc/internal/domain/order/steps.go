package order

import "time"

// Kind names a saga step that order-svc learns of.
type Kind int

// The saga steps, as order-svc sees them.
const (
	StockReserved Kind = iota + 1
	StockFailed
	PaymentCompleted
	PaymentFailed
	StockReleased
)

// Step is one saga step reported for an order.
type Step struct {
	Kind       Kind
	At         time.Time
	Reason     string
	TotalCents int64 // set by StockReserved
}

// Record applies a step. It returns whether anything changed; a step seen
// before changes nothing.
func (o *Order) Record(orderID string, s Step) bool {
	if o.ID == "" {
		o.ID = orderID
		o.CreatedAt = s.At
		o.UpdatedAt = s.At
	}
	seen := o.mark(s.Kind)
	if *seen {
		return false
	}
	*seen = true
	switch s.Kind {
	case StockReserved:
		o.TotalCents = s.TotalCents
	case StockFailed, PaymentFailed:
		if o.Reason == "" {
			o.Reason = s.Reason
		}
	}
	if o.UpdatedAt.Before(s.At) {
		o.UpdatedAt = s.At
	}
	if next := o.derive(); o.Placed && next != o.Status {
		o.transition(next, s.At, o.reasonFor(next))
	}
	return true
}

func (o *Order) mark(k Kind) *bool {
	switch k {
	case StockReserved:
		return &o.Steps.StockReserved
	case StockFailed:
		return &o.Steps.StockFailed
	case PaymentCompleted:
		return &o.Steps.PaymentCompleted
	case PaymentFailed:
		return &o.Steps.PaymentFailed
	default:
		return &o.Steps.StockReleased
	}
}

// derive computes the status from the steps seen. A failure anywhere
// cancels; a payment confirms; a reservation alone is RESERVED. Until the
// order itself is stored, it has no status: what it is for is not known.
func (o *Order) derive() Status {
	switch {
	case !o.Placed:
		return ""
	case o.Steps.StockFailed || o.Steps.PaymentFailed:
		return Canceled
	case o.Steps.PaymentCompleted:
		return Confirmed
	case o.Steps.StockReserved:
		return Reserved
	}
	return Pending
}

func (o *Order) reasonFor(s Status) string {
	if s == Canceled {
		return o.Reason
	}
	return ""
}

func (o *Order) transition(s Status, at time.Time, reason string) {
	o.Status = s
	o.History = append(o.History, Transition{Status: s, At: at, Reason: reason})
}
