package bench

import (
	"testing"
	"time"
)

func TestJobOptionsThatCannotWorkAreRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change func(*JobOptions)
		ok     bool
	}{
		{"the defaults work", func(*JobOptions) {}, true},
		{"no rate", func(o *JobOptions) { o.Rates = nil }, false},
		{"a rate of zero", func(o *JobOptions) { o.Rates = []float64{100, 0} }, false},
		{"no time to create jobs", func(o *JobOptions) { o.Duration = 0 }, false},
		{"jobs due at their creation", func(o *JobOptions) { o.DueAfter = 0 }, true},
		{"jobs due before their creation", func(o *JobOptions) { o.DueAfter = -time.Second }, false},
		{"jobs cancelled at their creation", func(o *JobOptions) { o.CancelAfter = 0 }, false},
		{"no sender", func(o *JobOptions) { o.Senders = 0 }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := DefaultJobOptions()
			tc.change(&o)
			if err := o.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
