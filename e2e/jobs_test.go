package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/example/order-saga/devstack/stack"
	"github.com/example/order-saga/loadgen/jobprobe"
	"github.com/example/order-saga/platform/jobs"
)

// lateAfterKills bounds how late a job may fire when the scheduler and
// every sidecar of its app were killed -9 20 s before it was due. The
// supervisor starts the scheduler again after its back-off (2 s here: the
// second restart within a minute) and it serves 0.3 s later, but it
// triggers no job, and answers no call of the jobs API, until the
// leadership lease its killed self held in its etcd has expired: 20 s
// (go-etcd-cron's lease TTL, which etcd renews in full when it starts).
// So the job fires about 23 s after the kill, 3 s late; measured: 4.3 to
// 6.4 s in eight runs, some on a machine building Kubernetes beside the
// test. 15 s leaves over 8 s for a slower machine, and fails a job that
// waits for a later event, such as a second lease or the sidecars' next
// reconnection.
const lateAfterKills = 15 * time.Second

// watchForRepeats is how long after a job's first delivery the test
// watches for a second one: 15 times jobs.RetryEvery, and longer than a
// scheduler takes to serve again after a kill.
const watchForRepeats = 30 * time.Second

// TestTheSchedulerFiresEachJobOnceThroughKills runs the job probe, two
// replicas (two processes, two sidecars, one app id) beside a supervised
// stack with its Dapr scheduler, and kills -9 the scheduler and the
// sidecars while a job waits.
func TestTheSchedulerFiresEachJobOnceThroughKills(t *testing.T) {
	s := ownStack(t, stack.Options{Supervise: true})
	p := startJobProbe(t, s, 2)

	t.Run("the probe is not ready while its sidecars do not reach the scheduler, and ready after", func(t *testing.T) {
		killed := time.Now()
		old := killScheduler(t, s)
		eventually(t, 20*time.Second, func() error {
			status, detail, err := p.Readiness(context.Background(), 1)
			if err != nil {
				return err
			}
			if status != http.StatusServiceUnavailable || detail != jobs.Unreachable {
				return fmt.Errorf("answered %d %q", status, detail)
			}
			return nil
		}, "/readyz to say %q", jobs.Unreachable)
		notReady := time.Since(killed)
		awaitSchedulerRestart(t, s, old)
		for i := range p.Replicas() {
			eventually(t, 90*time.Second, func() error {
				status, detail, err := p.Readiness(context.Background(), i+1)
				if err != nil {
					return err
				}
				if status != http.StatusOK {
					return fmt.Errorf("answered %d %q", status, detail)
				}
				return nil
			}, "%s to be ready again", p.Replicas()[i])
		}
		t.Logf("scheduler killed -9: /readyz said %q %s after the kill, and every replica was ready again %s after it",
			jobs.Unreachable, notReady.Round(time.Millisecond), time.Since(killed).Round(time.Millisecond))
	})

	t.Run("a job fires once, not early, soon after its due time, through a kill -9 of the scheduler and every sidecar", func(t *testing.T) {
		name := "once-" + uid()
		due := time.Now().Add(20 * time.Second)
		if err := p.Schedule(context.Background(), 1, name, due, 0); err != nil {
			t.Fatal(err)
		}
		killed := time.Now()
		old := killScheduler(t, s)
		for i := range p.Replicas() {
			p.Sidecar(i + 1).Kill()
		}
		// Started again at once, as a kubelet restarts a container.
		for i := range p.Replicas() {
			if err := p.StartSidecar(i + 1); err != nil {
				t.Fatal(err)
			}
		}
		awaitSchedulerRestart(t, s, old)

		f := awaitOnlyDelivery(t, p, name, due.Add(lateAfterKills))
		t.Logf("due %s; the scheduler and both sidecars killed -9 %s before; fired at %s, %s late, on %s (scheduled on %s); no other delivery in the %s after",
			due.Format(time.StampMilli), due.Sub(killed).Round(time.Millisecond), f.FiredAt.Format(time.StampMilli),
			f.Late().Round(time.Millisecond), f.Instance, f.ScheduledBy, watchForRepeats)
		if f.FiredAt.Before(due) {
			t.Errorf("fired %s before its due time", -f.Late())
		}
		if f.Late() > lateAfterKills {
			t.Errorf("fired %s late, more than %s", f.Late(), lateAfterKills)
		}
		if !f.Due.Equal(due) {
			t.Errorf("delivered with due time %s, scheduled for %s", f.Due, due)
		}
	})

	t.Run("a delivery the app refuses is delivered again until it is taken", func(t *testing.T) {
		name := "refused-" + uid()
		due := time.Now().Add(2 * time.Second)
		if err := p.Schedule(context.Background(), 2, name, due, 1); err != nil {
			t.Fatal(err)
		}
		f := awaitOnlyDelivery(t, p, name, due.Add(lateAfterKills))
		fired := firingsOf(t, p, name)
		refused := len(fired) - 1
		t.Logf("due %s; taken at %s on %s after %d refused deliveries", due.Format(time.StampMilli), f.FiredAt.Format(time.StampMilli), f.Instance, refused)
		// Each replica refuses the first delivery it gets.
		if refused < 1 || refused > len(p.Replicas()) {
			t.Errorf("%d deliveries refused before the one taken, want 1 to %d: %+v", refused, len(p.Replicas()), fired)
		}
		for _, r := range fired {
			if r.Refused && r.FiredAt.After(f.FiredAt) {
				t.Errorf("a delivery refused after the one taken: %+v", r)
			}
		}
	})
}

// startJobProbe runs the job probe's replicas beside s, stopped with the
// test.
func startJobProbe(t *testing.T, s *stack.Stack, replicas int) *jobprobe.Probe {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	p, err := jobprobe.Start(ctx, s, jobprobe.Options{Replicas: replicas, Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("start the job probe: %v", err)
	}
	t.Cleanup(p.Stop)
	return p
}

// killScheduler kills the stack's scheduler with SIGKILL and returns its
// pid.
func killScheduler(t *testing.T, s *stack.Stack) int {
	t.Helper()
	pid, ok := s.Pids()["scheduler"]
	if !ok {
		t.Fatalf("no scheduler in %v", s.Pids())
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	return pid
}

// awaitSchedulerRestart waits until the supervisor has started the
// scheduler again, in place of the process old, and it serves.
func awaitSchedulerRestart(t *testing.T, s *stack.Stack, old int) {
	t.Helper()
	eventually(t, 20*time.Second, func() error {
		if pid := s.Pids()["scheduler"]; pid == old || pid == 0 {
			return fmt.Errorf("still process %d", old)
		}
		req, _ := http.NewRequest(http.MethodGet, s.Scheduler.HealthzURL(), nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("healthz answered %d", resp.StatusCode)
		}
		return nil
	}, "the scheduler to be started again")
}

// firingsOf is every delivery of the job name, on every replica.
func firingsOf(t *testing.T, p *jobprobe.Probe, name string) []jobprobe.Firing {
	t.Helper()
	all, err := p.FiredEverywhere(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []jobprobe.Firing
	for _, f := range all {
		if f.Name == name {
			out = append(out, f)
		}
	}
	return out
}

// awaitOnlyDelivery polls the replicas until the job name has been taken
// (a delivery not refused), failing at latest, then until
// watchForRepeats later, failing at the first second delivery taken. It
// returns the delivery taken.
func awaitOnlyDelivery(t *testing.T, p *jobprobe.Probe, name string, latest time.Time) jobprobe.Firing {
	t.Helper()
	var first *jobprobe.Firing
	var deadline time.Time
	for {
		var taken []jobprobe.Firing
		for _, f := range firingsOf(t, p, name) {
			if !f.Refused {
				taken = append(taken, f)
			}
		}
		switch {
		case len(taken) > 1:
			t.Fatalf("the job %s was taken %d times: %s", name, len(taken), describe(taken))
		case len(taken) == 1 && first == nil:
			first = &taken[0]
			deadline = time.Now().Add(watchForRepeats)
		case first == nil && time.Now().After(latest):
			t.Fatalf("the job %s was not taken by %s", name, latest.Format(time.StampMilli))
		case first != nil && time.Now().After(deadline):
			return *first
		}
		<-time.After(200 * time.Millisecond)
	}
}

func describe(fs []jobprobe.Firing) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "\n  %s on %s, %s late", f.FiredAt.Format(time.StampMilli), f.Instance, f.Late().Round(time.Millisecond))
	}
	return b.String()
}
