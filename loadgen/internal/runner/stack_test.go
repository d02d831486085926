package runner_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
	"github.com/example/order-saga/loadgen/internal/runner"
)

func TestAShortLoadOnARealStackAccountsForEveryOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("starts daprd sidecars and Redis")
	}
	s := startStack(t)
	cases := []struct {
		name string
		load func(*runner.Config)
	}{
		{"four customers ordering back to back", func(c *runner.Config) { c.Mode, c.Concurrency = runner.Closed, 4 }},
		{"fifty orders a second whatever the answers", func(c *runner.Config) { c.Mode, c.Rate, c.Customers = runner.Open, 50, 8 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := runner.Defaults()
			cfg.OrderURL, cfg.StockURL, cfg.PaymentURL = s.URL(contracts.AppOrder), s.URL(contracts.AppStock), s.URL(contracts.AppPayment)
			cfg.Duration, cfg.FailStock, cfg.FailPayment = 2*time.Second, 0.1, 0.1
			cfg.RunID = fmt.Sprintf("t%d", time.Now().UnixNano())
			tc.load(&cfg)

			res, err := runner.Run(context.Background(), cfg, nil)
			if err != nil {
				t.Fatal(err)
			}

			t.Log(res)
			expectEveryOrderAccountedFor(t, res)
		})
	}
}

func expectEveryOrderAccountedFor(t *testing.T, res *runner.Result) {
	t.Helper()
	byStatus := res.ByStatus["CONFIRMED"] + res.ByStatus["CANCELED"]
	switch {
	case res.Sent == 0:
		t.Fatal("no order was sent")
	case res.Sent != res.Accepted || res.Accepted != res.Finished:
		t.Errorf("sent %d, accepted %d, finished %d: want all equal", res.Sent, res.Accepted, res.Finished)
	case byStatus != res.Finished || len(res.ByStatus) > 2:
		t.Errorf("by status %v does not add up to %d finished", res.ByStatus, res.Finished)
	}
	if len(res.Errors) > 0 || res.Pending > 0 || res.TimedOut > 0 {
		t.Errorf("errors %v (%v), pending %d, timed out %d: want none", res.Errors, res.ErrorSamples, res.Pending, res.TimedOut)
	}
	if len(res.Mismatches) > 0 {
		t.Errorf("orders that ended otherwise than built to: %v", res.Mismatches)
	}
	if res.ByStatus["CANCELED"] == 0 || res.ByStatus["CONFIRMED"] == 0 {
		t.Errorf("by status %v: the fail shares should cancel some orders and confirm the rest", res.ByStatus)
	}
	if got := res.Accept.Count; got != uint64(res.Accepted) {
		t.Errorf("%d accept latencies for %d accepted orders", got, res.Accepted)
	}
	if got := res.Final.Count; got != uint64(res.Finished) {
		t.Errorf("%d final latencies for %d finished orders", got, res.Finished)
	}
}

// startStack starts the saga with its own Redis and free ports, and stops
// it when the test ends, printing its logs if the test failed.
func startStack(t *testing.T) *stack.Stack {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	ports, err := stack.FreePorts()
	if err != nil {
		t.Fatal(err)
	}
	redisPort, err := stack.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	logs := &stack.LogBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	s, err := stack.Start(ctx, stack.Options{
		Root: root, Dir: t.TempDir(), Ports: ports, Log: logs, LogLevel: "warn", DaprLog: "error",
		RedisAddr: fmt.Sprintf("127.0.0.1:%d", redisPort), OwnRedis: true,
	})
	if err != nil {
		t.Fatalf("start the stack: %v\n%s", err, logs.String())
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("the stack's logs:\n%s", logs.String())
		}
	})
	return s
}
