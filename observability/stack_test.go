package observability_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/example/order-saga/devstack/stack"
)

// A running stack with a real Prometheus scraping it, for every test here.
var (
	saga *stack.Stack
	prom *stack.Prometheus
	logs = &stack.LogBuffer{}
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	root, _ := filepath.Abs("..")
	dir, err := os.MkdirTemp("", "saga-observability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ports, err := stack.FreePorts()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	redisAddr, _ := stack.FreeAddr()
	saga, err = stack.Start(ctx, stack.Options{Root: root, Dir: dir, Ports: ports, RedisAddr: redisAddr, OwnRedis: true, Log: logs, LogLevel: "warn"})
	if err != nil {
		fmt.Fprintf(os.Stderr, "start the stack: %v\n%s", err, logs.String())
		return 1
	}
	defer saga.Stop()
	promAddr, _ := stack.FreeAddr()
	prom, err = saga.StartPrometheus(ctx, promAddr, time.Second)
	if err != nil {
		fmt.Fprintf(os.Stderr, "start prometheus: %v\n%s", err, logs.String())
		return 1
	}
	defer prom.Stop()
	return m.Run()
}
