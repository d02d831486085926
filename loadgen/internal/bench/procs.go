package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/prometheus/procfs"

	"github.com/example/order-saga/devstack/stack"
)

// SelfName names the benchmark's own process (load generator and the
// no-op subscriber) in the figures; it is never counted as the stack.
const SelfName = "loadgen"

// proc is one measured process, or with tree the process and every
// process it started, and they started.
type proc struct {
	name string
	pid  int
	tree bool
}

// stackProcs lists every process of the stack: each service, its sidecar
// and Redis, which the benchmark's stack always starts itself, and
// PostgreSQL under STATE=postgres: its server with every backend it
// forked (each of which leaves the server's process group).
func stackProcs(s *stack.Stack) ([]proc, error) {
	var out []proc
	for name, pid := range s.Pids() {
		out = append(out, proc{name: name, pid: pid, tree: name == "postgres"})
	}
	if _, ok := s.Pids()["redis"]; !ok {
		return nil, fmt.Errorf("the stack's Redis was not started by it")
	}
	return out, nil
}

func withSelf(procs []proc) []proc {
	return append(append([]proc(nil), procs...), proc{name: SelfName, pid: os.Getpid()})
}

// processUsage is what one process has consumed since it started, as
// /proc/<pid>/stat and /proc/<pid>/status tell.
type processUsage struct {
	cpu     time.Duration // user and system time of all its threads, children not included
	sys     time.Duration // the system part of cpu: time in the kernel on its behalf
	rss     uint64        // resident memory now, in bytes
	peakRSS uint64        // the most resident memory so far (VmHWM), in bytes
	// switches counts the times its threads left the CPU, voluntarily
	// (to wait: a read with nothing to read, a futex) or not.
	switches uint64
}

func readUsage(pid int) (processUsage, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return processUsage{}, err
	}
	st, err := p.Stat()
	if err != nil {
		return processUsage{}, err
	}
	status, err := p.NewStatus()
	if err != nil {
		return processUsage{}, err
	}
	return processUsage{cpu: seconds(st.CPUTime()), sys: seconds(float64(st.STime) / userHZ), rss: status.VmRSS, peakRSS: status.VmHWM,
		switches: status.VoluntaryCtxtSwitches + status.NonVoluntaryCtxtSwitches}, nil
}

// readTreeUsage is what pid and every process below it have consumed:
// those that run now, and those that ended and were waited for (the
// children's time of their parents). Memory is the sum of their
// proportional set sizes at the reading, both now and as the peak: what
// they share (PostgreSQL's shared buffers) is counted once, split among
// them, and no peak is kept for a whole tree.
func readTreeUsage(pid int) (processUsage, error) {
	leader, err := procfs.NewProc(pid)
	if err != nil {
		return processUsage{}, err
	}
	st, err := leader.Stat()
	if err != nil {
		return processUsage{}, err
	}
	total := processUsage{cpu: seconds(float64(st.CUTime+st.CSTime) / userHZ), sys: seconds(float64(st.CSTime) / userHZ)}
	all, err := procfs.AllProcs()
	if err != nil {
		return processUsage{}, err
	}
	children := map[int][]int{}
	for _, p := range all {
		if pst, err := p.Stat(); err == nil {
			children[pst.PPID] = append(children[pst.PPID], p.PID)
		}
	}
	for todo := []int{pid}; len(todo) > 0; {
		next := todo[0]
		todo = append(todo[1:], children[next]...)
		u, err := readUsage(next)
		if err != nil {
			continue
		}
		total.cpu += u.cpu
		total.sys += u.sys
		total.switches += u.switches
		if p, err := procfs.NewProc(next); err == nil {
			if m, err := p.ProcSMapsRollup(); err == nil {
				total.rss += m.Pss
			}
		}
	}
	total.peakRSS = total.rss
	return total, nil
}

// userHZ is the clock tick of /proc/<pid>/stat on Linux.
const userHZ = 100

// usage reads every process at once; a process that cannot be read (it
// ended) is left out.
func usage(procs []proc) map[string]processUsage {
	out := make(map[string]processUsage, len(procs))
	for _, p := range procs {
		read := readUsage
		if p.tree {
			read = readTreeUsage
		}
		if u, err := read(p.pid); err == nil {
			out[p.name] = u
		}
	}
	return out
}

// cpuBetween is the CPU each process used between two readings, in ms.
func cpuBetween(before, after map[string]processUsage) map[string]float64 {
	out := make(map[string]float64, len(after))
	for name, a := range after {
		if b, ok := before[name]; ok {
			out[name] = millis(a.cpu - b.cpu)
		}
	}
	return out
}

// kernelShare is what the stack's processes did between two readings:
// the share of their CPU spent in the kernel, and how many times their
// threads left the CPU.
func kernelShare(before, after map[string]processUsage) (sysShare float64, switches uint64) {
	var cpu, sys time.Duration
	for name, a := range after {
		if b, ok := before[name]; ok && name != SelfName {
			cpu += a.cpu - b.cpu
			sys += a.sys - b.sys
			switches += a.switches - b.switches
		}
	}
	if cpu > 0 {
		sysShare = float64(sys) / float64(cpu)
	}
	return sysShare, switches
}

// sum is the CPU of the stack's processes in cpu, the benchmark's own
// left out.
func sum(cpu map[string]float64) float64 {
	var total float64
	for name, v := range cpu {
		if name != SelfName {
			total += v
		}
	}
	return total
}

// machineBusy is the CPU time all CPUs of the machine have spent on any
// work since boot, in ms, or 0 when /proc/stat cannot be read.
func machineBusy() float64 {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return 0
	}
	st, err := fs.Stat()
	if err != nil {
		return 0
	}
	return millis(busy(st.CPUTotal))
}

// busy is the time in every state but idle and I/O wait; guest time is
// counted in user time already.
func busy(c procfs.CPUStat) time.Duration {
	return seconds(c.User + c.Nice + c.System + c.IRQ + c.SoftIRQ + c.Steal)
}

// seconds is s seconds, to the nearest nanosecond: procfs gives clock
// ticks as fractions of a second.
func seconds(s float64) time.Duration { return time.Duration(math.Round(s * float64(time.Second))) }

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// idleFor is how long the stack at rest is measured.
const idleFor = 2 * time.Second

// idleCPU is what the stack uses with no order, in ms of CPU per second.
func idleCPU(ctx context.Context, procs []proc) float64 {
	before, start := usage(procs), time.Now()
	select {
	case <-time.After(idleFor):
	case <-ctx.Done():
	}
	return sum(cpuBetween(before, usage(procs))) / time.Since(start).Seconds()
}

// settle waits until the stack is close to rest, so that the tail of one
// run (events still on their way once every order is final) is not
// counted in the next.
func settle(ctx context.Context, procs []proc, log io.Writer) {
	const (
		every  = 500 * time.Millisecond
		atRest = 50.0 // ms of CPU per second, all processes together
		limit  = 60 * time.Second
	)
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(every)
	defer tick.Stop()
	prev := usage(procs)
	for time.Now().Before(deadline) {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
		cur := usage(procs)
		if sum(cpuBetween(prev, cur))/every.Seconds() < atRest {
			return
		}
		prev = cur
	}
	fmt.Fprintf(log, "the stack did not come to rest within %s; going on\n", limit)
}
