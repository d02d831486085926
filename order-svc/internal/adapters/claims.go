package adapters

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/example/order-saga/platform/statestore"
)

// claimRecord is what an idempotency key holds.
type claimRecord struct {
	RequestHash string    `json:"requestHash"`
	At          time.Time `json:"at"`
}

// ClaimRepository keeps idempotency keys, hashed so that any key fits.
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

// Claim implements app.Claims.
func (r ClaimRepository) Claim(ctx context.Context, key, requestHash string) (string, error) {
	sum := sha256.Sum256([]byte(key))
	var held string
	err := r.Store.Update(ctx, "idempotency-"+hex.EncodeToString(sum[:]), func(c *claimRecord, found bool) error {
		if found {
			held = c.RequestHash
			return statestore.ErrUnchanged
		}
		*c = claimRecord{RequestHash: requestHash, At: time.Now().UTC()}
		held = requestHash
		return nil
	})
	return held, err
}
