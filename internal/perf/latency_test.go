package perf_test

import (
	"math"
	"slices"
	"testing"
	"time"
)

// latencies are the durations of a benchmark's iterations.
type latencies []time.Duration

// percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of
// sorted, which must not be empty.
func percentile(sorted latencies, p float64) time.Duration {
	rank := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

// report sorts l and reports its mean as server-ns/op and its p50 and p99
// as p50-ns and p99-ns. It reports nothing for no samples.
func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	slices.Sort(l)
	var sum time.Duration
	for _, d := range l {
		sum += d
	}
	b.ReportMetric(float64(sum)/float64(len(l)), "server-ns/op")
	b.ReportMetric(float64(percentile(l, 50)), "p50-ns")
	b.ReportMetric(float64(percentile(l, 99)), "p99-ns")
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	hundred := make(latencies, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i + 1)
	}
	tests := map[string]struct {
		in   latencies
		p    float64
		want time.Duration
	}{
		"one sample p50":  {latencies{7}, 50, 7},
		"one sample p99":  {latencies{7}, 99, 7},
		"two samples p50": {latencies{1, 2}, 50, 1},
		"two samples p99": {latencies{1, 2}, 99, 2},
		"hundred p50":     {hundred, 50, 50},
		"hundred p99":     {hundred, 99, 99},
		"hundred p100":    {hundred, 100, 100},
		"hundred p1":      {hundred, 1, 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := percentile(tc.in, tc.p); got != tc.want {
				t.Errorf("percentile(%d samples, %v): got %v, want %v", len(tc.in), tc.p, got, tc.want)
			}
		})
	}
}
