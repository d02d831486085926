package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/example/order-saga/loadgen/internal/report"
	"github.com/example/order-saga/loadgen/internal/stats"
	"github.com/example/order-saga/loadgen/jobprobe"
)

// JobOptions are the settings of the job cost benchmark.
type JobOptions struct {
	Rates    []float64     // jobs created per second, one run of each kind per rate
	Duration time.Duration // of the creation in each run
	// DueAfter is when a job of a firing run is due, after its creation.
	DueAfter time.Duration
	// CancelAfter is when a job of a cancelling run is cancelled, after
	// its creation; it is due an hour later, so it never fires.
	CancelAfter time.Duration
	// Senders bounds the requests to the probe in flight at once.
	Senders int
	// Drain is how long after the last due time a firing run waits for
	// the jobs not fired yet.
	Drain time.Duration
}

// DefaultJobOptions are the settings of `make bench-jobs`.
func DefaultJobOptions() JobOptions {
	return JobOptions{Rates: []float64{100, 500}, Duration: 20 * time.Second, DueAfter: 2 * time.Second,
		CancelAfter: 2 * time.Second, Senders: 64, Drain: 60 * time.Second}
}

// Validate names every setting that cannot work.
func (o JobOptions) Validate() error {
	var errs []error
	if len(o.Rates) == 0 {
		errs = append(errs, errors.New("at least one rate of jobs is needed"))
	}
	for _, r := range o.Rates {
		if r <= 0 {
			errs = append(errs, fmt.Errorf("a rate of %g jobs/s: must be above 0", r))
		}
	}
	if o.Duration <= 0 || o.DueAfter < 0 || o.CancelAfter <= 0 || o.Drain <= 0 {
		errs = append(errs, errors.New("the durations must be above 0"))
	}
	if o.Senders < 1 {
		errs = append(errs, errors.New("at least 1 sender is needed"))
	}
	return errors.Join(errs...)
}

// The kinds of job run.
const (
	// JobsFired: each job fires DueAfter after its creation.
	JobsFired = "fired"
	// JobsCancelled: each job is cancelled CancelAfter after its
	// creation, long before it is due: what a deadline of an order that
	// finishes in time costs.
	JobsCancelled = "cancelled"
)

// JobCost is what Dapr jobs cost the probe's sidecar and the scheduler,
// at each rate: it is written as JSON.
type JobCost struct {
	report.Provenance
	StartedAt    time.Time  `json:"startedAt"`
	Machine      Machine    `json:"machine"`
	Options      JobOptions `json:"options"`
	SamplingRate string     `json:"samplingRate"` // the sidecars' tracing samplingRate
	// IdleCPUMsPerSecond is what each measured process uses with no job.
	IdleCPUMsPerSecond map[string]float64 `json:"idleCpuMsPerSecond"`
	Runs               []JobRun           `json:"runs"`
}

// JobRun is one run: jobs created at a rate for a while, then fired or
// cancelled, and what each process used from the first creation to the
// last delivery or cancellation.
type JobRun struct {
	Kind string  `json:"kind"`
	Rate float64 `json:"rate"` // asked, jobs per second
	// Created counts the jobs scheduled, Failed the schedules or cancels
	// refused, Fired the deliveries (a job delivered twice counts twice),
	// Cancelled the cancellations done.
	Created          int     `json:"created"`
	Failed           int     `json:"failed"`
	Fired            int     `json:"fired"`
	Cancelled        int     `json:"cancelled"`
	CreatedPerSecond float64 `json:"createdPerSecond"`
	// FiredPerSecond is Fired over the time from the first delivery to
	// the last.
	FiredPerSecond float64 `json:"firedPerSecond"`
	// Schedule is how long each schedule took, through the probe's API
	// (the probe, its sidecar, the scheduler and its etcd write).
	Schedule stats.Summary `json:"schedule"`
	// Late is how long after its due time each job reached the app.
	Late        stats.Summary      `json:"late"`
	CPUMs       map[string]float64 `json:"cpuMs"`
	WallSeconds float64            `json:"wallSeconds"`
	// OtherCPUMs is what the rest of the machine (the saga's idle stack
	// among it) used meanwhile.
	OtherCPUMs float64 `json:"otherCpuMs"`
}

// Names of the measured processes in the figures.
const (
	probeSidecar = jobprobe.AppID + "-1/dapr"
	probeApp     = jobprobe.AppID + "-1"
	scheduler    = "scheduler"
)

// perJob is the CPU of a process per job created, in ms.
func (r JobRun) perJob(name string) float64 {
	if r.Created == 0 {
		return 0
	}
	return r.CPUMs[name] / float64(r.Created)
}

// Jobs measures what Dapr jobs cost: on a stack of its own with its
// scheduler, the job probe (one replica and its sidecar) creates jobs at
// each rate of jo, once to fire and once to be cancelled, and the CPU of
// the sidecar, the scheduler and the probe is read from /proc. It prints
// a table to out and writes <OutDir>/<timestamp>-jobs.json.
func Jobs(ctx context.Context, o Options, jo JobOptions, out, log io.Writer) (*JobCost, error) {
	if err := jo.Validate(); err != nil {
		return nil, err
	}
	if o.NoScheduler {
		return nil, errors.New("jobs need the scheduler")
	}
	started := time.Now()
	stamp := started.Format("20060102-150405")
	o, err := prepare(o)
	if err != nil {
		return nil, err
	}
	res := &JobCost{Provenance: report.Collect(), StartedAt: started, Machine: describeMachine(), Options: jo, SamplingRate: o.SamplingRate}
	s, logs, stop, err := startStack(ctx, o, filepath.Join(o.OutDir, stamp+"-jobs.log"), log)
	if err != nil {
		return nil, err
	}
	defer stop()
	res.Machine.Versions = versions(o)
	dir, err := os.MkdirTemp("", "saga-bench-jobs-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintln(log, "starting the job probe and its sidecar")
	p, err := jobprobe.Start(ctx, s, jobprobe.Options{Replicas: 1, Dir: dir, Log: logs, LogLevel: "warn"})
	if err != nil {
		return nil, err
	}
	defer p.Stop()
	pids := p.Pids()
	procs := []proc{{name: probeSidecar, pid: pids[probeSidecar]}, {name: probeApp, pid: pids[probeApp]}, {name: scheduler, pid: s.Pids()[scheduler]}}

	settle(ctx, procs, log)
	res.IdleCPUMsPerSecond = idlePerProcess(ctx, procs, 5*time.Second)
	for _, kind := range []string{JobsFired, JobsCancelled} {
		for _, rate := range jo.Rates {
			settle(ctx, procs, log)
			fmt.Fprintf(log, "%s: %g jobs/s for %s\n", kind, rate, jo.Duration)
			r, err := measureJobs(ctx, p, jo, kind, rate, fmt.Sprintf("%s-%g-%s", kind, rate, stamp), procs)
			if err != nil {
				return nil, fmt.Errorf("%s at %g/s: %w", kind, rate, err)
			}
			fmt.Fprintf(log, "  created %d, fired %d, cancelled %d, failed %d\n", r.Created, r.Fired, r.Cancelled, r.Failed)
			res.Runs = append(res.Runs, r)
		}
	}
	PrintJobCost(out, res)
	file := filepath.Join(o.OutDir, stamp+"-jobs.json")
	if err := report.WriteJSON(file, res); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "\nresults written to %s; the stack's log is %s\n", rel(o.Root, file), rel(o.Root, logs.Name()))
	return res, nil
}

// idlePerProcess is what each process uses at rest, in ms of CPU per
// second.
func idlePerProcess(ctx context.Context, procs []proc, d time.Duration) map[string]float64 {
	before, start := usage(procs), time.Now()
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
	cpu := cpuBetween(before, usage(procs))
	for name := range cpu {
		cpu[name] /= time.Since(start).Seconds()
	}
	return cpu
}

// measureJobs creates jobs named <run>-<n> at rate for jo.Duration, open
// loop, and waits until each has fired (JobsFired) or been cancelled
// (JobsCancelled), reading what each process used meanwhile.
func measureJobs(ctx context.Context, p *jobprobe.Probe, jo JobOptions, kind string, rate float64, run string, procs []proc) (JobRun, error) {
	all := withSelf(procs)
	r := JobRun{Kind: kind, Rate: rate}
	before, busyBefore, start := usage(all), machineBusy(), time.Now()
	done := sendJobs(ctx, p, jo, kind, rate, run)
	r.Created, r.Failed, r.Cancelled = done.created, done.failed, done.cancelled
	r.Schedule = done.took.Summary()
	r.CreatedPerSecond = float64(r.Created) / jo.Duration.Seconds()
	if kind == JobsFired {
		fired, err := awaitFired(ctx, p, run, r.Created, start.Add(jo.Duration+jo.DueAfter+jo.Drain))
		if err != nil {
			return r, err
		}
		r.Fired = len(fired)
		var late stats.Samples
		first, last := time.Time{}, time.Time{}
		for _, f := range fired {
			late.Record(f.Late())
			if first.IsZero() || f.FiredAt.Before(first) {
				first = f.FiredAt
			}
			if f.FiredAt.After(last) {
				last = f.FiredAt
			}
		}
		r.Late = late.Summary()
		if span := last.Sub(first).Seconds(); span > 0 {
			r.FiredPerSecond = float64(len(fired)-1) / span
		}
	}
	after := usage(all)
	r.CPUMs = cpuBetween(before, after)
	r.WallSeconds = time.Since(start).Seconds()
	r.OtherCPUMs = max(machineBusy()-busyBefore-sum(r.CPUMs)-r.CPUMs[SelfName], 0)
	return r, ctx.Err()
}

// sent is what sendJobs did.
type sent struct {
	created, failed, cancelled int
	took                       stats.Samples // of each schedule that succeeded
}

// sendJobs schedules job i of the run at start + i/rate through the
// probe, by jo.Senders at most at once, and, for JobsCancelled, cancels
// each jo.CancelAfter after its creation. It returns once every request
// is answered.
func sendJobs(ctx context.Context, p *jobprobe.Probe, jo JobOptions, kind string, rate float64, run string) sent {
	var (
		mu  sync.Mutex
		out sent
		wg  sync.WaitGroup
	)
	count := func(n *int, took time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		*n++
		if took > 0 {
			out.took.Record(took)
		}
	}
	n := int(rate * jo.Duration.Seconds())
	start := time.Now()
	slots := make(chan struct{}, jo.Senders)
	for i := range n {
		at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		select {
		case <-time.After(time.Until(at)):
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("%s-%d", run, i)
			begun := time.Now()
			due := begun.Add(jo.DueAfter)
			if kind == JobsCancelled {
				due = begun.Add(time.Hour)
			}
			err := p.Schedule(ctx, 1, name, due, 0)
			<-slots
			if err != nil {
				count(&out.failed, 0)
				return
			}
			count(&out.created, time.Since(begun))
			if kind != JobsCancelled {
				return
			}
			select {
			case <-time.After(jo.CancelAfter):
			case <-ctx.Done():
				return
			}
			slots <- struct{}{}
			defer func() { <-slots }()
			if err := p.Cancel(ctx, 1, name); err != nil {
				count(&out.failed, 0)
				return
			}
			count(&out.cancelled, 0)
		}()
	}
	wg.Wait()
	return out
}

// awaitFired reads the probe's deliveries as they come until want of the
// run's jobs have come, or until deadline, and returns them.
func awaitFired(ctx context.Context, p *jobprobe.Probe, run string, want int, deadline time.Time) ([]jobprobe.Firing, error) {
	var fired []jobprobe.Firing
	from := 0
	for {
		v, err := p.Fired(ctx, 1, from)
		if err != nil {
			return nil, err
		}
		from += len(v.Fired)
		for _, f := range v.Fired {
			if strings.HasPrefix(f.Name, run+"-") {
				fired = append(fired, f)
			}
		}
		if len(fired) >= want || time.Now().After(deadline) {
			return fired, nil
		}
		select {
		case <-time.After(250 * time.Millisecond):
		case <-ctx.Done():
			return fired, ctx.Err()
		}
	}
}

// PrintJobCost prints the job runs as one table, then what the measured
// processes use at rest.
func PrintJobCost(w io.Writer, c *JobCost) {
	o := c.Options
	fmt.Fprintf(w, "What a Dapr job costs: %s\n", describeRun(c.Provenance, c.Machine))
	fmt.Fprintf(w, "daprd %s; one probe replica and its sidecar; tracing samplingRate %s; each rate for %s; fired jobs due %s after their creation, cancelled ones cancelled %s after it\n\n",
		c.Machine.Versions["daprd"], c.SamplingRate, o.Duration, o.DueAfter, o.CancelAfter)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "jobs\tasked/s\tcreated/s\tschedule p50 ms\tschedule p99 ms\tfired/s\tlate p50 ms\tlate p99 ms\tlate max ms\tsidecar ms/job\tscheduler ms/job\tsidecar+scheduler ms/job\tprobe app ms/job\tfailed\tother CPU %%\t\n")
	for _, r := range c.Runs {
		late := func(ms float64) string { return fmt.Sprintf("%.0f", ms) }
		fired, p50, p99, most := "-", "-", "-", "-"
		if r.Kind == JobsFired {
			fired = fmt.Sprintf("%.0f (%d)", r.FiredPerSecond, r.Fired)
			p50, p99, most = late(r.Late.P50Ms), late(r.Late.P99Ms), late(r.Late.MaxMs)
		}
		other := 0.0
		if r.WallSeconds > 0 {
			other = r.OtherCPUMs / r.WallSeconds / 10
		}
		fmt.Fprintf(tw, "%s\t%g\t%.0f (%d)\t%.1f\t%.1f\t%s\t%s\t%s\t%s\t%.3f\t%.3f\t%.3f\t%.3f\t%d\t%.0f\t\n",
			r.Kind, r.Rate, r.CreatedPerSecond, r.Created, r.Schedule.P50Ms, r.Schedule.P99Ms, fired, p50, p99, most,
			r.perJob(probeSidecar), r.perJob(scheduler), r.perJob(probeSidecar)+r.perJob(scheduler), r.perJob(probeApp), r.Failed, other)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nat rest, ms of CPU per second: sidecar %.1f, scheduler %.1f, probe app %.1f\n",
		c.IdleCPUMsPerSecond[probeSidecar], c.IdleCPUMsPerSecond[scheduler], c.IdleCPUMsPerSecond[probeApp])
	fmt.Fprintln(w, "CPU per job: from the first creation to the last delivery or cancellation, divided by the jobs created; \"other CPU\" is the rest of the machine meanwhile, in % of one CPU")
}
