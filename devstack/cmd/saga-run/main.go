// Command saga-run runs the whole saga locally in the foreground, as
// `make run` does: Redis, the Dapr scheduler, three Dapr sidecars and
// three services, until Ctrl-C. A process that dies is started again, and
// the restart logged.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "saga-run:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	redisAddr := os.Getenv("REDIS_ADDR")
	if redisAddr == "" {
		redisAddr = "127.0.0.1:6379"
	}
	began := time.Now()
	tokens, err := stack.RunTokens(filepath.Join(root, stack.TokensFile))
	if err != nil {
		return err
	}
	opts, stopBroker, err := stack.StartBroker(ctx, root, os.Getenv("BROKER"), os.Stdout)
	if err != nil {
		return err
	}
	defer stopBroker()
	opts.Root, opts.Dir, opts.RedisAddr, opts.Persist, opts.Supervise = root, ".dev/run", redisAddr, true, true
	opts.Tokens, opts.BindAddress = tokens, os.Getenv("BIND_ADDRESS")
	opts.State, opts.PostgresURL, opts.PostgresAddr = os.Getenv("STATE"), os.Getenv("POSTGRES_URL"), os.Getenv("POSTGRES_ADDR")
	opts.Log, opts.LogLevel, opts.DaprLog = os.Stdout, os.Getenv("LOG_LEVEL"), envOr("DAPR_LOG_LEVEL", "warn")
	s, err := stack.Start(ctx, opts)
	if err != nil {
		return err
	}
	defer s.Stop()
	if err := waitForCatalog(ctx, s.URL(contracts.AppStock)); err != nil {
		return err
	}
	promURL := ""
	if on := os.Getenv("PROMETHEUS"); on != "" && on != "0" {
		prom, err := s.StartPrometheus(ctx, envOr("PROMETHEUS_ADDR", "127.0.0.1:9090"), 2*time.Second)
		if err != nil {
			return err
		}
		defer prom.Stop()
		promURL = prom.URL
	}
	printReady(s, time.Since(began), promURL)
	<-ctx.Done()
	fmt.Println("\nstopping...")
	printRestarts(s.Restarts())
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
