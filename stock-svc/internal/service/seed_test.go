package service

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

func TestSeedingIsRetriedUntilTheSidecarAnswers(t *testing.T) {
	t.Parallel()
	attempts := 0
	seedUntilDone(context.Background(), slog.New(slog.DiscardHandler), retryDelays{first: time.Microsecond, most: time.Millisecond},
		func(context.Context) (bool, error) {
			attempts++
			if attempts < 4 {
				return false, errors.New("connection refused")
			}
			return true, nil
		})
	if attempts != 4 {
		t.Fatalf("%d attempts, want 4", attempts)
	}
}

func TestSeedingStopsWhenTheServiceStops(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		seedUntilDone(ctx, slog.New(slog.DiscardHandler), retryDelays{first: time.Hour, most: time.Hour},
			func(context.Context) (bool, error) { return false, errors.New("connection refused") })
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("seeding went on after the service stopped")
	}
}

func TestEveryStarterProductIsValid(t *testing.T) {
	t.Parallel()
	for _, p := range starterCatalog {
		if err := inventory.CheckProduct(p.ID, p.Name, p.PriceCents, p.Available).Err(); err != nil {
			t.Errorf("%s: %v", p.ID, err)
		}
	}
}
