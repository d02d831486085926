package bench

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/example/order-saga/loadgen/internal/report"
)

// Stores are the state stores CompareStores measures, in this order.
var Stores = []string{"redis", "postgres"}

// StoreComparison is the whole benchmark run on each state store, one
// after the other on the same machine: it is written as JSON.
type StoreComparison struct {
	report.Provenance
	StartedAt time.Time  `json:"startedAt"`
	Machine   Machine    `json:"machine"`
	Runs      []*Results `json:"runs"` // in the order of Stores
}

// CompareStores runs the whole benchmark on a fresh stack for each store
// of Stores, each printing its own table, then one table that sets them
// side by side, and writes <OutDir>/<timestamp>-stores.json.
func CompareStores(ctx context.Context, o Options, out, log io.Writer) (*StoreComparison, error) {
	started := time.Now()
	o, err := prepare(o)
	if err != nil {
		return nil, err
	}
	c := &StoreComparison{Provenance: report.Collect(), StartedAt: started, Machine: describeMachine()}
	for _, store := range Stores {
		o.State = store
		fmt.Fprintf(log, "\n== the state in %s ==\n", store)
		r, err := Bench(ctx, o, out, log)
		if err != nil {
			return c, fmt.Errorf("the benchmark with the state in %s: %w", store, err)
		}
		c.Runs = append(c.Runs, r)
	}
	PrintStoreComparison(out, c)
	file := filepath.Join(o.OutDir, started.Format("20060102-150405")+"-stores.json")
	if err := report.WriteJSON(file, c); err != nil {
		return c, err
	}
	fmt.Fprintf(out, "\nresults written to %s\n", rel(o.Root, file))
	return c, nil
}

// storeProcess is the process name of each store in the figures.
var storeProcess = map[string]string{"redis": "redis", "postgres": "postgres"}

// PrintStoreComparison sets the runs of a comparison side by side.
func PrintStoreComparison(w io.Writer, c *StoreComparison) {
	fmt.Fprintf(w, "\nState stores compared: %s\n", describeRun(c.Provenance, c.Machine))
	fmt.Fprintln(w, "Each store on a fresh stack, one after the other; the broker is Redis Streams in both.")
	fmt.Fprintln(w)
	rate := "the fixed rate"
	if len(c.Runs) > 0 {
		rate = fmt.Sprintf("%g/s", c.Runs[0].Options.Rate)
	}
	fmt.Fprintf(w, "| state in | orders/s at saturation | CPU ms per order, saturation | CPU ms per order at %[1]s | final p50 / p99 at %[1]s | the store's CPU ms per order at %[1]s | the store's memory at the end |\n", rate)
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	for _, r := range c.Runs {
		sat, fixed := r.Saturation, r.FixedRate
		store := storeProcess[r.Options.State]
		fmt.Fprintf(w, "| %s | %.0f | %s | %s | %.1f / %.1f ms | %s | %.0f MiB |\n", r.Options.State,
			sat.Load.FinishedPerSecond, perOrder(sat, sat.StackCPUMs, false), perOrder(fixed, fixed.StackCPUMs, false),
			fixed.Load.Final.P50Ms, fixed.Load.Final.P99Ms, perOrder(fixed, fixed.CPUMs[store], false), r.Memory[store].PeakMiB)
	}
	if len(c.Runs) > 0 && c.Runs[len(c.Runs)-1].Options.State == "postgres" {
		fmt.Fprintln(w, "\nPostgreSQL's CPU is its server's and every backend's; its memory the sum of their proportional set sizes (shared buffers counted once); Redis's is its peak RSS.")
	}
}
