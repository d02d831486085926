// Package bench measures the saga on a local stack of its own: the bare
// Dapr hop as the machine's ceiling, the saga at saturation and at a fixed
// rate, and what every process of the stack consumed per order.
package bench

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/example/order-saga/loadgen/internal/runner"
)

// Options are the benchmark's settings.
type Options struct {
	Root   string // repository root
	OutDir string // where results, logs and profiles go

	HopMessages   int
	HopPublishers int

	Warmup      time.Duration
	Concurrency int // saturation: customers in the closed loop
	Duration    time.Duration
	// MaxOpen caps the orders accepted but not final during the
	// saturation run. order-svc accepts orders several times faster than
	// the saga finishes them; without a cap the backlog grows for the
	// whole run and takes minutes to clear.
	MaxOpen int
	Rate    float64 // the fixed-rate run, orders per second
	RateFor time.Duration

	// Catalog is how many products are seeded before the runs, and the
	// orders pick from; Hot is the share of orders whose first line is
	// one hot product. StockReplicas is how many stock-svc instances run.
	Catalog       int
	Hot           float64
	StockReplicas int
	// CompareCatalog, when above 0, runs Compare instead of the whole
	// benchmark: the saturation run alone, on a fresh stack for each of
	// 4 products, CompareCatalog products, the same with a hot product,
	// and the same on more stock-svc instances.
	CompareCatalog int

	FailStock, FailPayment float64
	Wait                   time.Duration // of each read of an order, for its final status
	// SamplingRate is the tracing samplingRate the stack runs with, in
	// place of the one of dapr/config.yaml; "" keeps that one.
	SamplingRate string

	// Daprd is the sidecar binary the stack runs (another version, to
	// compare); scripts/ensure-daprd.sh's when empty. NoScheduler starts
	// no Dapr scheduler, for a daprd that predates it (1.16).
	Daprd       string
	NoScheduler bool
	// State is where the stack keeps its state: "redis" or "postgres"
	// (devstack's State). CompareStores runs the whole benchmark on
	// each, in turns, and compares them in one table.
	State         string
	CompareStores bool
	// BulkSubscribe, above 0, has the sidecars deliver up to that many
	// events per request (the services' BULK_SUBSCRIBE); 0 one by one.
	BulkSubscribe int

	// Profile fetches a CPU profile of each service during the saturation
	// run, from the pprof server each service is told to open through the
	// PprofEnv variable.
	Profile        bool
	ProfileSeconds int
	PprofEnv       string
	PprofPorts     map[string]int // by app; free ports when missing
}

// Targets the benchmark reports against; they are goals, not assertions.
const (
	TargetOrdersPerSecond = 500.0
	TargetP99Ms           = 50.0
	TargetCPUPerOrderMs   = 3.0 // at saturation
	// TargetCPUPerOrderAtRateMs is at the fixed rate, where each message
	// wakes its processes alone.
	TargetCPUPerOrderAtRateMs = 5.0
	TargetServiceRSSMiB       = 30.0 // each service, at the fixed rate
	TargetServiceRSSSatMiB    = 40.0 // each service, at saturation
)

// ProductionSamplingRate is the share of orders traced in the benchmark's
// stack: a rate a production system samples at, where dapr/config.yaml
// traces every order for development.
const ProductionSamplingRate = "0.01"

// Defaults are the settings of `make bench`.
func Defaults() Options {
	return Options{
		OutDir:      "bench-results",
		HopMessages: 20_000, HopPublishers: 32,
		Warmup: 3 * time.Second, Concurrency: 64, Duration: 20 * time.Second, MaxOpen: 256, Rate: 100, RateFor: 20 * time.Second,
		Catalog: runner.DefaultCatalog, StockReplicas: 1,
		Wait: 5 * time.Second, ProfileSeconds: 10, State: "redis", PprofEnv: "PPROF_ADDR", SamplingRate: ProductionSamplingRate,
	}
}

// Validate names every setting that cannot work.
func (o Options) Validate() error {
	var errs []error
	if o.Catalog < 1 || o.CompareCatalog < 0 {
		errs = append(errs, errors.New("the catalog must hold at least 1 product"))
	}
	if o.Hot < 0 || o.Hot > 1 {
		errs = append(errs, errors.New("the hot share must be between 0 and 1"))
	}
	if o.StockReplicas < 1 {
		errs = append(errs, errors.New("at least 1 stock-svc instance is needed"))
	}
	if o.SamplingRate != "" {
		if v, err := strconv.ParseFloat(o.SamplingRate, 64); err != nil || v < 0 || v > 1 {
			errs = append(errs, errors.New("the sampling rate must be a number from 0 to 1"))
		}
	}
	if o.Daprd != "" {
		if fi, err := os.Stat(o.Daprd); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			errs = append(errs, fmt.Errorf("the sidecar %s is no executable file", o.Daprd))
		}
	}
	if o.BulkSubscribe < 0 {
		errs = append(errs, errors.New("a bulk delivery holds at least 1 event (0: one by one)"))
	}
	if o.State != "redis" && o.State != "postgres" {
		errs = append(errs, fmt.Errorf("the state store %q: use redis or postgres", o.State))
	}
	if o.CompareStores && o.CompareCatalog > 0 {
		errs = append(errs, errors.New("compare the stores or the catalogs, not both at once"))
	}
	if o.CompareCatalog > 0 && o.Profile {
		errs = append(errs, errors.New("profiles are taken by the whole benchmark, not by a comparison"))
	}
	return errors.Join(errs...)
}
