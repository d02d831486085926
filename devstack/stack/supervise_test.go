package stack

import (
	"testing"
	"time"
)

// The policy reads no clock: each case gives how long each process ran,
// as the supervisor measures it from the process's start and exit.
func TestTheRestartDelayDoublesFrom1sTo30sAndStartsOverAfterAHealthyRun(t *testing.T) {
	const s = time.Second
	cases := []struct {
		name string
		runs []time.Duration // how long each process ran before it died
		want []time.Duration // the delay before each restart
	}{
		{"a process that keeps dying waits 1, 2, 4, 8, 16, then 30 s, and no longer",
			[]time.Duration{s, s, s, s, s, s, s, s},
			[]time.Duration{1 * s, 2 * s, 4 * s, 8 * s, 16 * s, 30 * s, 30 * s, 30 * s}},
		{"a process that dies at once is no different",
			[]time.Duration{0, 0, 0},
			[]time.Duration{1 * s, 2 * s, 4 * s}},
		{"the first restart waits 1 s, however long the process ran",
			[]time.Duration{10 * time.Minute},
			[]time.Duration{1 * s}},
		{"a process that ran 60 s starts over at 1 s",
			[]time.Duration{s, s, s, 60 * s, s},
			[]time.Duration{1 * s, 2 * s, 4 * s, 1 * s, 2 * s}},
		{"a run just short of 60 s counts as a consecutive failure",
			[]time.Duration{s, s, 60*s - time.Millisecond},
			[]time.Duration{1 * s, 2 * s, 4 * s}},
		{"a healthy run starts over even from the 30 s cap",
			[]time.Duration{s, s, s, s, s, s, 90 * s, s},
			[]time.Duration{1 * s, 2 * s, 4 * s, 8 * s, 16 * s, 30 * s, 1 * s, 2 * s}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newRestartBackoff()
			for i, ran := range tc.runs {
				if got := b.next(ran); got != tc.want[i] {
					t.Fatalf("restart %d after a run of %s waits %s, want %s", i+1, ran, got, tc.want[i])
				}
			}
		})
	}
}
