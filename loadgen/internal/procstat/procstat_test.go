package procstat

import (
	"os"
	"testing"
	"time"
)

func TestAStatLineIsReadFromTheLastParenthesis(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, line string
		want       stat
	}{
		{"a plain command name", "42 (daprd) S 7 42 42 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 12 0 100 0 0",
			stat{comm: "daprd", ppid: 7, utime: 250, stime: 30}},
		{"a name with spaces and parentheses", "9 (a (b) c) R 1 9 9 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 1 0 0",
			stat{comm: "a (b) c", ppid: 1, utime: 5, stime: 6}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseStat([]byte(tc.line))
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestAStatLineWithoutItsFieldsIsRefused(t *testing.T) {
	t.Parallel()
	for _, line := range []string{"", "1 (x", "1 (x) S 1 2"} {
		if _, err := parseStat([]byte(line)); err == nil {
			t.Errorf("%q was accepted", line)
		}
	}
}

func TestMemoryIsReadInBytes(t *testing.T) {
	t.Parallel()
	rss, peak := parseStatus([]byte("Name:\tx\nVmHWM:\t   2048 kB\nVmRSS:\t   1024 kB\nThreads:\t3\n"))
	if rss != 1<<20 || peak != 2<<20 {
		t.Fatalf("rss %d peak %d", rss, peak)
	}
}

func TestThisProcessHasUsedMemoryAndCPU(t *testing.T) {
	t.Parallel()
	// Keep busy until at least one clock tick of CPU is counted.
	deadline := time.Now().Add(10 * time.Second)
	for {
		u, err := Read(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if u.RSS == 0 || u.PeakRSS < u.RSS {
			t.Fatalf("memory %+v", u)
		}
		if u.CPU > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no CPU time counted: %+v", u)
		}
	}
}

func TestMachineTimeLeavesOutIdleAndIOWait(t *testing.T) {
	t.Parallel()
	got, err := parseMachineBusy([]byte("cpu  100 2 30 5000 40 1 6 7 9 0\ncpu0 50 1 15 2500 20 0 3 3 4 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Duration(100+2+30+1+6+7) * clockTick; got != want {
		t.Fatalf("busy %s, want %s", got, want)
	}
}
