package bench

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/loadgen/internal/report"
	"github.com/example/order-saga/loadgen/internal/runner"
)

// Comparison is the saturation run of several configurations of the
// catalog and of stock-svc, each on a fresh stack: it is written as JSON.
type Comparison struct {
	report.Provenance
	StartedAt time.Time `json:"startedAt"`
	Machine   Machine   `json:"machine"`
	Options   Options   `json:"options"`
	Cases     []Case    `json:"cases"`
}

// Case is one configuration of a comparison and what its saturation run
// measured, or why it has no figures.
type Case struct {
	Catalog    Catalog `json:"catalog"`
	Saturation Run     `json:"saturation"`
	// StockCPUMs is what the stock-svc instances used during the run,
	// their sidecars not included.
	StockCPUMs float64 `json:"stockCpuMs"`
	Log        string  `json:"log,omitempty"`
	Error      string  `json:"error,omitempty"`
}

// Defaults of the configurations a comparison adds to the catalog
// sizes, when -hot and -stock-replicas say nothing.
const (
	compareHot      = 0.5
	compareReplicas = 2
)

// comparedCatalogs are the configurations Compare measures: the default
// catalog and one of o.CompareCatalog products, uniform on one stock-svc;
// then the large catalog with a hot product (o.Hot, or half the orders),
// and on more stock-svc instances (o.StockReplicas, or 2).
func comparedCatalogs(o Options) []Catalog {
	hot, replicas := o.Hot, o.StockReplicas
	if hot == 0 {
		hot = compareHot
	}
	if replicas < 2 {
		replicas = compareReplicas
	}
	n := o.CompareCatalog
	return []Catalog{
		{Products: runner.DefaultCatalog, StockReplicas: 1},
		{Products: n, StockReplicas: 1},
		{Products: n, Hot: hot, StockReplicas: 1},
		{Products: n, StockReplicas: replicas},
	}
}

// Compare runs the saturation phase once per compared configuration, each
// on a fresh stack seeded with its catalog, and prints one markdown table
// of them to out; it writes <OutDir>/<timestamp>-catalog.json. The bare
// hop, the stack at rest and the fixed-rate run are left out, so that it
// takes a few minutes. A configuration that fails is reported in the
// table and the next one runs.
func Compare(ctx context.Context, o Options, out, log io.Writer) (*Comparison, error) {
	started := time.Now()
	stamp := started.Format("20060102-150405")
	o, err := prepare(o)
	if err != nil {
		return nil, err
	}
	c := &Comparison{Provenance: report.Collect(), StartedAt: started, Machine: describeMachine(), Options: o}
	cases := comparedCatalogs(o)
	for i, cat := range cases {
		if ctx.Err() != nil {
			break
		}
		fmt.Fprintf(log, "\n== %d of %d: %s\n", i+1, len(cases), cat.describe())
		one := o
		one.Catalog, one.Hot, one.StockReplicas = cat.Products, cat.Hot, cat.StockReplicas
		logFile := filepath.Join(o.OutDir, stamp+"-"+strconv.Itoa(i+1)+".log")
		k := Case{Catalog: cat, Log: rel(o.Root, logFile)}
		if err := compareOne(ctx, one, stamp+strconv.Itoa(i+1), logFile, &k, log); err != nil {
			k.Error = err.Error()
			fmt.Fprintf(log, "%s: %v\n", cat.describe(), err)
		}
		c.Cases = append(c.Cases, k)
	}
	if len(c.Cases) > 0 {
		c.Machine.Versions = versions(o)
	}
	PrintComparison(out, c)
	file := filepath.Join(o.OutDir, stamp+"-catalog.json")
	if err := report.WriteJSON(file, c); err != nil {
		return c, err
	}
	fmt.Fprintf(out, "\nresults written to %s; the stacks' logs are %s\n", rel(o.Root, file), rel(o.Root, filepath.Join(o.OutDir, stamp+"-<n>.log")))
	return c, ctx.Err()
}

// compareOne starts a stack for one configuration, seeds its catalog,
// warms it up and measures the saturation run, into k.
func compareOne(ctx context.Context, o Options, stamp, logFile string, k *Case, log io.Writer) error {
	s, _, stop, err := startStack(ctx, o, logFile, log)
	if err != nil {
		return err
	}
	defer stop()
	procs, err := stackProcs(s)
	if err != nil {
		return err
	}
	base := loadConfig(o, s, stamp)
	seeded, err := seedCatalog(ctx, o, base, log)
	k.Catalog.SeedSeconds = seeded.SeedSeconds
	if err != nil {
		return err
	}
	base.CatalogSeeded = true
	if err := warmUp(ctx, o, base, stamp, log); err != nil {
		return err
	}
	settle(ctx, procs, log)
	sat := base
	sat.Concurrency, sat.Duration, sat.MaxOpen, sat.RunID = o.Concurrency, o.Duration, o.MaxOpen, "s"+stamp
	if k.Saturation, err = measureRun(ctx, sat, s, procs, log); err != nil {
		return err
	}
	k.StockCPUMs = appCPU(k.Saturation.CPUMs, contracts.AppStock)
	return nil
}

// describe names a configuration in a few words, as the table shows it.
func (c Catalog) describe() string {
	products := "products"
	if c.Products == 1 {
		products = "product"
	}
	mix := "uniform"
	if c.Hot > 0 {
		mix = fmt.Sprintf("%g%% of orders on one hot product", 100*c.Hot)
	}
	return fmt.Sprintf("%d %s, %s, %d stock-svc", c.Products, products, mix, c.StockReplicas)
}

// appCPU is what the instances of app used (app, app-2, app-3...), their
// sidecars not included.
func appCPU(cpu map[string]float64, app string) float64 {
	var total float64
	for name, ms := range cpu {
		if instanceOf(name, app) {
			total += ms
		}
	}
	return total
}

// instanceOf tells whether a process named name is an instance of app,
// as devstack names them: app for the first, app-<n> for the others.
func instanceOf(name, app string) bool {
	if name == app {
		return true
	}
	n, ok := strings.CutPrefix(name, app+"-")
	if !ok {
		return false
	}
	_, err := strconv.Atoi(n)
	return err == nil
}
