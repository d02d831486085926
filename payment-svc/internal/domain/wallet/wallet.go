// Package wallet is the money side of the saga: a customer's balance and
// the charges it has decided but not yet handed over to a payment record.
//
// Every method that may change a wallet tells whether it did, so that a
// caller stores a wallet only when something in it changed.
package wallet

import (
	"fmt"
	"maps"
	"time"

	"github.com/example/order-saga/contracts"
)

// MaxBalanceCents is the largest balance that can be set.
const MaxBalanceCents int64 = 1_000_000_000_00

// The errors of the wallet domain.
var (
	// ErrBalanceOutOfRange names the balance as an invalid field.
	ErrBalanceOutOfRange = contracts.Invalid(contracts.FieldError{
		Field: "balanceCents", Detail: fmt.Sprintf("must be between 0 and %d", MaxBalanceCents),
	})
	// ErrNegativeAmount refuses a charge no event may ask for: the
	// reservation's total is never negative.
	ErrNegativeAmount = &contracts.Error{Kind: contracts.KindInvalid, Type: "negative-amount", Detail: "an amount to charge must not be negative"}
)

// Wallet holds a customer's balance. Its balance never goes negative.
type Wallet struct {
	balanceCents int64
	lastSeq      int64
	charges      map[string]Decision
	refunds      map[string]Decision
}

// New returns a wallet with an opening balance.
func New(balanceCents int64) (*Wallet, error) {
	if err := checkBalance(balanceCents); err != nil {
		return nil, err
	}
	return &Wallet{balanceCents: balanceCents}, nil
}

// Restore rebuilds a wallet from storage. It trusts its input, which only
// ever came from a wallet.
func Restore(balanceCents, lastSeq int64, charges, refunds map[string]Decision) *Wallet {
	return &Wallet{balanceCents: balanceCents, lastSeq: lastSeq, charges: maps.Clone(charges), refunds: maps.Clone(refunds)}
}

// Refunds are the refund decisions not yet settled, by order id.
func (w *Wallet) Refunds() map[string]Decision { return maps.Clone(w.refunds) }

// DecideRefund decides to give back amountCents charged for an order,
// without giving it yet: the money goes back when the payment record names
// this decision (see SettleRefund). An order with a pending refund gets
// that same decision back, and the wallet is unchanged.
//
// This is the charge's argument turned round: of two handlers that read
// the payment COMPLETED, each decides, the record keeps the first
// decision it is given, and only that decision is ever paid out.
func (w *Wallet) DecideRefund(orderID string, amountCents int64, at time.Time) (d Decision, changed bool) {
	if d, ok := w.refunds[orderID]; ok {
		return d, false
	}
	d = Decision{Seq: w.lastSeq + 1, Status: Refunded, AmountCents: amountCents, At: at.UTC()}
	w.lastSeq = d.Seq
	if w.refunds == nil {
		w.refunds = map[string]Decision{}
	}
	w.refunds[orderID] = d
	return d, true
}

// SettleRefund drops the pending refund of an order whose payment record
// names the refund decision recordedSeq (0: none), and gives the money
// back when it is that decision. It returns the cents given back, and
// whether there was a refund to drop.
func (w *Wallet) SettleRefund(orderID string, recordedSeq int64) (refundedCents int64, changed bool) {
	d, ok := w.refunds[orderID]
	if !ok {
		return 0, false
	}
	delete(w.refunds, orderID)
	if d.Seq == recordedSeq {
		w.balanceCents += d.AmountCents
		return d.AmountCents, true
	}
	return 0, true
}

// BalanceCents is what the customer can still spend.
func (w *Wallet) BalanceCents() int64 { return w.balanceCents }

// LastSeq is the Seq of the wallet's latest decision, 0 before any.
func (w *Wallet) LastSeq() int64 { return w.lastSeq }

// Charges are the decisions not yet settled, by order id.
func (w *Wallet) Charges() map[string]Decision { return maps.Clone(w.charges) }

// Pending returns the unsettled decision for an order, if any.
func (w *Wallet) Pending(orderID string) (Decision, bool) {
	d, ok := w.charges[orderID]
	return d, ok
}

// SetBalance replaces the balance. Pending charges stay as they are.
// Setting the balance the wallet has already changes nothing.
func (w *Wallet) SetBalance(cents int64) (changed bool, err error) {
	if err := checkBalance(cents); err != nil {
		return false, err
	}
	changed = w.balanceCents != cents
	w.balanceCents = cents
	return changed, nil
}

// Charge decides the payment of an order of amountCents. An order that
// already has a pending decision gets that same decision back, and the
// wallet is unchanged, so a charge repeated on redelivery never takes the
// money twice.
func (w *Wallet) Charge(orderID string, amountCents int64, at time.Time) (d Decision, changed bool, err error) {
	if d, ok := w.charges[orderID]; ok {
		return d, false, nil
	}
	if amountCents < 0 {
		return Decision{}, false, fmt.Errorf("charge %d cents: %w", amountCents, ErrNegativeAmount)
	}
	d = Decision{Seq: w.lastSeq + 1, Status: Completed, AmountCents: amountCents, At: at.UTC()}
	if w.balanceCents >= amountCents {
		w.balanceCents -= amountCents
	} else {
		d.Status = Failed
		d.Reason = fmt.Sprintf("insufficient balance: need %d cents, have %d", amountCents, w.balanceCents)
	}
	w.lastSeq = d.Seq
	if w.charges == nil {
		w.charges = map[string]Decision{}
	}
	w.charges[orderID] = d
	return d, true, nil
}

// Settle drops the pending decision of an order whose payment record now
// holds the decision numbered recordedSeq. A pending decision with another
// number lost the race to the record: its charge is given back. It returns
// the cents given back, and whether there was a decision to drop.
func (w *Wallet) Settle(orderID string, recordedSeq int64) (refundedCents int64, changed bool) {
	d, ok := w.charges[orderID]
	if !ok {
		return 0, false
	}
	delete(w.charges, orderID)
	if d.Seq != recordedSeq && d.Status == Completed {
		w.balanceCents += d.AmountCents
		return d.AmountCents, true
	}
	return 0, true
}

func checkBalance(cents int64) error {
	if cents < 0 || cents > MaxBalanceCents {
		return fmt.Errorf("%d cents: %w", cents, ErrBalanceOutOfRange)
	}
	return nil
}
