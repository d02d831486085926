package order_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/example/order-saga/order-svc/internal/domain/order"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func placed() order.Order {
	var o order.Order
	o.Place("o1", "alice", []order.Item{{ProductID: "kettle", Quantity: 1}}, t0)
	return o
}

func history(o order.Order) []order.Status {
	var s []order.Status
	for _, h := range o.History {
		s = append(s, h.Status)
	}
	return s
}

var (
	reserved = order.Step{Kind: order.StockReserved, At: at(1), TotalCents: 700}
	paid     = order.Step{Kind: order.PaymentCompleted, At: at(2)}
	refused  = order.Step{Kind: order.PaymentFailed, At: at(2), Reason: "insufficient balance"}
	released = order.Step{Kind: order.StockReleased, At: at(3)}
	noStock  = order.Step{Kind: order.StockFailed, At: at(1), Reason: "unknown product x"}
)

func TestTheStatusFollowsTheStepsWhateverTheirOrder(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		steps  []order.Step
		status order.Status
		reason string
		total  int64
	}{
		{"a new order is pending", nil, order.Pending, "", 0},
		{"a reservation alone makes it reserved", []order.Step{reserved}, order.Reserved, "", 700},
		{"a payment confirms it", []order.Step{reserved, paid}, order.Confirmed, "", 700},
		{"a payment seen before the reservation waits for it", []order.Step{paid}, order.Pending, "", 0},
		{"a payment seen before the reservation confirms it with the reservation's total", []order.Step{paid, reserved}, order.Confirmed, "", 700},
		{"a refused payment cancels it", []order.Step{reserved, refused, released}, order.Canceled, "insufficient balance", 700},
		{"the release may come before the refusal", []order.Step{reserved, released, refused}, order.Canceled, "insufficient balance", 700},
		{"a refusal seen before the reservation waits for it and shows no reason yet", []order.Step{refused, released}, order.Pending, "", 0},
		{"a refusal seen before the reservation cancels it with the reservation", []order.Step{refused, released, reserved}, order.Canceled, "insufficient balance", 700},
		{"missing stock cancels it", []order.Step{noStock}, order.Canceled, "unknown product x", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := placed()
			for _, s := range tc.steps {
				o.Record("o1", s)
			}
			if o.Status != tc.status || o.Reason != tc.reason || o.TotalCents != tc.total {
				t.Fatalf("status %s reason %q total %d, want %s %q %d", o.Status, o.Reason, o.TotalCents, tc.status, tc.reason, tc.total)
			}
		})
	}
}

func TestNoOrderIsFinalWithoutItsTotalUnlessTheStockFailed(t *testing.T) {
	t.Parallel()
	runs := []struct {
		steps []order.Step
		final order.Status
	}{
		{[]order.Step{reserved, paid}, order.Confirmed},
		{[]order.Step{reserved, refused, released}, order.Canceled},
	}
	for _, run := range runs {
		for _, steps := range permutations(run.steps) {
			o := placed()
			for i, s := range steps {
				o.Record("o1", s)
				if o.Status.Final() && o.TotalCents != 700 {
					t.Fatalf("after %d of %v: %s with total %d", i+1, kinds(steps), o.Status, o.TotalCents)
				}
			}
			if o.Status != run.final {
				t.Fatalf("after %v: %s, want %s", kinds(steps), o.Status, run.final)
			}
		}
	}
}

func TestAFinalStatusIsFinal(t *testing.T) {
	t.Parallel()
	otherReason := noStock
	otherReason.Reason, otherReason.At = "out of stock", at(9)
	cases := []struct {
		name    string
		before  []order.Step
		step    order.Step
		outcome order.Outcome
	}{
		{"missing stock after a confirmation contradicts it", []order.Step{reserved, paid}, noStock, order.Contradicting},
		{"a refused payment after a confirmation contradicts it", []order.Step{reserved, paid}, refused, order.Contradicting},
		{"a release after a confirmation contradicts it", []order.Step{reserved, paid}, released, order.Contradicting},
		{"a reservation after missing stock contradicts it", []order.Step{noStock}, reserved, order.Contradicting},
		{"a payment after missing stock contradicts it", []order.Step{noStock}, paid, order.Contradicting},
		{"a refused payment after missing stock contradicts it", []order.Step{noStock}, refused, order.Contradicting},
		{"a release after missing stock contradicts it", []order.Step{noStock}, released, order.Contradicting},
		{"a payment after a refused one contradicts it", []order.Step{reserved, refused, released}, paid, order.Contradicting},
		{"missing stock after a refused payment contradicts it", []order.Step{reserved, refused}, noStock, order.Contradicting},
		{"a repeated payment is a plain duplicate", []order.Step{reserved, paid}, paid, order.Unchanged},
		{"missing stock told again for another reason is a plain duplicate", []order.Step{noStock}, otherReason, order.Unchanged},
		{"a repeated release after a refused payment is a plain duplicate", []order.Step{reserved, refused, released}, released, order.Unchanged},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := placed()
			for _, s := range tc.before {
				o.Record("o1", s)
			}
			if !o.Status.Final() {
				t.Fatalf("the order is %s before the step, not final", o.Status)
			}
			before := clone(o)
			if got := o.Record("o1", tc.step); got != tc.outcome {
				t.Fatalf("outcome %s, want %s", got, tc.outcome)
			}
			if !reflect.DeepEqual(o, before) {
				t.Fatalf("the order changed from\n%+v\nto\n%+v", before, o)
			}
		})
	}
}

func TestAStepThatContradictsAnOrderNotYetFinalChangesNothingEither(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		before []order.Step
		step   order.Step
	}{
		{"missing stock after a reservation", []order.Step{reserved}, noStock},
		{"missing stock after a payment that waits for its reservation", []order.Step{paid}, noStock},
		{"a payment after a refusal that waits for its reservation", []order.Step{refused}, paid},
		{"a payment after a release, which only a refusal brings", []order.Step{reserved, released}, paid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := placed()
			for _, s := range tc.before {
				o.Record("o1", s)
			}
			before := clone(o)
			if got := o.Record("o1", tc.step); got != order.Contradicting {
				t.Fatalf("outcome %s, want contradicting", got)
			}
			if !reflect.DeepEqual(o, before) {
				t.Fatalf("the order changed from\n%+v\nto\n%+v", before, o)
			}
		})
	}
}

func TestTheReleaseAfterARefusedPaymentIsRecordedAsTheCompensation(t *testing.T) {
	t.Parallel()
	o := placed()
	o.Record("o1", reserved)
	o.Record("o1", refused)
	if o.Status != order.Canceled {
		t.Fatalf("status %s, want CANCELED", o.Status)
	}
	wantHistory := history(o)
	if got := o.Record("o1", released); got != order.Changed {
		t.Fatalf("outcome %s, want changed", got)
	}
	if !o.Steps.StockReleased || o.UpdatedAt != released.At {
		t.Fatalf("the release was not recorded: %+v", o)
	}
	if o.Status != order.Canceled || o.Reason != "insufficient balance" || o.TotalCents != 700 ||
		!reflect.DeepEqual(history(o), wantHistory) {
		t.Fatalf("the canceled order moved: %+v", o)
	}
}

func TestAStepSeenTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	o := placed()
	if got := o.Record("o1", reserved); got != order.Changed {
		t.Fatalf("the first reservation was %s", got)
	}
	before := clone(o)
	again := reserved
	again.TotalCents = 900
	if got := o.Record("o1", again); got != order.Unchanged {
		t.Fatalf("a repeated reservation was %s", got)
	}
	if !reflect.DeepEqual(o, before) {
		t.Fatalf("a repeated reservation changed the order to %+v", o)
	}
}

func TestPlacingTwiceIsHarmless(t *testing.T) {
	t.Parallel()
	o := placed()
	if o.Place("o1", "bob", nil, at(5)) {
		t.Fatal("a second placement changed the order")
	}
	if o.CustomerID != "alice" || len(o.History) != 1 {
		t.Fatalf("order changed: %+v", o)
	}
}

// clone copies o deeply enough that recording a step into it leaves the copy alone.
func clone(o order.Order) order.Order {
	o.Items = slices.Clone(o.Items)
	o.History = slices.Clone(o.History)
	return o
}

func kinds(steps []order.Step) []order.Kind {
	var k []order.Kind
	for _, s := range steps {
		k = append(k, s.Kind)
	}
	return k
}

// permutations returns every order of steps.
func permutations(steps []order.Step) [][]order.Step {
	if len(steps) <= 1 {
		return [][]order.Step{steps}
	}
	var out [][]order.Step
	for i := range steps {
		rest := slices.Concat(steps[:i], steps[i+1:])
		for _, p := range permutations(rest) {
			out = append(out, append([]order.Step{steps[i]}, p...))
		}
	}
	return out
}

func TestStepsStoredBeforeTheOrderCountOnceItIsPlaced(t *testing.T) {
	t.Parallel()
	var o order.Order
	o.Record("o1", order.Step{Kind: order.PaymentCompleted, At: at(2)})
	o.Record("o1", order.Step{Kind: order.StockReserved, At: at(1), TotalCents: 300})
	if o.Status != "" || o.Placed {
		t.Fatalf("an order not yet placed has status %q", o.Status)
	}
	o.Place("o1", "alice", []order.Item{{ProductID: "kettle", Quantity: 1}}, t0)
	if o.Status != order.Confirmed || o.TotalCents != 300 {
		t.Fatalf("status %s total %d, want CONFIRMED 300", o.Status, o.TotalCents)
	}
	if got := history(o); len(got) != 2 || got[0] != order.Pending || got[1] != order.Confirmed {
		t.Fatalf("history %v", got)
	}
}

func TestAPaymentStoredBeforeTheOrderStillWaitsForTheReservation(t *testing.T) {
	t.Parallel()
	var o order.Order
	o.Record("o1", paid)
	o.Place("o1", "alice", []order.Item{{ProductID: "kettle", Quantity: 1}}, t0)
	if o.Status != order.Pending || o.TotalCents != 0 {
		t.Fatalf("status %s total %d, want PENDING 0", o.Status, o.TotalCents)
	}
	o.Record("o1", reserved)
	if o.Status != order.Confirmed || o.TotalCents != 700 {
		t.Fatalf("status %s total %d, want CONFIRMED 700", o.Status, o.TotalCents)
	}
}
