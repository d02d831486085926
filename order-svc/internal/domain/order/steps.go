package order

import (
	"fmt"
	"time"
)

// Kind names a saga step that order-svc learns of.
type Kind int

// The saga steps, as order-svc sees them.
const (
	StockReserved Kind = iota + 1
	StockFailed
	PaymentCompleted
	PaymentFailed
	StockReleased
	PaymentRefunded
)

// Step is one saga step reported for an order.
type Step struct {
	Kind        Kind
	At          time.Time
	Reason      string
	TotalCents  int64 // set by StockReserved
	AmountCents int64 // set by PaymentRefunded
}

// Outcome is what recording a step did to an order.
type Outcome int

// The outcomes of Record. Only Changed needs the order to be written.
const (
	// Unchanged: the step was seen before, and a repeat is harmless.
	Unchanged Outcome = iota
	// Changed: the step is new and remembered; the status may have moved.
	Changed
	// Contradicting: the step cannot come from the same saga as the steps
	// already seen, so it is not remembered and changes nothing.
	Contradicting
)

// String names the outcome, for logs and test failures.
func (o Outcome) String() string {
	switch o {
	case Changed:
		return "changed"
	case Contradicting:
		return "contradicting"
	}
	return "unchanged"
}

// Record applies a step and tells what it did. A step seen before is
// Unchanged. A step that contradicts the steps seen (see Steps.possible)
// is Contradicting and leaves the order exactly as it was: the steps seen
// first stand, so a final status, its reason and its total never change.
func (o *Order) Record(orderID string, s Step) Outcome {
	if o.Steps.Expired {
		return o.recordAfterDeadline(s)
	}
	next := o.Steps
	seen := next.mark(s.Kind)
	if *seen {
		return Unchanged
	}
	*seen = true
	if !next.possible() {
		return Contradicting
	}
	if s.Kind == StockFailed || s.Kind == PaymentFailed {
		next.Failure = s.Reason
	}
	if o.ID == "" {
		o.ID = orderID
		o.CreatedAt = s.At
		o.UpdatedAt = s.At
	}
	o.Steps = next
	if s.Kind == StockReserved {
		o.TotalCents = s.TotalCents
	}
	if o.UpdatedAt.Before(s.At) {
		o.UpdatedAt = s.At
	}
	if status := o.derive(); o.Placed && status != o.Status {
		o.transition(status, s.At)
	}
	return Changed
}

func (s *Steps) mark(k Kind) *bool {
	switch k {
	case StockReserved:
		return &s.StockReserved
	case StockFailed:
		return &s.StockFailed
	case PaymentCompleted:
		return &s.PaymentCompleted
	case PaymentFailed:
		return &s.PaymentFailed
	case PaymentRefunded:
		return &s.PaymentRefunded
	default:
		return &s.StockReleased
	}
}

// possible reports whether the steps can all come from one run of the
// saga. Stock is reserved or it is not; only a reservation is paid for or
// refused, and only a refusal releases the stock. So a run is reserved and
// paid, or reserved, refused and released, or a failed reservation alone.
func (s Steps) possible() bool {
	switch {
	case s.PaymentRefunded:
		return s.Expired
	case s.StockFailed:
		return !s.StockReserved && !s.PaymentCompleted && !s.PaymentFailed && !s.StockReleased
	case s.PaymentCompleted:
		return !s.PaymentFailed && !s.StockReleased
	}
	return true
}

// derive computes the status from the steps seen, which are possible. The
// reservation carries the total, so nothing but a failed reservation makes
// an order final without it: a payment outcome seen first waits for it.
// Every step possible after a final status (a release after a refusal)
// derives the same status again, so a final status is final. Until the
// order itself is stored, it has no status: what it is for is not known.
func (o *Order) derive() Status {
	switch {
	case !o.Placed:
		return ""
	case o.Steps.Expired:
		return Canceled
	case o.Steps.StockFailed:
		return Canceled
	case !o.Steps.StockReserved:
		return Pending
	case o.Steps.PaymentCompleted:
		return Confirmed
	case o.Steps.PaymentFailed:
		return Canceled
	}
	return Reserved
}

// transition moves the order to status s. CANCELED takes the reason of
// the failure seen (an order stored before Steps kept the failure has it
// in Reason already); no other status has a reason.
func (o *Order) transition(s Status, at time.Time) {
	var reason string
	if s == Canceled {
		// An order canceled by order-svc keeps the reason it was given.
		if !o.Steps.Expired && o.Steps.Failure != "" {
			o.Reason = o.Steps.Failure
		}
		reason = o.Reason
	}
	o.Status = s
	o.History = append(o.History, Transition{Status: s, At: at, Reason: reason})
}

// DeadlineExceeded is the reason of an order canceled at its deadline.
const DeadlineExceeded = "deadline exceeded"

// Expire cancels the order because its deadline passed before it ended,
// and tells whether that changed it: an order that ended, or expired
// already, stays as it is. An order known by nothing yet (its creation
// and every step of it were lost) expires all the same, so that whatever
// arrives for it later finds it canceled.
func (o *Order) Expire(orderID string, at time.Time) bool {
	return o.GiveUp(orderID, at, DeadlineExceeded)
}

// GiveUp cancels the order for reason before its deadline, as Expire does
// at it: one of its events was given up on, so the saga cannot finish it.
func (o *Order) GiveUp(orderID string, at time.Time, reason string) bool {
	if o.Status.Final() || o.Steps.Expired {
		return false
	}
	o.Steps.Expired, o.Reason = true, reason
	if o.ID == "" {
		o.ID, o.CreatedAt = orderID, at
	}
	if o.UpdatedAt.Before(at) {
		o.UpdatedAt = at
	}
	if o.Placed {
		o.transition(Canceled, at)
	}
	return true
}

// Compensated tells whether both participants answered the cancellation
// of an expired order: the stock refused it, or gave back what it held
// or sold and the payment failed or was refunded (or voided).
func (o *Order) Compensated() bool {
	s := o.Steps
	return s.Expired && (s.StockFailed || s.StockReleased && (s.PaymentFailed || s.PaymentRefunded))
}

// recordAfterDeadline applies a step to an expired order, which stays
// CANCELED: a reservation or a payment arriving now contradicts it (the
// saga undoes them), and what answers the cancellation is remembered. A
// refund of money is shown in the history; UpdatedAt stays the time of
// the cancellation, the last change of status.
func (o *Order) recordAfterDeadline(s Step) Outcome {
	if s.Kind == StockReserved || s.Kind == PaymentCompleted {
		if *o.Steps.mark(s.Kind) {
			return Unchanged
		}
		return Contradicting
	}
	seen := o.Steps.mark(s.Kind)
	if *seen {
		return Unchanged
	}
	*seen = true
	if s.Kind == PaymentRefunded && s.AmountCents > 0 && o.Placed {
		o.RefundedCents = s.AmountCents
		o.History = append(o.History, Transition{Status: o.Status, At: s.At, Reason: fmt.Sprintf("payment refunded: %d cents", s.AmountCents)})
	}
	return Changed
}
