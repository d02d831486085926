package bench

import (
	"fmt"
	"net"
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
// and Redis.
func stackProcs(s *stack.Stack) ([]proc, error) {
	var out []proc
	for _, inst := range s.Instances {
		out = append(out, proc{inst, s.App(inst).Pid()}, proc{inst + "/dapr", s.Sidecar(inst).Pid()})
	}
	pid, err := redisPid(s.Redis.Addr)
	if err != nil {
		return nil, err
	}
	return append(out, proc{"redis", pid}), nil
}

// redisPid finds the redis-server the stack started: a child of this
// process listening on the stack's Redis port. The stack keeps that
// process to itself.
func redisPid(addr string) (int, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	pid, err := procstat.FindChild(os.Getpid(), "redis-server", ":"+port)
	if err != nil {
		return 0, fmt.Errorf("find the stack's Redis: %w", err)
	}
	return pid, nil
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
