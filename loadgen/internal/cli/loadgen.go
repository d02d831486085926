// Package cli turns command lines into runs of the load generator and the
// benchmark.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/example/order-saga/devstack/stack"
	"github.com/example/order-saga/loadgen/internal/report"
	"github.com/example/order-saga/loadgen/internal/runner"
)

// Loadgen runs the load generator with args, printing progress to stderr
// and the results to stdout.
func Loadgen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := runner.Defaults()
	bindRunFlags(fs, &cfg)
	fs.StringVar(&cfg.OrderURL, "url", cfg.OrderURL, "base URL of order-svc")
	fs.StringVar(&cfg.StockURL, "stock-url", "", "base URL of stock-svc, for seeding (default: stock-svc's port on order-svc's host)")
	fs.StringVar(&cfg.PaymentURL, "payment-url", "", "base URL of payment-svc, for seeding (default: payment-svc's port on order-svc's host)")
	fs.StringVar(&cfg.Mode, "mode", cfg.Mode, "closed (customers ordering back to back) or open (a fixed arrival rate)")
	fs.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "closed loop: customers placing orders at once")
	fs.Float64Var(&cfg.Rate, "rate", cfg.Rate, "open loop: orders per second")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long orders are sent")
	out := fs.String("out", "", "write the results as JSON to this file")
	quiet := fs.Bool("quiet", false, "no progress line")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg = cfg.WithSiblingURLs()
	cfg.OrderURL = strings.TrimRight(cfg.OrderURL, "/")
	if cfg.Seed {
		token, err := adminToken()
		if err != nil {
			return err
		}
		cfg.AdminToken = token
	}

	if err := cfg.Validate(); err != nil {
		return err
	}
	var progress func(runner.Snapshot)
	if !*quiet {
		progress = report.Progress(stderr, cfg.Mode)
	}
	fmt.Fprintf(stderr, "%s against %s (run %s)\n", report.Describe(cfg), cfg.OrderURL, cfg.RunID)
	res, err := runner.Run(ctx, cfg, progress)
	if err != nil {
		return err
	}
	report.Table(stdout, res)
	if *out != "" {
		doc := struct {
			report.Provenance
			Result *runner.Result `json:"result"`
		}{report.Collect(), res}
		if err := report.WriteJSON(*out, doc); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "results written to %s\n", *out)
	}
	if res.Sent > 0 && res.Accepted == 0 {
		return errors.New("no order was accepted")
	}
	return nil
}

// bindRunFlags binds the settings the load generator and the benchmark
// share.
func bindRunFlags(fs *flag.FlagSet, cfg *runner.Config) {
	fs.IntVar(&cfg.Customers, "customers", cfg.Customers, "open loop: customers the orders are spread over")
	fs.IntVar(&cfg.Catalog, "catalog", cfg.Catalog, "products to seed and order, loadgen-1 to loadgen-<N>, picked uniformly (unless -products)")
	fs.Float64Var(&cfg.Hot, "hot", 0, "share of orders whose first line is one hot product (loadgen-1), the rest uniform")
	fs.Func("products", "comma-separated product ids to order instead of the load generator's catalog", func(s string) error {
		cfg.Products = nil
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				cfg.Products = append(cfg.Products, p)
			}
		}
		if len(cfg.Products) == 0 {
			return errors.New("no product id")
		}
		return nil
	})
	fs.BoolVar(&cfg.Seed, "seed", cfg.Seed, "seed products and wallets first through stock-svc and payment-svc; with -seed=false, -products must exist")
	fs.Float64Var(&cfg.FailStock, "fail-stock", 0, "share of orders naming an unknown product (canceled for stock)")
	fs.Float64Var(&cfg.FailPayment, "fail-payment", 0, "share of orders by a customer with an empty wallet (canceled for payment)")
	fs.BoolVar(&cfg.IdempotencyKey, "idempotency-key", false, "send an Idempotency-Key with every order")
	fs.DurationVar(&cfg.Wait, "wait", cfg.Wait, "how long each read of an order waits for its final status (GET /orders/{id}?wait=)")
	fs.DurationVar(&cfg.FinalTimeout, "final-timeout", cfg.FinalTimeout, "an order not final this long after its POST counts as an error")
	fs.DurationVar(&cfg.DrainTimeout, "drain-timeout", cfg.DrainTimeout, "how long to wait for the last finals once the load is over")
	fs.DurationVar(&cfg.RequestTimeout, "request-timeout", cfg.RequestTimeout, "timeout of one HTTP request")
	fs.IntVar(&cfg.MaxOpen, "max-open", cfg.MaxOpen, "closed loop: hold customers back while this many orders are accepted but not final (0: no limit)")
	fs.IntVar(&cfg.MaxInFlight, "max-in-flight", cfg.MaxInFlight, "open loop: most POSTs waiting for an answer; beyond it an arrival counts as an error")
	cfg.RunID = strconv.FormatInt(time.Now().UnixMilli(), 36)
	fs.StringVar(&cfg.RunID, "run-id", cfg.RunID, "names this run's customers (letters, digits, . _ -)")
	fs.Uint64Var(&cfg.RandSeed, "rand-seed", 1, "seed of the order mix")
}

// adminToken is the token seeding shows: ADMIN_TOKEN, else the one `make
// run` keeps in the repository's .dev/run/tokens.env; empty when neither
// is there (outside the repository, say).
func adminToken() (string, error) {
	path := ""
	if root, err := stack.RepoRoot(); err == nil {
		path = filepath.Join(root, stack.TokensFile)
	}
	t, err := stack.LoadTokens(path)
	if err != nil {
		return "", fmt.Errorf("the admin token: %w", err)
	}
	return t.Admin, nil
}
