// Package stats keeps every latency recorded, so that each quantile is a
// sample that was measured, not an estimate. A sample takes 8 bytes: a
// run of a million orders holds about 8 MB per kind of latency.
package stats

import (
	"math"
	"slices"
	"time"
)

// Samples holds durations. The zero value is empty and ready to use. It is
// not safe for concurrent use.
type Samples struct {
	d      []time.Duration
	sum    time.Duration
	sorted bool
}

// Record adds one duration; negative durations count as zero.
func (s *Samples) Record(d time.Duration) {
	d = max(d, 0)
	s.d = append(s.d, d)
	s.sum += d
	s.sorted = false
}

// Merge adds every sample of o.
func (s *Samples) Merge(o *Samples) {
	s.d = append(s.d, o.d...)
	s.sum += o.sum
	s.sorted = false
}

// Count is the number of samples.
func (s *Samples) Count() uint64 { return uint64(len(s.d)) }

// Min is the smallest sample, or 0 when empty.
func (s *Samples) Min() time.Duration { return s.Quantile(0) }

// Max is the largest sample, or 0 when empty.
func (s *Samples) Max() time.Duration { return s.Quantile(1) }

// Mean is the average sample, or 0 when empty.
func (s *Samples) Mean() time.Duration {
	if len(s.d) == 0 {
		return 0
	}
	return s.sum / time.Duration(len(s.d))
}

// Quantile returns the sample at quantile q (0.5 for the median) by the
// nearest rank: the smallest sample that at least a share q of the
// samples do not exceed. It is 0 when empty.
func (s *Samples) Quantile(q float64) time.Duration {
	if len(s.d) == 0 {
		return 0
	}
	if !s.sorted {
		slices.Sort(s.d)
		s.sorted = true
	}
	q = math.Min(math.Max(q, 0), 1)
	rank := max(int(math.Ceil(q*float64(len(s.d)))), 1)
	return s.d[rank-1]
}

// Summary is the samples reduced to the figures a report shows.
type Summary struct {
	Count  uint64  `json:"count"`
	MeanMs float64 `json:"meanMs"`
	P50Ms  float64 `json:"p50Ms"`
	P90Ms  float64 `json:"p90Ms"`
	P99Ms  float64 `json:"p99Ms"`
	P999Ms float64 `json:"p999Ms"`
	MaxMs  float64 `json:"maxMs"`
}

// Summary reduces the samples to their usual quantiles, in milliseconds.
func (s *Samples) Summary() Summary {
	return Summary{
		Count:  s.Count(),
		MeanMs: Ms(s.Mean()),
		P50Ms:  Ms(s.Quantile(0.50)),
		P90Ms:  Ms(s.Quantile(0.90)),
		P99Ms:  Ms(s.Quantile(0.99)),
		P999Ms: Ms(s.Quantile(0.999)),
		MaxMs:  Ms(s.Max()),
	}
}

// Ms is d in milliseconds, rounded to the microsecond.
func Ms(d time.Duration) float64 { return float64(d/time.Microsecond) / 1000 }
