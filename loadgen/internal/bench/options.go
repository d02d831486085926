// Package bench measures the saga on a local stack of its own: the bare
// Dapr hop as the machine's ceiling, the saga at saturation and at a fixed
// rate, and what every process of the stack consumed per order.
package bench

import (
	"time"
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

	FailStock, FailPayment float64
	Wait                   time.Duration
	Pollers                int

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
	TargetCPUPerOrderMs   = 3.0
	TargetServiceRSSMiB   = 30.0
)

// Defaults are the settings of `make bench`.
func Defaults() Options {
	return Options{
		OutDir:      "bench-results",
		HopMessages: 20_000, HopPublishers: 32,
		Warmup: 3 * time.Second, Concurrency: 64, Duration: 20 * time.Second, MaxOpen: 256, Rate: 100, RateFor: 20 * time.Second,
		Wait: 5 * time.Second, Pollers: 32, ProfileSeconds: 10, PprofEnv: "PPROF_ADDR",
	}
}
