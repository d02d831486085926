package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestAnEmptyHistogramReportsZeroes(t *testing.T) {
	t.Parallel()
	var h Histogram
	if h.Count() != 0 || h.Quantile(0.5) != 0 || h.Max() != 0 || h.Min() != 0 || h.Mean() != 0 {
		t.Fatalf("empty histogram: count %d p50 %s max %s min %s mean %s", h.Count(), h.Quantile(0.5), h.Max(), h.Min(), h.Mean())
	}
	if s := h.Summary(); s != (Summary{}) {
		t.Fatalf("summary of an empty histogram %+v", s)
	}
}

func TestQuantilesStayWithinTheBucketError(t *testing.T) {
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
			var h Histogram
			var all []time.Duration
			for range 20_000 {
				d := tc.sample(r)
				h.Record(d)
				all = append(all, d.Truncate(time.Microsecond))
			}
			slices.Sort(all)
			for _, q := range []float64{0.01, 0.5, 0.9, 0.99, 0.999, 1} {
				want := all[max(int(math.Ceil(q*float64(len(all))))-1, 0)]
				got := h.Quantile(q)
				// A bucket is at most 1/32 of its value wide, and exact below 64 µs.
				if got < want || float64(got-want) > float64(want)/32+float64(time.Microsecond) {
					t.Errorf("q%.3f = %s, want %s within 1/32", q, got, want)
				}
			}
			if h.Max() != all[len(all)-1] || h.Min() != all[0] {
				t.Errorf("min %s max %s, want %s and %s", h.Min(), h.Max(), all[0], all[len(all)-1])
			}
			if h.Count() != uint64(len(all)) {
				t.Errorf("count %d, want %d", h.Count(), len(all))
			}
		})
	}
}

func TestMergingTwoHistogramsEqualsRecordingIntoOne(t *testing.T) {
	t.Parallel()
	var a, b, both Histogram
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

func TestMergingIntoAnEmptyHistogramKeepsTheMinimum(t *testing.T) {
	t.Parallel()
	var empty, h Histogram
	h.Record(7 * time.Millisecond)
	h.Record(9 * time.Millisecond)
	empty.Merge(&h)
	if empty.Min() != 7*time.Millisecond || empty.Max() != 9*time.Millisecond || empty.Count() != 2 {
		t.Fatalf("min %s max %s count %d", empty.Min(), empty.Max(), empty.Count())
	}
}

func TestEveryValueFallsInABucketWhoseEdgeIsNotBelowIt(t *testing.T) {
	t.Parallel()
	for _, v := range []uint64{0, 1, 63, 64, 65, 127, 128, 1000, 1 << 20, 1<<40 + 12345, 1<<63 - 1} {
		i := bucketOf(v)
		if i < 0 || i >= numBuckets {
			t.Fatalf("value %d in bucket %d of %d", v, i, numBuckets)
		}
		if upperEdge(i) < v || (i > 0 && upperEdge(i-1) >= v) {
			t.Errorf("value %d in bucket %d spanning (%d, %d]", v, i, upperEdge(i-1), upperEdge(i))
		}
	}
}

func TestNegativeDurationsCountAsZero(t *testing.T) {
	t.Parallel()
	var h Histogram
	h.Record(-time.Second)
	if h.Count() != 1 || h.Max() != 0 {
		t.Fatalf("count %d max %s", h.Count(), h.Max())
	}
}
