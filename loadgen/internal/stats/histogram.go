// Package stats records latencies in a fixed-size log-linear histogram:
// constant memory whatever the number of samples, about 3% relative error
// on quantiles, and exact count, minimum and maximum.
package stats

import (
	"math"
	"math/bits"
	"time"
)

// Values below linearMax are kept exactly; above, each power of two is
// split into halfBuckets buckets, so a bucket is at most 1/32 of its value
// wide.
const (
	halfBits    = 5
	halfBuckets = 1 << halfBits
	linearMax   = 2 * halfBuckets
	numBuckets  = (64-halfBits)*halfBuckets + halfBuckets
)

// Histogram counts durations at microsecond resolution. The zero value is
// empty and ready to use. It is not safe for concurrent use.
type Histogram struct {
	counts [numBuckets]uint64
	count  uint64
	sumUs  float64
	minUs  uint64
	maxUs  uint64
}

// Record adds one duration; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	us := uint64(max(d, 0) / time.Microsecond)
	h.counts[bucketOf(us)]++
	if h.count == 0 || us < h.minUs {
		h.minUs = us
	}
	if us > h.maxUs {
		h.maxUs = us
	}
	h.count++
	h.sumUs += float64(us)
}

// Merge adds every sample of o.
func (h *Histogram) Merge(o *Histogram) {
	if o.count == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.count == 0 || o.minUs < h.minUs {
		h.minUs = o.minUs
	}
	h.maxUs = max(h.maxUs, o.maxUs)
	h.count += o.count
	h.sumUs += o.sumUs
}

// Count is the number of samples.
func (h *Histogram) Count() uint64 { return h.count }

// Min is the smallest sample, or 0 when empty.
func (h *Histogram) Min() time.Duration { return us(h.minUs) }

// Max is the largest sample, or 0 when empty.
func (h *Histogram) Max() time.Duration { return us(h.maxUs) }

// Mean is the average sample, or 0 when empty.
func (h *Histogram) Mean() time.Duration {
	if h.count == 0 {
		return 0
	}
	return time.Duration(h.sumUs / float64(h.count) * float64(time.Microsecond))
}

// Quantile returns the sample at quantile q (0.5 for the median): the upper
// edge of the bucket holding it, never above the maximum. It is 0 when
// empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.count == 0 {
		return 0
	}
	q = math.Min(math.Max(q, 0), 1)
	rank := uint64(math.Ceil(q * float64(h.count)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return us(min(max(upperEdge(i), h.minUs), h.maxUs))
		}
	}
	return us(h.maxUs)
}

// Summary is a histogram reduced to the figures a report shows.
type Summary struct {
	Count  uint64  `json:"count"`
	MeanMs float64 `json:"meanMs"`
	P50Ms  float64 `json:"p50Ms"`
	P90Ms  float64 `json:"p90Ms"`
	P99Ms  float64 `json:"p99Ms"`
	P999Ms float64 `json:"p999Ms"`
	MaxMs  float64 `json:"maxMs"`
}

// Summary reduces the histogram to its usual quantiles, in milliseconds.
func (h *Histogram) Summary() Summary {
	return Summary{
		Count:  h.count,
		MeanMs: Ms(h.Mean()),
		P50Ms:  Ms(h.Quantile(0.50)),
		P90Ms:  Ms(h.Quantile(0.90)),
		P99Ms:  Ms(h.Quantile(0.99)),
		P999Ms: Ms(h.Quantile(0.999)),
		MaxMs:  Ms(h.Max()),
	}
}

// Ms is d in milliseconds, rounded to the microsecond.
func Ms(d time.Duration) float64 { return float64(d/time.Microsecond) / 1000 }

func us(v uint64) time.Duration { return time.Duration(v) * time.Microsecond }

// bucketOf maps a value to its bucket: exact below linearMax, then
// halfBuckets buckets for each power of two.
func bucketOf(v uint64) int {
	if v < linearMax {
		return int(v)
	}
	shift := bits.Len64(v) - 1 - halfBits
	return shift*halfBuckets + int(v>>shift)
}

// upperEdge is the largest value that falls in bucket i.
func upperEdge(i int) uint64 {
	if i < linearMax {
		return uint64(i)
	}
	shift := i/halfBuckets - 1
	m := uint64(i - shift*halfBuckets)
	return (m+1)<<shift - 1
}
