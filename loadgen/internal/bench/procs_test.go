package bench

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/procfs"
)

func TestThisProcessHasUsedMemoryAndCPU(t *testing.T) {
	t.Parallel()
	// Keep busy until at least one clock tick of CPU is counted.
	deadline := time.Now().Add(10 * time.Second)
	for {
		u, err := readUsage(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if u.rss == 0 || u.peakRSS < u.rss {
			t.Fatalf("memory %+v", u)
		}
		if u.cpu > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no CPU time counted: %+v", u)
		}
	}
}

func TestAProcessThatCannotBeReadIsLeftOut(t *testing.T) {
	t.Parallel()
	// Above the largest pid Linux hands out (4194304).
	got := usage([]proc{{name: "self", pid: os.Getpid()}, {name: "gone", pid: 1 << 23}})
	if _, ok := got["self"]; !ok || len(got) != 1 {
		t.Fatalf("usage of this process and of no process: %+v", got)
	}
}

func TestMachineTimeLeavesOutIdleAndIOWait(t *testing.T) {
	t.Parallel()
	c := procfs.CPUStat{User: 1.00, Nice: 0.02, System: 0.30, Idle: 50.00, Iowait: 0.40, IRQ: 0.01, SoftIRQ: 0.06, Steal: 0.07, Guest: 0.09}
	if got, want := busy(c), 1460*time.Millisecond; got != want {
		t.Fatalf("busy %s, want %s", got, want)
	}
	if machineBusy() <= 0 {
		t.Fatal("the machine has been busy for no time since boot")
	}
}

// A process tree's usage counts what every process below its root used,
// those that run and those that ended, not the root's alone: PostgreSQL's
// server does little itself, its backends (each in a session of its own)
// the work.
func TestATreeCountsTheCPUOfItsProcessesAliveAndEnded(t *testing.T) {
	t.Parallel()
	// The root waits while a child of its burns CPU and ends, then
	// another child, in a session of its own, burns CPU and keeps running.
	burn := "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"
	cmd := exec.Command("sh", "-c", "("+burn+"); setsid sh -c '"+burn+"; exec sleep 60' & exec sleep 60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, p := range descendants(cmd.Process.Pid) {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		_ = cmd.Wait()
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		alone, err := readUsage(cmd.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		group, err := readTreeUsage(cmd.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		// Both burns are done once the root and its second child sleep;
		// the second child's CPU is what one burn costs.
		members, burnt := 0, time.Duration(0)
		all, _ := procfs.AllProcs()
		for _, p := range all {
			st, err := p.Stat()
			if err != nil || st.Comm != "sleep" {
				continue
			}
			switch {
			case p.PID == cmd.Process.Pid:
				members++
			case st.PPID == cmd.Process.Pid:
				members++
				burnt = seconds(st.CPUTime())
			}
		}
		// The ended child's burn, counted through the leader, and the
		// running one's: about two burns beyond the leader's own.
		if members == 2 && burnt > 0 && group.cpu >= alone.cpu+burnt+burnt/2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the group used %s, its leader alone %s, one burn %s, %d members asleep", group.cpu, alone.cpu, burnt, members)
		}
		<-time.After(50 * time.Millisecond)
	}
}

// descendants are pid and the processes below it.
func descendants(pid int) []int {
	all, _ := procfs.AllProcs()
	children := map[int][]int{}
	for _, p := range all {
		if st, err := p.Stat(); err == nil {
			children[st.PPID] = append(children[st.PPID], p.PID)
		}
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}
