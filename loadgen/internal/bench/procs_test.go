package bench

import (
	"os"
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
	got := usage([]proc{{"self", os.Getpid()}, {"gone", 1 << 23}})
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
