package service

import (
	"context"
	"log/slog"
	"time"
)

// retryDelays is how long to wait between two attempts: first, then
// doubling up to most.
type retryDelays struct {
	first, most time.Duration
}

// seedRetry waits for a sidecar that starts after the service, as it may
// in a pod.
var seedRetry = retryDelays{first: 250 * time.Millisecond, most: 5 * time.Second}

// seedUntilDone calls seed until it succeeds or ctx ends, logging each
// failure.
func seedUntilDone(ctx context.Context, log *slog.Logger, delays retryDelays, seed func(context.Context) (bool, error)) {
	wait := delays.first
	for {
		seeded, err := seed(ctx)
		if err == nil {
			log.Info("catalog ready", "seeded", seeded)
			return
		}
		log.Warn("catalog not seeded yet, retrying", "error", err, "retryIn", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, delays.most)
	}
}
