package pubsub

import (
	"errors"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
)

func TestAFailureThatLastsIsGivenUpOnUnlessAStoreIsUnreachable(t *testing.T) {
	t.Parallel()
	t0 := time.Now()
	for _, tc := range []struct {
		name     string
		err      error
		poisoned bool
	}{
		{"a stored record that does not decode", errors.New("decode wallet-c: invalid character"), true},
		{"the state store unreachable", contracts.Unavailable("the state store could not be read or written; try again", errors.New("connection refused")), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := failures{first: map[string]time.Time{}}
			for at := time.Duration(0); at <= 3*GiveUpAfter; at += time.Second {
				got := f.giveUp("orders/1", tc.err, t0.Add(at))
				if IsPoison(got) {
					if !tc.poisoned || at < GiveUpAfter {
						t.Fatalf("given up on after %s", at)
					}
					return
				}
				if !errors.Is(got, tc.err) {
					t.Fatalf("after %s: %v, want the failure itself", at, got)
				}
			}
			if tc.poisoned {
				t.Fatalf("still retried after %s", 3*GiveUpAfter)
			}
		})
	}
}
