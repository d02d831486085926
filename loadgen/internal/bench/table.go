package bench

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/example/order-saga/loadgen/internal/report"
)

// PrintTable prints the benchmark's figures beside their targets, then
// the CPU each process used per order.
func PrintTable(w io.Writer, r *Results) {
	fmt.Fprintf(w, "\nOrder saga benchmark: %s\n", describeRun(r.Provenance, r.Machine))
	fmt.Fprintf(w, "Catalog: %s, seeded in %.1f s\n", r.Catalog.describe(), r.Catalog.SeedSeconds)
	fmt.Fprintf(w, "Tracing: %s\n", describeSampling(r.Options.SamplingRate))
	fmt.Fprintf(w, "Sidecars: %s\n\n", describeSidecars(r.Options, r.Machine.Versions["daprd"]))
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "\tfigure\ttarget\t\t")
	row := func(name, figure string, t *Target) {
		target, verdict := "", ""
		if t != nil {
			op := "≥"
			if t.AtMost {
				op = "≤"
			}
			target, verdict = fmt.Sprintf("%s %g %s", op, t.Limit, t.Unit), "missed"
			if t.Met {
				verdict = "met"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", name, figure, target, verdict)
	}
	find := func(name string) *Target {
		for i := range r.Targets {
			if r.Targets[i].Name == name {
				return &r.Targets[i]
			}
		}
		return nil
	}

	sat, fixed := r.Saturation.Load, r.FixedRate.Load
	row("bare Dapr hop, publish to delivery", fmt.Sprintf("%.0f msg/s", r.Hop.DeliveredPerSecond), nil)
	capped := ""
	if sat.Config.MaxOpen > 0 {
		capped = fmt.Sprintf(", %d open at most", sat.Config.MaxOpen)
	}
	row(fmt.Sprintf("saga at saturation (%d customers%s, %s)", sat.Config.Concurrency, capped, sat.Config.Duration),
		fmt.Sprintf("%.0f orders/s", sat.FinishedPerSecond), find("saga orders/s at saturation"))
	if r.Hop.DeliveredPerSecond > 0 {
		row("  ratio to the bare hop", fmt.Sprintf("%.3f", sat.FinishedPerSecond/r.Hop.DeliveredPerSecond), nil)
	}
	rate := fmt.Sprintf("%g orders/s", fixed.Config.Rate)
	row("final latency at "+rate+", p50", fmt.Sprintf("%.1f ms", fixed.Final.P50Ms), nil)
	row("final latency at "+rate+", p99", fmt.Sprintf("%.1f ms", fixed.Final.P99Ms), find("p99 final latency at "+rate))
	row("final latency at "+rate+", max", fmt.Sprintf("%.1f ms", fixed.Final.MaxMs), nil)
	row("CPU per order at saturation", fmt.Sprintf("%.2f ms", r.Saturation.CPUPerOrderMs), find("CPU per order at saturation"))
	row("CPU per order at "+rate, fmt.Sprintf("%.2f ms", r.FixedRate.CPUPerOrderMs), find("CPU per order at "+rate))
	for _, name := range processOrder(r.Memory) {
		atRate, atSat := find(fmt.Sprintf("peak RSS of %s at %s", name, rate)), find(fmt.Sprintf("peak RSS of %s at saturation", name))
		if atRate == nil && atSat == nil {
			row(fmt.Sprintf("peak RSS of %s at %s / at saturation", name, rate),
				fmt.Sprintf("%.1f / %.1f MiB", r.MemoryAtRate[name].PeakMiB, r.Memory[name].PeakMiB), nil)
			continue
		}
		row(fmt.Sprintf("peak RSS of %s at %s", name, rate), fmt.Sprintf("%.1f MiB", r.MemoryAtRate[name].PeakMiB), atRate)
		row(fmt.Sprintf("peak RSS of %s at saturation", name), fmt.Sprintf("%.1f MiB", r.Memory[name].PeakMiB), atSat)
	}
	tw.Flush()
	printWarnings(w, r)

	fmt.Fprintf(w, "\nCPU by process, ms per finished order (share of the stack's CPU)\n\n")
	tw = tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintf(tw, "\tat saturation\tat %s\t\n", rate)
	names := slices.SortedFunc(maps.Keys(r.Saturation.CPUMs), func(a, b string) int {
		return cmp.Or(cmp.Compare(isSelf(a), isSelf(b)), cmp.Compare(r.Saturation.CPUMs[b], r.Saturation.CPUMs[a]), strings.Compare(a, b))
	})
	for _, name := range names {
		if isSelf(name) == 1 {
			fmt.Fprintf(tw, "stack total\t%s\t%s\t\n", perOrder(r.Saturation, r.Saturation.StackCPUMs, true), perOrder(r.FixedRate, r.FixedRate.StackCPUMs, true))
			fmt.Fprintf(tw, "%s (not in the total)\t%s\t%s\t\n", name, perOrder(r.Saturation, r.Saturation.CPUMs[name], false), perOrder(r.FixedRate, r.FixedRate.CPUMs[name], false))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", name, perOrder(r.Saturation, r.Saturation.CPUMs[name], true), perOrder(r.FixedRate, r.FixedRate.CPUMs[name], true))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nbare hop: %.3f ms of CPU per message (its sidecar and Redis), %.0f published/s\n", r.Hop.CPUPerHopMs, r.Hop.PublishedPerSecond)
	for _, run := range []Run{r.Saturation, r.FixedRate} {
		if run.Load == nil || run.Load.Finished == 0 {
			continue
		}
		line := fmt.Sprintf("%s: %.0f%% of the stack's CPU in the kernel, %.0f context switches per order", describeLoad(run.Load.Config.Mode), 100*run.SysShare, run.SwitchesPerOrder)
		if r.Hop.CPUPerHopMs > 0 {
			line += fmt.Sprintf(", an order costs %.1f bare hops", run.CPUPerOrderMs/r.Hop.CPUPerHopMs)
		}
		fmt.Fprintln(w, line)
	}
	if c := r.Saturation.Calls; len(c) > 0 {
		fmt.Fprintf(w, "each sidecar's work per order at saturation (its metrics: Dapr API calls by method, events delivered):\n")
		for _, app := range slices.Sorted(maps.Keys(c)) {
			fmt.Fprintf(w, "  %s\n", c.describe(app))
		}
	}
	fmt.Fprintf(w, "stack at rest: %.1f ms of CPU per second\n", r.IdleCPUMsPerSecond)
	for _, run := range []Run{r.Saturation, r.FixedRate} {
		if run.WallSeconds > 0 {
			fmt.Fprintf(w, "other work on the machine during the %s: %.0f%% of one CPU\n", describeLoad(run.Load.Config.Mode), run.OtherCPUMs/run.WallSeconds/10)
		}
	}
	for _, p := range r.Profiles {
		if p.Error != "" {
			fmt.Fprintf(w, "profile of %s: none (%s); the service must serve net/http/pprof on the address in %s\n", p.App, p.Error, r.Options.PprofEnv)
		} else {
			fmt.Fprintf(w, "profile of %s: %s (go tool pprof -top %s)\n", p.App, rel(r.Options.Root, p.File), rel(r.Options.Root, p.File))
		}
	}
}

func describeRun(p report.Provenance, m Machine) string {
	commit := "no git commit"
	if p.Commit != "" {
		commit = "commit " + p.Commit[:min(len(p.Commit), 12)]
		if p.Dirty {
			commit += " with uncommitted changes"
		}
	}
	return fmt.Sprintf("%s, %d CPUs (%s), load average %.2f before the start",
		commit, m.CPUs, cmp.Or(m.CPUModel, "unknown model"), m.LoadAverage)
}

// PrintComparison prints a comparison as one markdown table, a row per
// configuration, then how long each catalog took to seed and what makes
// a figure doubtful.
func PrintComparison(w io.Writer, c *Comparison) {
	o := c.Options
	capped := ""
	if o.MaxOpen > 0 {
		capped = fmt.Sprintf(", %d open at most", o.MaxOpen)
	}
	fmt.Fprintf(w, "\nCatalog comparison: %s\n", describeRun(c.Provenance, c.Machine))
	fmt.Fprintf(w, "Saturation run of each configuration on a fresh stack: %d customers%s, %s\n\n", o.Concurrency, capped, o.Duration)
	fmt.Fprintln(w, "| configuration | orders/s | CPU ms per order (stack) | stock-svc CPU ms per order |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	for _, k := range c.Cases {
		run := k.Saturation
		if k.Error != "" || run.Load == nil || run.Load.Finished == 0 {
			fmt.Fprintf(w, "| %s | - | - | - |\n", k.Catalog.describe())
			continue
		}
		fmt.Fprintf(w, "| %s | %.0f | %s | %s |\n", k.Catalog.describe(), run.Load.FinishedPerSecond,
			perOrder(run, run.StackCPUMs, false), perOrder(run, k.StockCPUMs, true))
	}
	fmt.Fprintln(w)
	for _, k := range c.Cases {
		name, run := k.Catalog.describe(), k.Saturation
		switch {
		case k.Error != "":
			fmt.Fprintf(w, "%s: failed: %s (see %s)\n", name, k.Error, k.Log)
			continue
		case run.WallSeconds > 0:
			fmt.Fprintf(w, "%s: seeded in %.1f s; other work on the machine %.0f%% of one CPU\n",
				name, k.Catalog.SeedSeconds, run.OtherCPUMs/run.WallSeconds/10)
		}
		if l := run.Load; l != nil && (len(l.Errors) > 0 || l.Pending > 0 || l.TimedOut > 0 || len(l.Mismatches) > 0) {
			fmt.Fprintf(w, "warning: %s: errors %v, timed out %d, pending %d, unexpected ends %v\n",
				name, l.Errors, l.TimedOut, l.Pending, l.Mismatches)
		}
		if run.WallSeconds > 0 && run.OtherCPUMs/run.WallSeconds/1000 > otherWorkWarning {
			fmt.Fprintf(w, "warning: %s: other work shared the CPUs; its figures are low\n", name)
		}
	}
	fmt.Fprintln(w, "stock-svc's CPU counts every instance, not its sidecars; the share is of the stack's CPU")
}

// otherWorkWarning is the share of one CPU that other processes may use
// during a run before the figures are flagged as shared.
const otherWorkWarning = 0.2

// printWarnings points out what makes the figures doubtful.
func printWarnings(w io.Writer, r *Results) {
	for _, run := range []Run{r.Saturation, r.FixedRate} {
		l := run.Load
		if len(l.Errors) > 0 || l.Pending > 0 || l.TimedOut > 0 || len(l.Mismatches) > 0 {
			fmt.Fprintf(w, "warning: %s: errors %v, timed out %d, pending %d, unexpected ends %v\n",
				describeLoad(l.Config.Mode), l.Errors, l.TimedOut, l.Pending, l.Mismatches)
		}
		if run.WallSeconds > 0 && run.OtherCPUMs/run.WallSeconds/1000 > otherWorkWarning {
			fmt.Fprintf(w, "warning: other work on the machine used %.0f%% of one CPU during the %s; its figures are low\n",
				run.OtherCPUMs/run.WallSeconds/10, describeLoad(l.Config.Mode))
		}
	}
	if r.Options.Profile {
		fmt.Fprintln(w, "note: profiling was on during the saturation run, which costs some CPU")
	}
}

func describeLoad(mode string) string {
	if mode == "open" {
		return "fixed-rate run"
	}
	return "saturation run"
}

func perOrder(run Run, ms float64, share bool) string {
	if run.Load == nil || run.Load.Finished == 0 {
		return "-"
	}
	s := fmt.Sprintf("%.3f", ms/float64(run.Load.Finished))
	if share && run.StackCPUMs > 0 {
		s += fmt.Sprintf(" (%2.0f%%)", 100*ms/run.StackCPUMs)
	}
	return s
}

func isSelf(name string) int {
	if name == SelfName {
		return 1
	}
	return 0
}

// processOrder lists processes services first, then sidecars, Redis and
// the load generator.
func processOrder(m map[string]Memory) []string {
	rank := func(name string) int {
		switch {
		case name == SelfName:
			return 3
		case name == "redis":
			return 2
		case strings.HasSuffix(name, "/dapr"):
			return 1
		}
		return 0
	}
	return slices.SortedFunc(maps.Keys(m), func(a, b string) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b))
	})
}

func describeSampling(rate string) string {
	if rate == "" {
		return "the samplingRate of dapr/config.yaml"
	}
	return "samplingRate " + rate + " (sidecars and services)"
}

// describeSidecars says which daprd ran, beside a scheduler or not, and
// how it delivered events.
func describeSidecars(o Options, version string) string {
	d := "daprd " + cmp.Or(version, "of unknown version")
	if o.Daprd != "" {
		d += " (" + o.Daprd + ")"
	}
	if o.NoScheduler {
		d += ", no scheduler"
	} else {
		d += ", with a scheduler"
	}
	if o.BulkSubscribe > 0 {
		return d + fmt.Sprintf(", events delivered in bulk (up to %d a request)", o.BulkSubscribe)
	}
	return d + ", events delivered one by one"
}
