package stack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// SchedulerPorts are the ports of the Dapr scheduler: its gRPC API (the
// one the sidecars dial), its embedded etcd's client and peer ports, its
// health endpoint and its metrics.
type SchedulerPorts struct {
	GRPC, EtcdClient, EtcdPeer, Healthz, Metrics int
}

// DefaultSchedulerPorts are the documented local ports: 50006 is Dapr's
// own default for the scheduler (the Dapr CLI's too), and etcd's are its
// defaults plus 100, so that an etcd of its own on the machine is left
// alone.
func DefaultSchedulerPorts() SchedulerPorts {
	return SchedulerPorts{GRPC: 50006, EtcdClient: 2479, EtcdPeer: 2480, Healthz: 8086, Metrics: 9096}
}

// FreeSchedulerPorts picks unused ports for a scheduler, so that several
// stacks can run side by side.
func FreeSchedulerPorts() (SchedulerPorts, error) {
	p, err := freePorts(5)
	if err != nil {
		return SchedulerPorts{}, err
	}
	return SchedulerPorts{GRPC: p[0], EtcdClient: p[1], EtcdPeer: p[2], Healthz: p[3], Metrics: p[4]}, nil
}

// Scheduler is the Dapr scheduler of a stack: the durable timer behind the
// Jobs API (and actor reminders and workflows), with its jobs in an
// embedded etcd whose data is in a folder of the stack's. Like Redis, it
// listens on the stack's address only; without Sentry (none runs
// locally) it has no TLS, as the sidecars have no mTLS.
type Scheduler struct {
	Addr  string // host:port of its gRPC API
	Ports SchedulerPorts
	Dir   string // etcd's data

	bin  string
	args []string
	log  io.Writer
	proc *Proc // when StartScheduler started it
}

// schedulerID names the scheduler and its etcd member; the data folder
// belongs to that name, so every start must use the same one.
const schedulerID = "dapr-scheduler-server-0"

// NewScheduler is a scheduler of the binary bin on ports p of host, with
// its data in dir, logging at logLevel (daprd's levels). Start it with
// launch; it keeps the same flags at every start, so one started again
// serves the jobs it had.
func NewScheduler(bin, host string, p SchedulerPorts, dir, logLevel string, log io.Writer) *Scheduler {
	addr := host + ":" + strconv.Itoa(p.GRPC)
	if logLevel != "debug" && logLevel != "info" {
		log = quietEtcd{log}
	}
	return &Scheduler{Addr: addr, Ports: p, Dir: dir, bin: bin, log: log, args: []string{
		"--id", schedulerID,
		"--mode", "standalone",
		"--listen-address", host,
		"--port", strconv.Itoa(p.GRPC),
		// What the scheduler tells the sidecars to dial: itself, on the
		// stack's address, not the machine's first interface.
		"--override-broadcast-host-port", addr,
		"--etcd-data-dir", dir,
		"--etcd-client-listen-address", host,
		"--etcd-client-port", strconv.Itoa(p.EtcdClient),
		"--etcd-initial-cluster", schedulerID + "=http://" + host + ":" + strconv.Itoa(p.EtcdPeer),
		"--healthz-listen-address", host,
		"--healthz-port", strconv.Itoa(p.Healthz),
		"--metrics-listen-address", host,
		"--metrics-port", strconv.Itoa(p.Metrics),
		"--log-level", logLevel,
	}}
}

// quietEtcd drops the info lines of the scheduler's embedded etcd, which
// logs at info whatever the scheduler's own level (some 80 lines at each
// start). It is written one whole line at a time (see prefixLines).
type quietEtcd struct{ w io.Writer }

func (q quietEtcd) Write(line []byte) (int, error) {
	if bytes.Contains(line, []byte(`| {"level":"info"`)) || bytes.Contains(line, []byte(`| {"level":"debug"`)) {
		return len(line), nil
	}
	return q.w.Write(line)
}

// HealthzURL answers 200 once the scheduler serves.
func (s *Scheduler) HealthzURL() string {
	return "http://" + s.Addr[:strings.LastIndex(s.Addr, ":")] + ":" + strconv.Itoa(s.Ports.Healthz) + "/healthz"
}

// MetricsURL is the scheduler's Prometheus endpoint.
func (s *Scheduler) MetricsURL() string {
	return "http://" + s.Addr[:strings.LastIndex(s.Addr, ":")] + ":" + strconv.Itoa(s.Ports.Metrics) + "/metrics"
}

// StartScheduler starts a scheduler of its own (the binary of
// scripts/ensure-tool.sh dapr-scheduler) on ports p of host, with its data
// in dir, and waits until it serves; Stop stops it. The stack starts and
// supervises its own; this is for a run of the sidecars by another
// program, such as the Dapr CLI.
func StartScheduler(ctx context.Context, root, host string, p SchedulerPorts, dir, logLevel string, log io.Writer) (*Scheduler, error) {
	bin, err := EnsureTool(root, "dapr-scheduler", log)
	if err != nil {
		return nil, err
	}
	s := NewScheduler(bin, host, p, dir, logLevel, log)
	proc, err := s.launch()
	if err != nil {
		return nil, err
	}
	s.proc = proc
	if err := s.WaitReady(ctx, proc, true); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// Stop stops a scheduler StartScheduler started.
func (s *Scheduler) Stop() {
	if s.proc != nil {
		s.proc.Stop(10 * time.Second)
	}
}

// launch starts the scheduler with the flags of its first start.
func (s *Scheduler) launch() (*Proc, error) {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, err
	}
	return startProc("scheduler", s.bin, s.args, nil, s.log)
}

// Healthy reports whether the scheduler answers its health check.
func (s *Scheduler) Healthy(ctx context.Context) error { return httpOK(ctx, s.HealthzURL()) }

// WaitReady waits until the scheduler answers its health check. A
// process p that exits ends the wait, when failOnExit is set.
func (s *Scheduler) WaitReady(ctx context.Context, p *Proc, failOnExit bool) error {
	return waitFor(ctx, 60*time.Second, func(ctx context.Context) error {
		if failOnExit && p != nil && p.Exited() {
			return stopWaiting{fmt.Errorf("the scheduler exited with code %d", p.ExitCode())}
		}
		return s.Healthy(ctx)
	})
}
