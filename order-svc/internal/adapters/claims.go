package adapters

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/example/order-saga/order-svc/internal/app"
	"github.com/example/order-saga/platform/statestore"
)

// claimRecord is what an idempotency key holds.
type claimRecord struct {
	RequestHash string    `json:"requestHash"`
	OrderID     string    `json:"orderId"`
	At          time.Time `json:"at"`
}

// ClaimRepository keeps idempotency keys, one key per customer and
// idempotency key, hashed so that any key fits.
type ClaimRepository struct {
	Store *statestore.Store[claimRecord]
}

// ClaimTTL is how long an idempotency key is remembered, as payment APIs
// commonly do: a retry within it gets the same order back; after it, the
// key may be used afresh.
const ClaimTTL = 24 * time.Hour

// NewClaimRepository returns the claims kept in the state store called name.
func NewClaimRepository(backend statestore.Backend, name string) ClaimRepository {
	return ClaimRepository{Store: statestore.New[claimRecord](backend, name, statestore.ExpireAfter(ClaimTTL))}
}

// claimKey is the key of a customer's idempotency key. The customer id
// cannot hold the separator (contracts.ValidCustomerID), so no two pairs
// share a key.
func claimKey(customerID, key string) string {
	sum := sha256.Sum256([]byte(customerID + "\x00" + key))
	return "idempotency-" + hex.EncodeToString(sum[:])
}

// Claim implements app.Claims.
func (r ClaimRepository) Claim(ctx context.Context, customerID, key string, c app.Claim) (app.Claim, error) {
	held := c
	err := r.Store.Update(ctx, claimKey(customerID, key), func(rec *claimRecord, found bool) error {
		if found {
			held = app.Claim{RequestHash: rec.RequestHash, OrderID: rec.OrderID}
			return statestore.ErrUnchanged
		}
		*rec = claimRecord{RequestHash: c.RequestHash, OrderID: c.OrderID, At: time.Now().UTC()}
		held = c
		return nil
	})
	return held, err
}
