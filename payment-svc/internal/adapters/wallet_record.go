package adapters

import (
	"time"

	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
)

// walletRecord is how a wallet is stored. It is this service's own.
type walletRecord struct {
	BalanceCents int64                   `json:"balanceCents"`
	LastSeq      int64                   `json:"lastSeq,omitempty"`
	Charges      map[string]chargeRecord `json:"charges,omitempty"`
}

type chargeRecord struct {
	Seq         int64     `json:"seq"`
	Status      string    `json:"status"`
	AmountCents int64     `json:"amountCents"`
	Reason      string    `json:"reason,omitempty"`
	At          time.Time `json:"at"`
}

func walletFromRecord(r walletRecord) *wallet.Wallet {
	var charges map[string]wallet.Decision
	if len(r.Charges) > 0 {
		charges = make(map[string]wallet.Decision, len(r.Charges))
		for orderID, c := range r.Charges {
			charges[orderID] = wallet.Decision{Seq: c.Seq, Status: wallet.Status(c.Status), AmountCents: c.AmountCents, Reason: c.Reason, At: c.At}
		}
	}
	return wallet.Restore(r.BalanceCents, r.LastSeq, charges)
}

func walletToRecord(w *wallet.Wallet) walletRecord {
	r := walletRecord{BalanceCents: w.BalanceCents(), LastSeq: w.LastSeq()}
	if charges := w.Charges(); len(charges) > 0 {
		r.Charges = make(map[string]chargeRecord, len(charges))
		for orderID, d := range charges {
			r.Charges[orderID] = chargeRecord{Seq: d.Seq, Status: string(d.Status), AmountCents: d.AmountCents, Reason: d.Reason, At: d.At}
		}
	}
	return r
}
