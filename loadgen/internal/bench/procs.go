package bench

import (
	"fmt"
	"os"
	"time"

	"github.com/example/order-saga/devstack/stack"
	"github.com/example/order-saga/loadgen/internal/procstat"
)

// SelfName names the benchmark's own process (load generator, pollers and
// the no-op subscriber) in the figures; it is never counted as the stack.
const SelfName = "loadgen"

// proc is one measured process.
type proc struct {
	name string
	pid  int
}

// stackProcs lists every process of the stack: each service, its sidecar
// and Redis, which the benchmark's stack always starts itself.
func stackProcs(s *stack.Stack) ([]proc, error) {
	var out []proc
	for name, pid := range s.Pids() {
		out = append(out, proc{name, pid})
	}
	if _, ok := s.Pids()["redis"]; !ok {
		return nil, fmt.Errorf("the stack's Redis was not started by it")
	}
	return out, nil
}

// usage reads every process at once; a process that cannot be read (it
// ended) is left out.
func usage(procs []proc) map[string]procstat.Usage {
	out := make(map[string]procstat.Usage, len(procs))
	for _, p := range procs {
		if u, err := procstat.Read(p.pid); err == nil {
			out[p.name] = u
		}
	}
	return out
}

// cpuBetween is the CPU each process used between two readings, in ms.
func cpuBetween(before, after map[string]procstat.Usage) map[string]float64 {
	out := make(map[string]float64, len(after))
	for name, a := range after {
		if b, ok := before[name]; ok {
			out[name] = float64(a.CPU-b.CPU) / float64(time.Millisecond)
		}
	}
	return out
}

func withSelf(procs []proc) []proc {
	return append(append([]proc(nil), procs...), proc{SelfName, os.Getpid()})
}
