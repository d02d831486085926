// Package report prints a run's progress and results, and writes them as
// JSON.
package report

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"

	"github.com/example/order-saga/loadgen/internal/runner"
	"github.com/example/order-saga/loadgen/internal/stats"
)

// Progress returns a callback that prints one line per snapshot to w.
func Progress(w io.Writer, label string) func(runner.Snapshot) {
	return func(s runner.Snapshot) {
		phase := ""
		if s.Draining {
			phase = "  (load over, waiting for the last finals)"
		}
		fmt.Fprintf(w, "%s %4.0fs  sent %7d  finished %7d  open %5d  %6.0f orders/s  errors %d%s\n",
			label, s.Elapsed.Seconds(), s.Sent, s.Finished, s.Open, s.Rate, s.Errors, phase)
	}
}

// Describe says in a few words what load a run put on.
func Describe(c runner.Config) string {
	if c.Mode == runner.Open {
		return fmt.Sprintf("open loop, %g orders/s for %s", c.Rate, c.Duration)
	}
	customers := "customers"
	if c.Concurrency == 1 {
		customers = "customer"
	}
	return fmt.Sprintf("closed loop, %d %s for %s", c.Concurrency, customers, c.Duration)
}

// Table prints the results of a run.
func Table(w io.Writer, r *runner.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "\n%s against %s", Describe(r.Config), r.Config.OrderURL)
	if r.Interrupted {
		fmt.Fprint(w, " (interrupted)")
	}
	fmt.Fprintln(w)
	fmt.Fprintf(tw, "orders\tsent\taccepted\tfinished\ttimed out\tpending\t\n")
	fmt.Fprintf(tw, "\t%d\t%d\t%d\t%d\t%d\t\n", r.Sent, r.Accepted, r.Finished, r.TimedOut, r.Pending)
	fmt.Fprintf(tw, "per second\t\t%.1f\t%.1f\t\t\t\n", r.AcceptedPerSecond, r.FinishedPerSecond)
	fmt.Fprintf(tw, "\t\t\t\t\t\t\n")
	fmt.Fprintf(tw, "latency, ms\tp50\tp90\tp99\tmax\tcount\t\n")
	latencyRow(tw, "accept (POST to 202)", r.Accept)
	latencyRow(tw, "final (POST to final seen)", r.Final)
	latencyRow(tw, "final, services' clocks", r.Saga)
	tw.Flush()
	fmt.Fprintf(w, "final status     %s\n", counts(r.ByStatus, "none yet"))
	fmt.Fprintf(w, "errors           %s\n", counts(r.Errors, "none"))
	for _, k := range slices.Sorted(maps.Keys(r.ErrorSamples)) {
		fmt.Fprintf(w, "  first %s: %s\n", k, r.ErrorSamples[k])
	}
	fmt.Fprintf(w, "unexpected ends  %s\n", counts(r.Mismatches, "none"))
	fmt.Fprintf(w, "reads per order  %.1f (GET /orders/{id}?wait=%s until final)\n", r.ReadsPerOrder, r.Config.Wait)
	fmt.Fprintf(w, "catalog          %s\n", describeCatalog(r.Config))
	switch {
	case r.Config.Seed && r.Config.CatalogSeeded:
		fmt.Fprintf(w, "seeding          %.1f s (the wallets; the products were seeded before the run)\n", r.SeedSeconds)
	case r.Config.Seed:
		fmt.Fprintf(w, "seeding          %.1f s (the products and the wallets)\n", r.SeedSeconds)
	}
}

// describeCatalog says what the orders picked their products from.
func describeCatalog(c runner.Config) string {
	n := c.Catalog
	if len(c.Products) > 0 {
		n = len(c.Products)
	}
	s := fmt.Sprintf("%d products", n)
	if n == 1 {
		s = "1 product"
	}
	if c.Hot > 0 {
		s += fmt.Sprintf(", %g%% of the orders on one hot product", 100*c.Hot)
	}
	return s
}

func latencyRow(w io.Writer, name string, s stats.Summary) {
	fmt.Fprintf(w, "%s\t%.1f\t%.1f\t%.1f\t%.1f\t%d\t\n", name, s.P50Ms, s.P90Ms, s.P99Ms, s.MaxMs, s.Count)
}

// counts prints a map of counts sorted by key, or none when empty.
func counts(m map[string]int64, none string) string {
	if len(m) == 0 {
		return none
	}
	out := ""
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("%s %d", k, m[k])
	}
	return out
}
