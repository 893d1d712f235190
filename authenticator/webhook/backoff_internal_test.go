package webhook

import (
	"testing"
	"time"
)

// TestBackoffFullJitter checks the exponential ceiling, its cap, and that
// the wait is drawn uniformly below it (the bounds of the random source).
func TestBackoffFullJitter(t *testing.T) {
	t.Parallel()
	var asked []int64
	d := &Deliverer{cfg: Config{BaseDelay: time.Second, MaxDelay: 10 * time.Second}}
	d.rand = func(n int64) int64 { asked = append(asked, n); return n - 1 }
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 90: 10 * time.Second} {
		if got := d.backoff(n); got != want {
			t.Errorf("backoff(%d) with the largest draw: got %v, want %v", n, got, want)
		}
	}
	d.rand = func(int64) int64 { return 0 }
	if got := d.backoff(3); got != 0 {
		t.Errorf("backoff(3) with the smallest draw: got %v, want 0", got)
	}
	for _, n := range asked {
		if n <= 0 {
			t.Errorf("random source asked for [0, %d)", n)
		}
	}
}
