package hop

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
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
// can, through the sidecar's gRPC API as the services do (its HTTP API
// with Channel.HTTPPublish), and waits until every message is delivered or
// limit passes.
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

	publish := func(payload []byte) error {
		return c.PublishEvent(ctx, contracts.PubSub, topic, payload, dapr.PublishEventWithContentType("application/json"))
	}
	if n.httpPublish {
		publish = n.publishHTTP(ctx)
	}

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
				if err := publish(payload); err != nil {
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

// publishHTTP returns a publish through the sidecar's HTTP API, on
// connections kept alive for all the publishers.
func (n *Noop) publishHTTP(ctx context.Context) func(payload []byte) error {
	url := "http://127.0.0.1:" + strconv.Itoa(n.httpPort) + "/v1.0/publish/" + contracts.PubSub + "/" + topic
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	return func(payload []byte) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("dapr-api-token", n.token)
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusNoContent && res.StatusCode != http.StatusOK {
			return fmt.Errorf("publish: %s", res.Status)
		}
		return nil
	}
}
