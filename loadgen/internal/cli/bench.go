package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/example/order-saga/devstack/stack"
	"github.com/example/order-saga/loadgen/internal/bench"
)

// Bench runs the benchmark with args: progress to stderr, the table to
// stdout.
func Bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := bench.Defaults()
	fs.StringVar(&o.OutDir, "out-dir", o.OutDir, "folder for the results, the stack's log and profiles, relative to the repository root")
	fs.IntVar(&o.HopMessages, "hop-messages", o.HopMessages, "messages published to measure the bare hop")
	fs.IntVar(&o.HopPublishers, "hop-publishers", o.HopPublishers, "concurrent publishers for the bare hop")
	fs.DurationVar(&o.Warmup, "warmup", o.Warmup, "a short load before the measured ones (0 for none)")
	fs.IntVar(&o.Concurrency, "concurrency", o.Concurrency, "customers of the saturation run (closed loop)")
	fs.DurationVar(&o.Duration, "duration", o.Duration, "length of the saturation run")
	fs.IntVar(&o.MaxOpen, "max-open", o.MaxOpen, "saturation: most orders accepted but not final at once (0: no limit)")
	fs.Float64Var(&o.Rate, "rate", o.Rate, "orders per second of the fixed-rate run (open loop)")
	fs.DurationVar(&o.RateFor, "rate-duration", o.RateFor, "length of the fixed-rate run")
	fs.IntVar(&o.Catalog, "catalog", o.Catalog, "products seeded before the runs (loadgen-1 to loadgen-<N>), which orders pick uniformly")
	fs.Float64Var(&o.Hot, "hot", 0, "share of orders whose first line is one hot product (loadgen-1), the rest uniform")
	fs.IntVar(&o.StockReplicas, "stock-replicas", o.StockReplicas, "stock-svc instances in the stack")
	fs.IntVar(&o.CompareCatalog, "compare-catalog", 0, "instead of the whole benchmark, the saturation run alone on a fresh stack for each of: "+
		"4 products, N products, N with a hot product (-hot, else 0.5), N on more stock-svc instances (-stock-replicas, else 2); one table")
	fs.Float64Var(&o.FailStock, "fail-stock", 0, "share of orders meant to fail for stock")
	fs.Float64Var(&o.FailPayment, "fail-payment", 0, "share of orders meant to fail for payment")
	fs.DurationVar(&o.Wait, "wait", o.Wait, "how long each read of an order waits for its final status (GET /orders/{id}?wait=)")
	var compareHops bool
	fs.BoolVar(&compareHops, "compare-hops", false, "instead of the whole benchmark, the bare hop alone over each channel between sidecar and app "+
		"(HTTP, HTTP/2 or gRPC deliveries, publishes over TCP or a Unix socket), in turns; one table")
	var jobs bool
	jo := bench.DefaultJobOptions()
	fs.BoolVar(&jobs, "jobs", false, "instead of the whole benchmark, what Dapr jobs cost the sidecar and the scheduler: a probe app creates jobs at each "+
		"-job-rates for -job-duration, once to fire -job-due after creation, once to be cancelled -job-cancel after it; one table")
	fs.Func("job-rates", "jobs created per second, comma-separated (default 100,500)", func(s string) error {
		jo.Rates = nil
		for _, r := range strings.Split(s, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(r), 64)
			if err != nil {
				return fmt.Errorf("%q: not a rate", r)
			}
			jo.Rates = append(jo.Rates, v)
		}
		return nil
	})
	fs.DurationVar(&jo.Duration, "job-duration", jo.Duration, "how long jobs are created at each rate")
	fs.DurationVar(&jo.DueAfter, "job-due", jo.DueAfter, "when a job that fires is due, after its creation")
	fs.DurationVar(&jo.CancelAfter, "job-cancel", jo.CancelAfter, "when a job that is cancelled is cancelled, after its creation")
	fs.StringVar(&o.SamplingRate, "sampling-rate", o.SamplingRate, "tracing samplingRate of the stack's sidecars and services (\"\": dapr/config.yaml's)")
	fs.StringVar(&o.Daprd, "daprd", "", "sidecar binary the stack runs, to compare Dapr versions (default: the one scripts/ensure-daprd.sh builds)")
	fs.BoolVar(&o.NoScheduler, "no-scheduler", false, "start no Dapr scheduler, for a daprd that predates it (1.16)")
	fs.StringVar(&o.State, "state", o.State, "where the stack keeps its state: redis or postgres")
	fs.BoolVar(&o.CompareStores, "compare-stores", false, "the whole benchmark on Redis, then on PostgreSQL, each on a fresh stack; one more table compares them")
	fs.IntVar(&o.BulkSubscribe, "bulk-subscribe", 0, "events the sidecars may deliver per request (the services' BULK_SUBSCRIBE; 0: one by one)")
	fs.BoolVar(&o.Profile, "profile", false, "take a CPU profile of each service during the fixed-rate and the saturation runs")
	fs.IntVar(&o.ProfileSeconds, "profile-seconds", o.ProfileSeconds, "length of each profile")
	fs.StringVar(&o.PprofEnv, "pprof-env", o.PprofEnv, "variable that tells a service the address of its pprof server")
	fs.Func("pprof-ports", "app=port,... pprof ports of the services (default: free ports)", func(s string) error {
		o.PprofPorts = map[string]int{}
		for _, pair := range strings.Split(s, ",") {
			app, port, ok := strings.Cut(pair, "=")
			p, err := strconv.Atoi(port)
			if !ok || err != nil {
				return fmt.Errorf("%q: want app=port", pair)
			}
			o.PprofPorts[strings.TrimSpace(app)] = p
		}
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	root, err := stack.RepoRoot()
	if err != nil {
		return err
	}
	o.Root = root
	switch {
	case jobs:
		_, err = bench.Jobs(ctx, o, jo, stdout, stderr)
	case compareHops:
		_, err = bench.CompareHops(ctx, o, stdout, stderr)
	case o.CompareStores:
		_, err = bench.CompareStores(ctx, o, stdout, stderr)
	case o.CompareCatalog > 0:
		_, err = bench.Compare(ctx, o, stdout, stderr)
	default:
		_, err = bench.Bench(ctx, o, stdout, stderr)
	}
	return err
}
