package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
	"github.com/example/order-saga/loadgen/internal/runner"
)

// Calibration is what the stack costs with no orders: at rest, and per
// read of an order. The load generator reads each order several times
// until it is final, and those reads cost the stack CPU that a client
// told of the result some other way would not spend.
type Calibration struct {
	IdleCPUMsPerSecond float64 `json:"idleCpuMsPerSecond"`
	Reads              int     `json:"reads"`
	CPUPerReadMs       float64 `json:"cpuPerReadMs"`
}

const (
	idleFor      = 2 * time.Second
	readers      = 8
	readsPerTest = 2000
)

// calibrate measures the stack at rest, then while one order is read
// over and over.
func calibrate(ctx context.Context, s *stack.Stack, procs []proc) (Calibration, error) {
	before := usage(procs)
	start := time.Now()
	pauseFor(ctx, idleFor)
	idle := sum(cpuBetween(before, usage(procs))) / time.Since(start).Seconds()

	url, err := placeOne(ctx, s.URL(contracts.AppOrder))
	if err != nil {
		return Calibration{}, err
	}
	before, start = usage(procs), time.Now()
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	for range readers {
		wg.Go(func() {
			for next.Add(1) <= readsPerTest && ctx.Err() == nil {
				if err := get(ctx, url); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return Calibration{}, fmt.Errorf("calibration: %d of %d reads of %s failed", n, readsPerTest, url)
	}
	cpu := sum(cpuBetween(before, usage(procs))) - idle*time.Since(start).Seconds()
	return Calibration{IdleCPUMsPerSecond: idle, Reads: readsPerTest, CPUPerReadMs: max(cpu, 0) / readsPerTest}, ctx.Err()
}

// calibrationClient keeps a connection per reader, as the load
// generator does, so that no read pays for a new connection.
var calibrationClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: readers}}

// placeOne places an order and returns its URL.
func placeOne(ctx context.Context, orderURL string) (string, error) {
	body, _ := json.Marshal(map[string]any{"customerId": "bench-calibration",
		"items": []map[string]any{{"productId": runner.ProductID(1), "quantity": 1}}})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, orderURL+"/orders", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := calibrationClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Location") == "" {
		b, _ := io.ReadAll(resp.Body)
		return "", fmt.Errorf("calibration order: %s %s", resp.Status, b)
	}
	return orderURL + resp.Header.Get("Location"), nil
}

func get(ctx context.Context, url string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := calibrationClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	return nil
}

func sum(ms map[string]float64) float64 {
	var total float64
	for name, v := range ms {
		if name != SelfName {
			total += v
		}
	}
	return total
}

func pauseFor(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// settle waits until the stack is close to rest, so that the tail of one
// run (events still on their way once every order is final) is not
// counted in the next.
func settle(ctx context.Context, procs []proc, log io.Writer) {
	const (
		every  = 500 * time.Millisecond
		atRest = 50.0 // ms of CPU per second, all processes together
		limit  = 60 * time.Second
	)
	deadline := time.Now().Add(limit)
	prev := usage(procs)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		pauseFor(ctx, every)
		cur := usage(procs)
		if sum(cpuBetween(prev, cur))/every.Seconds() < atRest {
			return
		}
		prev = cur
	}
	fmt.Fprintf(log, "the stack did not come to rest within %s; going on\n", limit)
}
