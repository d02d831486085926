package hop

import (
	"context"
	"fmt"
	"log"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	dapr "github.com/dapr/go-sdk/client"

	"github.com/example/order-saga/contracts"
)

// Result is one measurement of the hop.
type Result struct {
	Messages   int `json:"messages"`
	Publishers int `json:"publishers"`
	Delivered  int `json:"delivered"`
	// PublishSeconds is how long the publishers took; DeliverSeconds runs
	// from the first publish to the last delivery.
	PublishSeconds     float64 `json:"publishSeconds"`
	DeliverSeconds     float64 `json:"deliverSeconds"`
	PublishedPerSecond float64 `json:"publishedPerSecond"`
	DeliveredPerSecond float64 `json:"deliveredPerSecond"`
	PublishErrors      int64   `json:"publishErrors"`
}

// Measure publishes messages as fast as publishers concurrent publishers
// can, through the sidecar's gRPC API as the services do, and waits until
// every message is delivered or limit passes.
func (n *Noop) Measure(ctx context.Context, messages, publishers int, limit time.Duration) (Result, error) {
	// The client logs to stdout unless told otherwise.
	dapr.SetLogger(log.New(n.log, "bench-noop client: ", 0))
	var c dapr.Client
	var err error
	if n.socket != "" {
		c, err = dapr.NewClientWithSocket(n.socket)
	} else {
		c, err = dapr.NewClientWithAddressContext(ctx, "127.0.0.1:"+strconv.Itoa(n.grpcPort))
	}
	if err != nil {
		return Result{}, fmt.Errorf("connect to the no-op sidecar: %w", err)
	}
	defer c.Close()
	c.WithAuthToken(n.token)

	n.delivered.Store(0)
	n.target.Store(int64(messages))
	res := Result{Messages: messages, Publishers: publishers}
	var next, failed atomic.Int64
	payload := []byte(`{"type":"BenchNoop","orderId":"-"}`)
	start := time.Now()
	var wg sync.WaitGroup
	for range publishers {
		wg.Go(func() {
			for next.Add(1) <= int64(messages) && ctx.Err() == nil {
				if err := c.PublishEvent(ctx, contracts.PubSub, topic, payload, dapr.PublishEventWithContentType("application/json")); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	res.PublishSeconds = time.Since(start).Seconds()
	res.PublishErrors = failed.Load()
	if res.PublishErrors > 0 {
		// Messages that were never published are never delivered either.
		want := int64(messages) - res.PublishErrors
		n.target.Store(want)
		if n.delivered.Load() >= want {
			select {
			case n.reached <- time.Now():
			default:
			}
		}
	}

	timer := time.NewTimer(limit)
	defer timer.Stop()
	var last time.Time
	select {
	case last = <-n.reached:
	case <-timer.C:
		last = time.Now()
	case <-ctx.Done():
		return res, ctx.Err()
	}
	res.Delivered = int(n.delivered.Load())
	res.DeliverSeconds = last.Sub(start).Seconds()
	res.PublishedPerSecond = float64(int64(messages)-res.PublishErrors) / res.PublishSeconds
	res.DeliveredPerSecond = float64(res.Delivered) / res.DeliverSeconds
	return res, nil
}
