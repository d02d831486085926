package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
	"github.com/example/order-saga/loadgen/internal/hop"
	"github.com/example/order-saga/loadgen/internal/report"
	"github.com/example/order-saga/loadgen/internal/runner"
)

// Results is everything one benchmark measured; it is written as JSON.
type Results struct {
	report.Provenance
	StartedAt time.Time `json:"startedAt"`
	Machine   Machine   `json:"machine"`
	Options   Options   `json:"options"`
	Catalog   Catalog   `json:"catalog"`

	Hop HopRun `json:"hop"`
	// IdleCPUMsPerSecond is what the stack uses with no order, all its
	// processes together.
	IdleCPUMsPerSecond float64 `json:"idleCpuMsPerSecond"`
	Saturation         Run     `json:"saturation"`
	FixedRate          Run     `json:"fixedRate"`
	// MemoryAtRate is each process's resident memory after the fixed-rate
	// run, which comes before the saturation run; Memory is at the end.
	MemoryAtRate map[string]Memory `json:"memoryAtRate"`
	Memory       map[string]Memory `json:"memory"`
	Targets      []Target          `json:"targets"`
	Profiles     []profileResult   `json:"profiles,omitempty"`
}

// HopRun is the bare hop and what it cost.
type HopRun struct {
	hop.Result
	Channel     string             `json:"channel"`
	CPUMs       map[string]float64 `json:"cpuMs"`
	CPUPerHopMs float64            `json:"cpuPerHopMs"` // sidecar and Redis, per message
	// SelfCPUPerHopMs is what the benchmark's own process used per
	// message: the publishers and the no-op subscriber.
	SelfCPUPerHopMs float64 `json:"selfCpuPerHopMs"`
	SubscriberApp   string  `json:"subscriberApp"`
}

// Run is one saga load and what each process used during it.
type Run struct {
	Load *runner.Result `json:"load"`
	// CPUMs is the CPU each process used from the start of the load to
	// its last final status, in ms.
	CPUMs         map[string]float64 `json:"cpuMs"`
	StackCPUMs    float64            `json:"stackCpuMs"` // services, sidecars and Redis
	CPUPerOrderMs float64            `json:"cpuPerOrderMs"`
	WallSeconds   float64            `json:"wallSeconds"`
	// OtherCPUMs is the CPU the rest of the machine used meanwhile: a
	// figure well above 0 means the benchmark shared the CPUs.
	OtherCPUMs float64 `json:"otherCpuMs"`
	// SysShare is the share of the stack's CPU spent in the kernel, and
	// SwitchesPerOrder how many times the stack's threads left the CPU
	// per finished order: the cost of waking up for each message.
	SysShare         float64 `json:"sysShare"`
	SwitchesPerOrder float64 `json:"switchesPerOrder"`
	// Calls is what each sidecar did for its service per finished order:
	// the Dapr API calls by method, and the events it delivered.
	Calls Calls `json:"callsPerOrder"`
}

// Catalog is what the orders of a stack pick from, on how many stock-svc
// instances, and how long seeding it took.
type Catalog struct {
	Products      int     `json:"products"`
	Hot           float64 `json:"hot,omitempty"`
	StockReplicas int     `json:"stockReplicas"`
	SeedSeconds   float64 `json:"seedSeconds"`
}

// Memory is a process's resident memory.
type Memory struct {
	PeakMiB float64 `json:"peakMiB"` // VmHWM: the most it ever held
	EndMiB  float64 `json:"endMiB"`
}

// Target is one goal beside its figure.
type Target struct {
	Name   string  `json:"name"`
	Figure float64 `json:"figure"`
	Unit   string  `json:"unit"`
	Limit  float64 `json:"limit"`
	AtMost bool    `json:"atMost"` // the figure must not exceed the limit (else not go below it)
	Met    bool    `json:"met"`
}

// Bench runs the whole benchmark, printing progress to log and the table
// to out, and writes <OutDir>/<timestamp>.json. The stack runs on free
// ports with its own Redis, so it never disturbs a running `make run`.
func Bench(ctx context.Context, o Options, out, log io.Writer) (*Results, error) {
	started := time.Now()
	stamp := started.Format("20060102-150405")
	o, err := prepare(o)
	if err != nil {
		return nil, err
	}
	if o.Profile {
		if o.PprofPorts, err = pprofPorts(o); err != nil {
			return nil, err
		}
	}
	res := &Results{Provenance: report.Collect(), StartedAt: started, Machine: describeMachine(), Options: o}

	s, logs, stop, err := startStack(ctx, o, filepath.Join(o.OutDir, stamp+".log"), log)
	if err != nil {
		return nil, err
	}
	defer stop()
	res.Machine.Versions = versions(o)
	procs, err := stackProcs(s)
	if err != nil {
		return nil, err
	}

	fmt.Fprintf(log, "measuring the bare hop: %d messages, %d publishers\n", o.HopMessages, o.HopPublishers)
	if res.Hop, err = measureHop(ctx, o, s, logs, hop.Channel{}); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "bare hop: %.0f delivered/s (%.0f published/s)\n", res.Hop.DeliveredPerSecond, res.Hop.PublishedPerSecond)

	base := loadConfig(o, s, stamp)
	if res.Catalog, err = seedCatalog(ctx, o, base, log); err != nil {
		return nil, err
	}
	base.CatalogSeeded = true
	if err := warmUp(ctx, o, base, stamp, log); err != nil {
		return nil, err
	}

	settle(ctx, procs, log)
	fmt.Fprintln(log, "measuring the stack at rest")
	res.IdleCPUMsPerSecond = idleCPU(ctx, procs)

	// The fixed rate first, so that what each process holds at that rate
	// is read before saturation drives it up.
	fixed := base
	fixed.Mode, fixed.Rate, fixed.Duration, fixed.RunID = runner.Open, o.Rate, o.RateFor, "r"+stamp
	fixed.Customers = o.Concurrency
	rateProfiles := startProfiles(ctx, o, o.RateFor, filepath.Join(o.OutDir, stamp+"-rate-"))
	if res.FixedRate, err = measureRun(ctx, fixed, s, procs, log); err != nil {
		return nil, err
	}
	res.Profiles = append(res.Profiles, rateProfiles()...)
	res.MemoryAtRate = memory(usage(withSelf(procs)))

	settle(ctx, procs, log)
	sat := base
	sat.Concurrency, sat.Duration, sat.MaxOpen, sat.RunID = o.Concurrency, o.Duration, o.MaxOpen, "s"+stamp
	satProfiles := startProfiles(ctx, o, o.Duration, filepath.Join(o.OutDir, stamp+"-"))
	if res.Saturation, err = measureRun(ctx, sat, s, procs, log); err != nil {
		return nil, err
	}
	res.Profiles = append(res.Profiles, satProfiles()...)

	res.Memory = memory(usage(withSelf(procs)))
	res.Targets = targets(res)
	PrintTable(out, res)
	file := filepath.Join(o.OutDir, stamp+".json")
	if err := report.WriteJSON(file, res); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "\nresults written to %s; the stack's log is %s\n", rel(o.Root, file), rel(o.Root, logs.Name()))
	return res, nil
}

// prepare checks o and makes its folder for results.
func prepare(o Options) (Options, error) {
	if err := o.Validate(); err != nil {
		return o, err
	}
	if !filepath.IsAbs(o.OutDir) {
		o.OutDir = filepath.Join(o.Root, o.OutDir)
	}
	if o.Daprd != "" {
		var err error
		if o.Daprd, err = filepath.Abs(o.Daprd); err != nil {
			return o, err
		}
	}
	return o, os.MkdirAll(o.OutDir, 0o755)
}

// seedCatalog puts the catalog in stock-svc once, before every run.
func seedCatalog(ctx context.Context, o Options, base runner.Config, log io.Writer) (Catalog, error) {
	c := Catalog{Products: o.Catalog, Hot: o.Hot, StockReplicas: o.StockReplicas}
	fmt.Fprintf(log, "seeding %d products through stock-svc\n", o.Catalog)
	took, err := runner.SeedCatalog(ctx, base)
	if err != nil {
		return c, err
	}
	c.SeedSeconds = took.Seconds()
	fmt.Fprintf(log, "seeded %d products in %.1f s (%.0f a second)\n", o.Catalog, c.SeedSeconds, float64(o.Catalog)/max(c.SeedSeconds, 1e-3))
	return c, nil
}

// warmUp puts a short load on at the fixed rate, not counted: a warm-up
// that outran the saga would leave a backlog, and its memory, to the
// first run.
func warmUp(ctx context.Context, o Options, base runner.Config, stamp string, log io.Writer) error {
	if o.Warmup <= 0 {
		return nil
	}
	warm := base
	warm.Mode, warm.Rate, warm.Duration, warm.RunID = runner.Open, o.Rate, o.Warmup, "w"+stamp
	warm.Customers = o.Concurrency
	_, err := runner.Run(ctx, warm, report.Progress(log, "warm-up"))
	return err
}

// startStack brings the saga up in benchmark mode: quiet logs, Redis
// with persistence as in `make run`, everything on free ports.
func startStack(ctx context.Context, o Options, logFile string, log io.Writer) (s *stack.Stack, logs *os.File, stop func(), err error) {
	ports, err := stack.FreePorts()
	if err != nil {
		return nil, nil, nil, err
	}
	redisPort, err := stack.FreePort()
	if err != nil {
		return nil, nil, nil, err
	}
	if logs, err = os.Create(logFile); err != nil {
		return nil, nil, nil, err
	}
	dir, err := os.MkdirTemp("", "saga-bench-")
	if err != nil {
		logs.Close()
		return nil, nil, nil, err
	}
	opts := stack.Options{
		Root: o.Root, Dir: dir, Ports: ports, Log: logs, LogLevel: "warn", DaprLog: "error",
		RedisAddr: fmt.Sprintf("127.0.0.1:%d", redisPort), OwnRedis: true, Persist: true,
		Replicas: map[string]int{contracts.AppStock: o.StockReplicas}, State: o.State,
		Daprd: o.Daprd, NoScheduler: o.NoScheduler,
	}
	if o.SamplingRate != "" {
		if opts.DaprConfig, err = stack.WithSamplingRate(filepath.Join(o.Root, "dapr", "config.yaml"), o.SamplingRate, filepath.Join(dir, "config.yaml")); err != nil {
			logs.Close()
			os.RemoveAll(dir)
			return nil, nil, nil, err
		}
	}
	opts.Env = map[string][]string{}
	if o.Profile {
		opts.Env = pprofEnv(o, o.PprofPorts)
		opts.DaprArgs = sidecarProfiling(o.PprofPorts)
	}
	// Set even when 0, so that a BULK_SUBSCRIBE of the benchmark's own
	// environment, which the services inherit, cannot change the run
	// unrecorded.
	for _, app := range stack.Apps {
		opts.Env[app] = append(opts.Env[app], "BULK_SUBSCRIBE="+strconv.Itoa(o.BulkSubscribe))
	}
	fmt.Fprintf(log, "starting the stack (services, sidecars, Redis and the state in %s, on free ports, %d stock-svc; log in %s)\n", o.State, o.StockReplicas, rel(o.Root, logFile))
	if s, err = stack.Start(ctx, opts); err != nil {
		logs.Close()
		os.RemoveAll(dir)
		return nil, nil, nil, fmt.Errorf("start the stack: %w (see %s)", err, logFile)
	}
	return s, logs, func() { s.Stop(); logs.Close(); os.RemoveAll(dir) }, nil
}

// loadConfig is the load generator's configuration for this stack.
func loadConfig(o Options, s *stack.Stack, runID string) runner.Config {
	cfg := runner.Defaults()
	cfg.OrderURL, cfg.StockURL, cfg.PaymentURL = s.URL(contracts.AppOrder), s.URL(contracts.AppStock), s.URL(contracts.AppPayment)
	cfg.AdminToken = s.Tokens.Admin
	cfg.Mode, cfg.RunID = runner.Closed, runID
	cfg.Catalog, cfg.Hot = o.Catalog, o.Hot
	cfg.FailStock, cfg.FailPayment, cfg.Wait = o.FailStock, o.FailPayment, o.Wait
	// Every accepted order is followed to its end, however long the
	// backlog takes to clear.
	cfg.FinalTimeout, cfg.DrainTimeout = 5*time.Minute, 5*time.Minute
	return cfg
}

// measureHop runs the no-op subscriber on the stack's broker and measures
// the hop, with what its sidecar and Redis used.
func measureHop(ctx context.Context, o Options, s *stack.Stack, logs io.Writer, ch hop.Channel) (HopRun, error) {
	dir, err := os.MkdirTemp("", "saga-bench-hop-")
	if err != nil {
		return HopRun{}, err
	}
	defer os.RemoveAll(dir)
	n, err := hop.Start(ctx, hop.Options{Stack: s, Dir: dir, Log: logs, Channel: ch})
	if err != nil {
		return HopRun{}, err
	}
	defer n.Stop()
	// A first small round creates the stream and its consumer group.
	if _, err := n.Measure(ctx, 200, o.HopPublishers, 30*time.Second); err != nil {
		return HopRun{}, err
	}
	procs := withSelf([]proc{{name: hop.AppID + "/dapr", pid: n.Pid()}, {name: "redis", pid: s.Pids()["redis"]}})
	before := usage(procs)
	r, err := n.Measure(ctx, o.HopMessages, o.HopPublishers, 60*time.Second)
	if err != nil {
		return HopRun{}, err
	}
	cpu := cpuBetween(before, usage(procs))
	h := HopRun{Result: r, Channel: ch.Name(), CPUMs: cpu, SubscriberApp: hop.AppID}
	if r.Delivered > 0 {
		h.CPUPerHopMs = (cpu[hop.AppID+"/dapr"] + cpu["redis"]) / float64(r.Delivered)
		h.SelfCPUPerHopMs = cpu[SelfName] / float64(r.Delivered)
	}
	return h, nil
}

// measureRun puts one load on the stack and reads what every process
// used meanwhile.
func measureRun(ctx context.Context, cfg runner.Config, s *stack.Stack, procs []proc, log io.Writer) (Run, error) {
	all := withSelf(procs)
	calls := sidecarCalls(ctx, s)
	before, busyBefore, start := usage(all), machineBusy(), time.Now()
	load, err := runner.Run(ctx, cfg, report.Progress(log, cfg.Mode))
	if err != nil {
		return Run{}, err
	}
	after := usage(all)
	r := Run{Load: load, CPUMs: cpuBetween(before, after), WallSeconds: time.Since(start).Seconds()}
	r.Calls = sidecarCalls(ctx, s).perOrder(calls, load.Finished)
	r.StackCPUMs = sum(r.CPUMs)
	r.OtherCPUMs = max(machineBusy()-busyBefore-r.StackCPUMs-r.CPUMs[SelfName], 0)
	sysShare, switches := kernelShare(before, after)
	r.SysShare = sysShare
	if load.Finished > 0 {
		r.CPUPerOrderMs = r.StackCPUMs / float64(load.Finished)
		r.SwitchesPerOrder = float64(switches) / float64(load.Finished)
	}
	report.Table(log, load)
	fmt.Fprintln(log)
	return r, ctx.Err()
}

func memory(u map[string]processUsage) map[string]Memory {
	out := make(map[string]Memory, len(u))
	for name, v := range u {
		out[name] = Memory{PeakMiB: mib(v.peakRSS), EndMiB: mib(v.rss)}
	}
	return out
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

func targets(r *Results) []Target {
	t := []Target{
		{Name: "saga orders/s at saturation", Figure: r.Saturation.Load.FinishedPerSecond, Unit: "orders/s", Limit: TargetOrdersPerSecond},
		{Name: fmt.Sprintf("p99 final latency at %g orders/s", r.FixedRate.Load.Config.Rate), Figure: r.FixedRate.Load.Final.P99Ms, Unit: "ms", Limit: TargetP99Ms, AtMost: true},
		{Name: "CPU per order at saturation", Figure: r.Saturation.CPUPerOrderMs, Unit: "ms", Limit: TargetCPUPerOrderMs, AtMost: true},
		{Name: fmt.Sprintf("CPU per order at %g orders/s", r.FixedRate.Load.Config.Rate), Figure: r.FixedRate.CPUPerOrderMs, Unit: "ms", Limit: TargetCPUPerOrderAtRateMs, AtMost: true},
	}
	for _, app := range stack.Apps {
		t = append(t,
			Target{Name: fmt.Sprintf("peak RSS of %s at %g orders/s", app, r.FixedRate.Load.Config.Rate), Figure: r.MemoryAtRate[app].PeakMiB, Unit: "MiB", Limit: TargetServiceRSSMiB, AtMost: true},
			Target{Name: fmt.Sprintf("peak RSS of %s at saturation", app), Figure: r.Memory[app].PeakMiB, Unit: "MiB", Limit: TargetServiceRSSSatMiB, AtMost: true})
	}
	for i := range t {
		if t[i].AtMost {
			t[i].Met = t[i].Figure <= t[i].Limit
		} else {
			t[i].Met = t[i].Figure >= t[i].Limit
		}
	}
	return t
}

func rel(root, path string) string {
	if r, err := filepath.Rel(root, path); err == nil {
		return r
	}
	return path
}
