package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestEmptySamplesReportZeroes(t *testing.T) {
	t.Parallel()
	var s Samples
	if s.Count() != 0 || s.Quantile(0.5) != 0 || s.Max() != 0 || s.Min() != 0 || s.Mean() != 0 {
		t.Fatalf("no samples: count %d p50 %s max %s min %s mean %s", s.Count(), s.Quantile(0.5), s.Max(), s.Min(), s.Mean())
	}
	if sum := s.Summary(); sum != (Summary{}) {
		t.Fatalf("summary of no samples %+v", sum)
	}
}

func TestEachQuantileIsTheSampleAtItsRank(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		sample func(r *rand.Rand) time.Duration
	}{
		{"uniform between 1 and 50 ms", func(r *rand.Rand) time.Duration {
			return time.Millisecond + time.Duration(r.Int64N(int64(49*time.Millisecond)))
		}},
		{"exponential with a 5 ms mean", func(r *rand.Rand) time.Duration {
			return time.Duration(r.ExpFloat64() * float64(5*time.Millisecond))
		}},
		{"sub-millisecond values", func(r *rand.Rand) time.Duration {
			return time.Duration(r.Int64N(int64(200 * time.Microsecond)))
		}},
		{"a long tail up to a minute", func(r *rand.Rand) time.Duration {
			if r.IntN(100) == 0 {
				return time.Duration(r.Int64N(int64(time.Minute)))
			}
			return 2 * time.Millisecond
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(1, 2))
			var s Samples
			var all []time.Duration
			var sum time.Duration
			for range 20_000 {
				d := tc.sample(r)
				s.Record(d)
				all = append(all, d)
				sum += d
			}
			slices.Sort(all)
			for _, q := range []float64{0, 0.01, 0.5, 0.9, 0.99, 0.999, 1} {
				want := all[max(int(math.Ceil(q*float64(len(all))))-1, 0)]
				if got := s.Quantile(q); got != want {
					t.Errorf("q%.3f = %s, want %s", q, got, want)
				}
			}
			if s.Max() != all[len(all)-1] || s.Min() != all[0] {
				t.Errorf("min %s max %s, want %s and %s", s.Min(), s.Max(), all[0], all[len(all)-1])
			}
			if s.Count() != uint64(len(all)) {
				t.Errorf("count %d, want %d", s.Count(), len(all))
			}
			if want := sum / time.Duration(len(all)); s.Mean() != want {
				t.Errorf("mean %s, want %s", s.Mean(), want)
			}
		})
	}
}

func TestASampleRecordedAfterAQuantileWasReadCounts(t *testing.T) {
	t.Parallel()
	var s Samples
	for _, ms := range []int{5, 1, 3} {
		s.Record(time.Duration(ms) * time.Millisecond)
	}
	if got := s.Quantile(0.5); got != 3*time.Millisecond {
		t.Fatalf("median of 1, 3 and 5 ms: %s", got)
	}
	s.Record(0)
	s.Record(0)
	if got, min := s.Quantile(0.5), s.Min(); got != time.Millisecond || min != 0 {
		t.Fatalf("median of 0, 0, 1, 3 and 5 ms: %s, min %s", got, min)
	}
}

func TestMergingTwoSetsOfSamplesEqualsRecordingIntoOne(t *testing.T) {
	t.Parallel()
	var a, b, both Samples
	for i := range 1000 {
		d := time.Duration(i*i) * time.Microsecond
		both.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	a.Merge(&b)
	if a.Summary() != both.Summary() || a.Min() != both.Min() {
		t.Fatalf("merged %+v, recorded together %+v", a.Summary(), both.Summary())
	}
}

func TestMergingIntoEmptySamplesKeepsTheMinimum(t *testing.T) {
	t.Parallel()
	var empty, s Samples
	s.Record(7 * time.Millisecond)
	s.Record(9 * time.Millisecond)
	empty.Merge(&s)
	if empty.Min() != 7*time.Millisecond || empty.Max() != 9*time.Millisecond || empty.Count() != 2 {
		t.Fatalf("min %s max %s count %d", empty.Min(), empty.Max(), empty.Count())
	}
}

func TestNegativeDurationsCountAsZero(t *testing.T) {
	t.Parallel()
	var s Samples
	s.Record(-time.Second)
	if s.Count() != 1 || s.Max() != 0 || s.Mean() != 0 {
		t.Fatalf("count %d max %s mean %s", s.Count(), s.Max(), s.Mean())
	}
}
