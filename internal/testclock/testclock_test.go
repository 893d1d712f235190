package testclock_test

import (
	"sync"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/internal/testclock"
)

func TestClock(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	c := testclock.New(t0)
	if got := c.Now(); !got.Equal(t0) {
		t.Fatalf("Now: got %v, want %v", got, t0)
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { c.Advance(time.Second) })
	}
	wg.Wait()
	if got, want := c.Now(), t0.Add(10*time.Second); !got.Equal(want) {
		t.Errorf("Now after 10 concurrent Advance(1s): got %v, want %v", got, want)
	}
}
