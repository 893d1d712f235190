package memory_test

import (
	"errors"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/ephemeraltest"
	"github.com/biometric-passkey/biometric-passkey/authenticator/memory"
	"github.com/biometric-passkey/biometric-passkey/internal/testclock"
)

func TestConformance(t *testing.T) {
	ephemeraltest.Run(t, func(*testing.T) authenticator.EphemeralStore { return memory.New() })
}

// clock is the settable test clock.
type clock = testclock.Clock

func newClock() *clock { return testclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) }

func mustPut(t *testing.T, s *memory.Store, key string, ttl time.Duration) {
	t.Helper()
	if err := s.Put(t.Context(), key, []byte(key), ttl); err != nil {
		t.Fatalf("Put(%q, %v): got %v, want nil", key, ttl, err)
	}
}

func wantPresent(t *testing.T, s *memory.Store, key string) {
	t.Helper()
	if got, err := s.Get(t.Context(), key); err != nil || string(got) != key {
		t.Fatalf("Get(%q): got %q, %v, want %q, nil", key, got, err, key)
	}
}

func wantGone(t *testing.T, s *memory.Store, key string) {
	t.Helper()
	if got, err := s.Get(t.Context(), key); !errors.Is(err, authenticator.ErrNotFound) {
		t.Fatalf("Get(%q): got %q, %v, want ErrNotFound", key, got, err)
	}
}

func TestExpiryIsExact(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := memory.New(memory.WithClock(c.Now))
	mustPut(t, s, "get", time.Minute)
	mustPut(t, s, "take", time.Minute)

	c.Advance(time.Minute - time.Nanosecond)
	wantPresent(t, s, "get")

	c.Advance(time.Nanosecond)
	wantGone(t, s, "get")
	if got, err := s.Take(t.Context(), "take"); !errors.Is(err, authenticator.ErrNotFound) {
		t.Fatalf("Take at expiry: got %q, %v, want ErrNotFound", got, err)
	}
}

func TestPutResetsExpiry(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := memory.New(memory.WithClock(c.Now), memory.WithMaxEntries(2))
	mustPut(t, s, "a", time.Minute)
	mustPut(t, s, "b", 2*time.Minute)
	mustPut(t, s, "a", 4*time.Minute) // now expires after b and c

	c.Advance(2 * time.Minute)
	mustPut(t, s, "c", time.Minute) // evicts b only
	wantPresent(t, s, "a")
	wantGone(t, s, "b")
	if err := s.Put(t.Context(), "d", nil, time.Minute); !errors.Is(err, authenticator.ErrUnavailable) {
		t.Fatalf("Put with a and c live: got %v, want ErrUnavailable", err)
	}

	c.Advance(time.Minute)
	wantPresent(t, s, "a")
	wantGone(t, s, "c")
}

func TestMaxEntries(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := memory.New(memory.WithClock(c.Now), memory.WithMaxEntries(3))
	for _, k := range []string{"a", "b", "c"} {
		mustPut(t, s, k, time.Minute)
	}
	full := func(key string) {
		t.Helper()
		err := s.Put(t.Context(), key, nil, time.Minute)
		if !errors.Is(err, authenticator.ErrUnavailable) {
			t.Fatalf("Put(%q) into a full store: got %v, want ErrUnavailable", key, err)
		}
		wantGone(t, s, key)
	}

	full("d")
	mustPut(t, s, "a", time.Minute) // replacing never needs a slot
	if _, err := s.Take(t.Context(), "b"); err != nil {
		t.Fatalf("Take: %v", err)
	}
	mustPut(t, s, "d", time.Minute)
	if err := s.Delete(t.Context(), "c"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	mustPut(t, s, "e", 2*time.Minute)
	full("f")

	// a and d expire; their slots are reused without anyone reading them.
	c.Advance(time.Minute)
	mustPut(t, s, "f", time.Minute)
	mustPut(t, s, "g", time.Minute)
	full("h")
	wantPresent(t, s, "e")
}

func wantIncr(t *testing.T, s *memory.Store, key string, window time.Duration, want int64) {
	t.Helper()
	if got, err := s.Incr(t.Context(), key, window); err != nil || got != want {
		t.Fatalf("Incr(%q, %v): got %d, %v, want %d, nil", key, window, got, err, want)
	}
}

func wantCount(t *testing.T, s *memory.Store, key, want string) {
	t.Helper()
	if got, err := s.Get(t.Context(), key); err != nil || string(got) != want {
		t.Fatalf("Get(%q): got %q, %v, want %q, nil", key, got, err, want)
	}
}

func TestIncrWindowIsExact(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := memory.New(memory.WithClock(c.Now))
	wantIncr(t, s, "k", time.Minute, 1)

	// Later increments, whatever their window, leave the first one's expiry.
	c.Advance(time.Minute - time.Nanosecond)
	wantIncr(t, s, "k", authenticator.MaxTTL, 2)
	wantCount(t, s, "k", "2")

	// From the first increment plus its window on, the count starts again,
	// with a window from the increment that restarts it.
	c.Advance(time.Nanosecond)
	wantGone(t, s, "k")
	wantIncr(t, s, "k", 2*time.Minute, 1)
	c.Advance(2*time.Minute - time.Nanosecond)
	wantIncr(t, s, "k", time.Minute, 2)
	c.Advance(time.Nanosecond)
	wantIncr(t, s, "k", time.Minute, 1)

	// The shortest window lasts exactly MinTTL.
	wantIncr(t, s, "min", authenticator.MinTTL, 1)
	c.Advance(authenticator.MinTTL - time.Nanosecond)
	wantIncr(t, s, "min", authenticator.MinTTL, 2)
	c.Advance(time.Nanosecond)
	wantIncr(t, s, "min", authenticator.MinTTL, 1)
}

func TestIncrKeepsPutExpiry(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := memory.New(memory.WithClock(c.Now))
	if err := s.Put(t.Context(), "k", []byte("41"), time.Minute); err != nil {
		t.Fatalf("Put: %v", err)
	}
	c.Advance(time.Minute - time.Nanosecond)
	wantIncr(t, s, "k", time.Hour, 42)
	c.Advance(time.Nanosecond)
	wantGone(t, s, "k")
}

func TestIncrMaxEntries(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := memory.New(memory.WithClock(c.Now), memory.WithMaxEntries(2))
	wantIncr(t, s, "a", time.Minute, 1)
	mustPut(t, s, "b", 2*time.Minute)
	full := func(key string) {
		t.Helper()
		if n, err := s.Incr(t.Context(), key, time.Minute); !errors.Is(err, authenticator.ErrUnavailable) {
			t.Fatalf("Incr(%q) in a full store: got %d, %v, want ErrUnavailable", key, n, err)
		}
		wantGone(t, s, key)
	}

	full("c")
	wantIncr(t, s, "a", time.Minute, 2) // counting on never needs a slot
	if err := s.Put(t.Context(), "c", nil, time.Minute); !errors.Is(err, authenticator.ErrUnavailable) {
		t.Fatalf("Put(%q) with a counter and a value live: got %v, want ErrUnavailable", "c", err)
	}

	// a expires: its slot is reused without anyone reading it.
	c.Advance(time.Minute)
	wantIncr(t, s, "c", time.Minute, 1)
	full("d")
	wantPresent(t, s, "b")
	wantCount(t, s, "c", "1")
}

func TestIncrReturnsAFreshSlice(t *testing.T) {
	t.Parallel()
	s := memory.New()
	wantIncr(t, s, "k", time.Minute, 1)
	got, err := s.Get(t.Context(), "k")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	wantIncr(t, s, "k", time.Minute, 2)
	if string(got) != "1" {
		t.Fatalf("a value Get returned before Incr: got %q, want %q", got, "1")
	}
}

func TestNewRejectsInvalidOptions(t *testing.T) {
	t.Parallel()
	tests := map[string]memory.Option{
		"nil clock":        memory.WithClock(nil),
		"zero entries":     memory.WithMaxEntries(0),
		"negative entries": memory.WithMaxEntries(-1),
	}
	for name, opt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Errorf("New: got no panic, want one")
				}
			}()
			memory.New(opt)
		})
	}
}
