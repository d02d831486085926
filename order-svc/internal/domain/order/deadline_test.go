package order_test

import (
	"testing"

	"github.com/example/order-saga/order-svc/internal/domain/order"
)

var refunded = order.Step{Kind: order.PaymentRefunded, At: at(9), AmountCents: 700}

func TestAnOrderThatHasNotEndedIsCanceledAtItsDeadlineAndOneThatEndedIsNot(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		steps   []order.Step
		expires bool
		status  order.Status
		reason  string
	}{
		{"a pending order is canceled", nil, true, order.Canceled, order.DeadlineExceeded},
		{"a reserved order is canceled", []order.Step{reserved}, true, order.Canceled, order.DeadlineExceeded},
		{"a payment waiting for its reservation is canceled with the deadline as reason", []order.Step{refused}, true, order.Canceled, order.DeadlineExceeded},
		{"a confirmed order is never undone", []order.Step{reserved, paid}, false, order.Confirmed, ""},
		{"an order canceled for its stock keeps its reason", []order.Step{noStock}, false, order.Canceled, "unknown product x"},
		{"an order canceled for its payment keeps its reason", []order.Step{reserved, refused}, false, order.Canceled, "insufficient balance"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := placed()
			for _, s := range tc.steps {
				o.Record("o1", s)
			}
			before := clone(o)
			if got := o.Expire("o1", at(5)); got != tc.expires {
				t.Fatalf("Expire = %v, want %v", got, tc.expires)
			}
			if !tc.expires && !equal(o, before) {
				t.Fatalf("an order that ended was changed: %+v", o)
			}
			if o.Status != tc.status || o.Reason != tc.reason {
				t.Fatalf("status %s %q, want %s %q", o.Status, o.Reason, tc.status, tc.reason)
			}
			if o.Expire("o1", at(6)) {
				t.Fatal("a second expiry changed the order")
			}
		})
	}
}

func TestAfterTheDeadlineOnlyTheUndoingCountsAndTheStatusStays(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		step    order.Step
		outcome order.Outcome
	}{
		{"a late reservation contradicts the cancellation", reserved, order.Contradicting},
		{"a late payment contradicts the cancellation", paid, order.Contradicting},
		{"the stock's release is remembered", released, order.Changed},
		{"the stock's refusal is remembered", noStock, order.Changed},
		{"a refusal of the payment is remembered", refused, order.Changed},
		{"the refund is remembered", refunded, order.Changed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := placed()
			o.Expire("o1", at(5))
			if got := o.Record("o1", tc.step); got != tc.outcome {
				t.Fatalf("outcome %s, want %s", got, tc.outcome)
			}
			if o.Status != order.Canceled || o.Reason != order.DeadlineExceeded {
				t.Fatalf("status %s %q after a late step", o.Status, o.Reason)
			}
			if tc.outcome == order.Changed && o.Record("o1", tc.step) != order.Unchanged {
				t.Fatal("the same step twice was not a repeat")
			}
		})
	}
}

func TestAnExpiredOrderIsCompensatedOnceBothParticipantsAnswered(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		steps       []order.Step
		compensated bool
	}{
		{"no answer yet", nil, false},
		{"the stock refused it: nothing was reserved, nothing paid", []order.Step{noStock}, true},
		{"the stock gave back, the payment not yet", []order.Step{released}, false},
		{"the payment was refunded, the stock not yet", []order.Step{refunded}, false},
		{"the stock gave back and the payment was refunded", []order.Step{released, refunded}, true},
		{"the stock gave back and the payment had failed", []order.Step{refused, released}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := placed()
			o.Expire("o1", at(5))
			for _, s := range tc.steps {
				o.Record("o1", s)
			}
			if o.Compensated() != tc.compensated {
				t.Fatalf("compensated %v, want %v (steps %+v)", o.Compensated(), tc.compensated, o.Steps)
			}
		})
	}
}

func TestARefundIsShownInTheHistory(t *testing.T) {
	t.Parallel()
	o := placed()
	o.Record("o1", reserved)
	o.Expire("o1", at(5))
	o.Record("o1", refunded)
	last := o.History[len(o.History)-1]
	if o.RefundedCents != 700 || last.Status != order.Canceled || last.Reason != "payment refunded: 700 cents" {
		t.Fatalf("refunded %d, last entry %+v", o.RefundedCents, last)
	}
	if got := history(o); len(got) != 4 || got[2] != order.Canceled {
		t.Fatalf("history %v, want pending, reserved, canceled, then the refund", got)
	}
}

func TestAnOrderExpiredBeforeItWasStoredIsCanceledOnceItIs(t *testing.T) {
	t.Parallel()
	var o order.Order
	if !o.Expire("o1", at(5)) {
		t.Fatal("an order known by nothing did not expire")
	}
	if o.Status != "" {
		t.Fatalf("status %s before the order is placed", o.Status)
	}
	o.Place("o1", "alice", []order.Item{{ProductID: "kettle", Quantity: 1}}, t0)
	if o.Status != order.Canceled || o.Reason != order.DeadlineExceeded {
		t.Fatalf("placed after its deadline: %s %q", o.Status, o.Reason)
	}
}

func equal(a, b order.Order) bool {
	return a.Status == b.Status && a.Reason == b.Reason && a.Steps == b.Steps && len(a.History) == len(b.History)
}
