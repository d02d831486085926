package stack

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// These tests supervise small real processes (sleep, true): what they
// prove is how the supervisor meets the kernel's exit notifications.

func TestAKilledProcessIsStartedAgainWithTheSameArgsAfter1s(t *testing.T) {
	t.Parallel()
	log := &LogBuffer{}
	ps := newProcesses(true, log)
	defer stopEverything(ps)
	first, err := ps.run("sleeper", sleeper(t, log, "61"))
	if err != nil {
		t.Fatal(err)
	}

	killed := time.Now()
	if err := syscall.Kill(first.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	second := waitForNewProcess(t, ps, "sleeper", first)

	if took := time.Since(killed); took < time.Second {
		t.Errorf("started again %s after the kill, want 1s or more", took)
	}
	if args := cmdline(t, second.Pid()); !strings.HasSuffix(args, " 61") {
		t.Errorf("started again as %q, want the same args", args)
	}
	if n := ps.restartCounts()["sleeper"]; n != 1 {
		t.Errorf("%d restarts counted, want 1", n)
	}
	if lines := log.Lines("supervisor  | sleeper exited (signal: killed) after ", "; restart 1 in 1s"); len(lines) != 1 {
		t.Errorf("want one supervisor line for the restart, got:\n%s", log.String())
	}
}

func TestAProcessKilledForAWhileStaysDownThatLong(t *testing.T) {
	t.Parallel()
	log := &LogBuffer{}
	ps := newProcesses(true, log)
	defer stopEverything(ps)
	first, err := ps.run("sleeper", sleeper(t, log, "61"))
	if err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	if err := ps.killFor("sleeper", 3*time.Second); err != nil {
		t.Fatal(err)
	}
	waitForNewProcess(t, ps, "sleeper", first)
	if took := time.Since(killed); took < 3*time.Second {
		t.Errorf("started again %s after the kill, want 3s or more", took)
	}
	if err := ps.killFor("nobody", time.Second); err == nil {
		t.Error("killing a process that does not exist was not refused")
	}
}

func TestAProcessThatExitsCleanlyIsStartedAgainToo(t *testing.T) {
	t.Parallel()
	log := &LogBuffer{}
	ps := newProcesses(true, log)
	defer stopEverything(ps)
	bin := lookPath(t, "true")
	first, err := ps.run("quitter", func() (*Proc, error) { return startProc("quitter", bin, nil, nil, log) })
	if err != nil {
		t.Fatal(err)
	}

	waitForNewProcess(t, ps, "quitter", first)

	if lines := log.Lines("supervisor  | quitter exited (exit status 0) after ", "; restart 1 in 1s"); len(lines) != 1 {
		t.Errorf("want one supervisor line for the restart, got:\n%s", log.String())
	}
}

func TestStopCancelsARestartThatIsWaiting(t *testing.T) {
	t.Parallel()
	log := &LogBuffer{}
	ps := newProcesses(true, log)
	ps.policy = restartBackoff{first: time.Hour, max: time.Hour, healthy: time.Hour}
	p, err := ps.run("sleeper", sleeper(t, log, "62"))
	if err != nil {
		t.Fatal(err)
	}
	p.Kill()
	waitUntil(t, func() bool { return len(log.Lines("restart 1 in 1h0m0s")) == 1 }, "the restart to be planned")

	stopped := time.Now()
	stopEverything(ps)

	// No watcher is left, so nothing can start any more.
	if took := time.Since(stopped); took > 5*time.Second {
		t.Errorf("Stop took %s: the wait for the restart was not cancelled", took)
	}
	if ps.get("sleeper") != p || len(ps.restartCounts()) != 0 {
		t.Errorf("restarted after Stop: %v", ps.restartCounts())
	}
	if _, err := ps.run("sleeper", sleeper(t, log, "62")); !errors.Is(err, errStopped) {
		t.Errorf("a start after Stop answered %v, want %v", err, errStopped)
	}
}

func TestNothingStartedIsLeftRunningWhenStopRacesARestart(t *testing.T) {
	t.Parallel()
	bin := lookPath(t, "sleep")
	// Stop lands at a different point of the restart each round: before
	// the death is noticed, during the backoff, while the next process
	// starts, or after.
	for round := range 40 {
		log := &LogBuffer{}
		ps := newProcesses(true, log)
		ps.policy = restartBackoff{first: time.Millisecond, max: time.Millisecond, healthy: time.Hour}
		var mu sync.Mutex
		var pids []int
		first, err := ps.run("sleeper", func() (*Proc, error) {
			p, err := startProc("sleeper", bin, []string{"65"}, nil, log)
			if err == nil {
				mu.Lock()
				pids = append(pids, p.Pid())
				mu.Unlock()
			}
			return p, err
		})
		if err != nil {
			t.Fatal(err)
		}

		_ = syscall.Kill(first.Pid(), syscall.SIGKILL)
		for until := time.Now().Add(time.Duration(round%8) * 250 * time.Microsecond); time.Now().Before(until); {
			runtime.Gosched()
		}
		stopEverything(ps)

		mu.Lock()
		for _, pid := range pids {
			if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
				t.Errorf("round %d: process %d of %d started is still there after Stop (%v)", round, pid, len(pids), err)
			}
		}
		mu.Unlock()
	}
}

func TestAProcessStartedByHandReplacesTheSupervisedOne(t *testing.T) {
	t.Parallel()
	log := &LogBuffer{}
	ps := newProcesses(true, log)
	defer stopEverything(ps)
	first, err := ps.run("sleeper", sleeper(t, log, "63"))
	if err != nil {
		t.Fatal(err)
	}

	second, err := ps.run("sleeper", sleeper(t, log, "64"))
	if err != nil {
		t.Fatal(err)
	}
	if !first.Exited() {
		t.Fatal("the first process still runs beside the second")
	}
	second.Kill()
	third := waitForNewProcess(t, ps, "sleeper", second)

	if args := cmdline(t, third.Pid()); !strings.HasSuffix(args, " 64") {
		t.Errorf("started again as %q, want the args of the start by hand", args)
	}
	if n := ps.restartCounts()["sleeper"]; n != 1 {
		t.Errorf("%d restarts counted, want 1: the start by hand is not one", n)
	}
}

func sleeper(t *testing.T, log *LogBuffer, seconds string) func() (*Proc, error) {
	bin := lookPath(t, "sleep")
	return func() (*Proc, error) { return startProc("sleeper", bin, []string{seconds}, nil, log) }
}

func lookPath(t *testing.T, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("no %s: %v (coreutils provides it)", name, err)
	}
	return bin
}

// stopEverything stops ps as Stack.Stop does.
func stopEverything(ps *processes) {
	for _, p := range ps.halt() {
		p.Stop(5 * time.Second)
	}
	ps.waitWatchers()
}

// waitForNewProcess waits until name runs a process other than old.
func waitForNewProcess(t *testing.T, ps *processes, name string, old *Proc) *Proc {
	t.Helper()
	var p *Proc
	waitUntil(t, func() bool { p = ps.get(name); return p != old }, "a new process of "+name)
	return p
}

func waitUntil(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		<-time.After(10 * time.Millisecond)
	}
}

func cmdline(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}
