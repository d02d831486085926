package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
)

// waitForCatalog waits until stock-svc has seeded its catalog.
func waitForCatalog(ctx context.Context, stockURL string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		var page struct {
			Products []json.RawMessage `json:"products"`
		}
		if err := getJSON(ctx, stockURL+"/products?limit=1", &page); err == nil && len(page.Products) > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the catalog was not seeded: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func getJSON(ctx context.Context, url string, v any) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func printReady(s *stack.Stack, took time.Duration, promURL string) {
	order, stock, pay := s.URL(contracts.AppOrder), s.URL(contracts.AppStock), s.URL(contracts.AppPayment)
	redis := "started by this run"
	if !s.Redis.Started() {
		redis = "already running, left as it is on exit"
	}
	fmt.Printf(`
==> ready in %.1fs
    order-svc   %s   stock-svc   %s   payment-svc   %s
    redis       %s (%s)
    scheduler   %s (Dapr's jobs, data in %s)
%s    admin token %s (ADMIN_TOKEN; every token is in %s)

In another shell, first export the tokens (ADMIN_TOKEN, APP_API_TOKEN, DAPR_API_TOKEN, REDIS_PASSWORD):
  source %s

Place an order (its id goes into $ORDER):
  ORDER=$(curl -s -X POST %s/orders -H 'Content-Type: application/json' \
    -d '{"customerId":"alice","items":[{"productId":"coffee-beans","quantity":2}]}' | sed -E 's/.*"id":"([^"]+)".*/\1/'); echo $ORDER

Read it back (PENDING for a few milliseconds, then CONFIRMED):
  curl -s %s/orders/$ORDER

Catalog and wallet; changing them takes the admin token:
  curl -s %s/products
  curl -s %s/wallets/alice
  curl -s -H "Authorization: Bearer $ADMIN_TOKEN" -X PUT %s/wallets/alice -H 'Content-Type: application/json' -d '{"balanceCents":100000}'

%sLogs follow; a process that dies is started again, as the "supervisor" lines say.
Ctrl-C stops everything this run started.

`, took.Seconds(), order, stock, pay, s.Redis.Addr, redis, s.Scheduler.Addr, s.Scheduler.Dir, postgresLine(s), s.Tokens.Admin, stack.TokensFile, stack.TokensFile,
		order, order, stock, pay, pay, prometheusHint(promURL))
}

// printRestarts says how often the supervisor restarted each process, if
// it did: "restarts: order-svc 1, order-svc/dapr 2".
func printRestarts(counts map[string]int) {
	if len(counts) == 0 {
		return
	}
	names := slices.Sorted(maps.Keys(counts))
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = fmt.Sprintf("%s %d", name, counts[name])
	}
	fmt.Println("restarts: " + strings.Join(parts, ", "))
}

func prometheusHint(url string) string {
	if url == "" {
		return "Metrics: run `make run PROMETHEUS=1` to also start a Prometheus that scrapes everything.\n\n"
	}
	return fmt.Sprintf(`Prometheus: %s (graph: %s/graph)
  orders/s by final status: sum by (status) (rate(saga_orders_finished_total[1m]))
  saga p99 duration:        histogram_quantile(0.99, sum by (le) (rate(saga_order_duration_seconds_bucket[5m])))

`, url, url)
}

// postgresLine says where the state stores are, under STATE=postgres.
func postgresLine(s *stack.Stack) string {
	if s.Postgres == nil {
		return ""
	}
	started := "already running, left as it is on exit"
	if s.Postgres.Started() {
		started = "started by this run, data in .dev/run/postgres"
	}
	return fmt.Sprintf("    postgres    %s (the state stores: database %s, a schema per service; %s)\n", s.Postgres.Addr, s.Postgres.Database, started)
}
