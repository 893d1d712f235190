package ephemeraltest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// Timings of the expiry tests. Entries put with shortTTL must be gone within
// expiryDeadline, polled every pollInterval; entries put with longTTL must
// still be there right after the Put, even on a slow CI machine.
const (
	shortTTL       = 150 * time.Millisecond
	longTTL        = 5 * time.Second
	expiryDeadline = 3 * time.Second
	pollInterval   = 10 * time.Millisecond
)

// Sizes of the concurrency tests.
const (
	takers      = 32
	takeRounds  = 20
	mixedActors = 16
	mixedOps    = 50
	incrActors  = 32
	incrRounds  = 10
)

// Run runs the conformance suite against the stores newStore returns. It is
// called once per subtest, with that subtest's t.
func Run(t *testing.T, newStore func(t *testing.T) authenticator.EphemeralStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s authenticator.EphemeralStore)
	}{
		{"RoundTrip", testRoundTrip},
		{"ValuesAreCopied", testValuesAreCopied},
		{"PutReplacesValue", testPutReplacesValue},
		{"PutReplacesTTL", testPutReplacesTTL},
		{"Absent", testAbsent},
		{"Delete", testDelete},
		{"TakeOnce", testTakeOnce},
		{"Expiry", testExpiry},
		{"NotBeforeTTL", testNotBeforeTTL},
		{"TTLBounds", testTTLBounds},
		{"InvalidPut", testInvalidPut},
		{"InvalidKey", testInvalidKey},
		{"ConcurrentTake", testConcurrentTake},
		{"ConcurrentMixed", testConcurrentMixed},
		{"IncrCounts", testIncrCounts},
		{"IncrWindowExpires", testIncrWindowExpires},
		{"IncrDoesNotExtendWindow", testIncrDoesNotExtendWindow},
		{"IncrWindowBounds", testIncrWindowBounds},
		{"InvalidIncr", testInvalidIncr},
		{"IncrOnValue", testIncrOnValue},
		{"IncrKeepsValueExpiry", testIncrKeepsValueExpiry},
		{"ConcurrentIncr", testConcurrentIncr},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

// newKey returns a key no other test uses.
func newKey(label string) string {
	return "ephemeraltest:" + label + ":" + rand.Text()
}

// longestKey returns a key of exactly MaxKeyLen bytes no other test uses.
func longestKey() string {
	unique := rand.Text()
	return strings.Repeat("k", authenticator.MaxKeyLen-len(unique)) + unique
}

// put stores value under key and deletes it again when the test ends, so a
// shared server keeps nothing from the suite.
func put(t *testing.T, s authenticator.EphemeralStore, key string, value []byte, ttl time.Duration) {
	t.Helper()
	if err := s.Put(t.Context(), key, value, ttl); err != nil {
		t.Fatalf("Put(%d-byte value, %v): got %v, want nil", len(value), ttl, err)
	}
	t.Cleanup(func() {
		if err := s.Delete(context.Background(), key); err != nil {
			t.Errorf("Delete in cleanup: %v", err)
		}
	})
}

// wantValue checks that get (Get or Take) returns want.
func wantValue(t *testing.T, op string, get func(context.Context, string) ([]byte, error), key string, want []byte) {
	t.Helper()
	got, err := get(t.Context(), key)
	if err != nil {
		t.Fatalf("%s: got error %v, want %q", op, err, want)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: got %q, want %q", op, got, want)
	}
}

// wantNotFound checks that get (Get or Take) reports ErrNotFound.
func wantNotFound(t *testing.T, op string, get func(context.Context, string) ([]byte, error), key string) {
	t.Helper()
	got, err := get(t.Context(), key)
	if !errors.Is(err, authenticator.ErrNotFound) {
		t.Fatalf("%s: got %q, %v, want ErrNotFound", op, got, err)
	}
}

// allBytes is every byte value once.
func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func testRoundTrip(t *testing.T, s authenticator.EphemeralStore) {
	tests := map[string]struct {
		key   string
		value []byte
	}{
		"empty value":        {newKey("empty"), []byte{}},
		"nil value":          {newKey("nil"), nil},
		"every byte":         {newKey("bytes"), allBytes()},
		"invalid UTF-8":      {newKey("utf8"), []byte{0xff, 0xfe, 0xc3, 0x28}},
		"RESP-like":          {newKey("resp"), []byte("+OK\r\n$-1\r\n*1\r\n")},
		"largest value":      {newKey("large"), bytes.Repeat([]byte{0xa5}, authenticator.MaxValueLen)},
		"key with odd bytes": {newKey("\x00 \r\n\xff ünï"), []byte("v")},
		"longest key":        {longestKey(), []byte("v")},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			put(t, s, tc.key, tc.value, time.Minute)
			wantValue(t, "Get", s.Get, tc.key, tc.value)
			wantValue(t, "Get again", s.Get, tc.key, tc.value)
			wantValue(t, "Take", s.Take, tc.key, tc.value)
		})
	}
}

func testValuesAreCopied(t *testing.T, s authenticator.EphemeralStore) {
	key := newKey("copy")
	value := []byte("original")
	put(t, s, key, value, time.Minute)
	copy(value, "CHANGED!")
	wantValue(t, "Get after the caller changed its slice", s.Get, key, []byte("original"))

	got, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	copy(got, "CHANGED!")
	wantValue(t, "Get after the caller changed a returned slice", s.Get, key, []byte("original"))
}

func testPutReplacesValue(t *testing.T, s authenticator.EphemeralStore) {
	key := newKey("replace")
	put(t, s, key, []byte("first"), time.Minute)
	put(t, s, key, []byte("second"), time.Minute)
	wantValue(t, "Get", s.Get, key, []byte("second"))
	wantValue(t, "Take", s.Take, key, []byte("second"))
	wantNotFound(t, "Get after Take", s.Get, key)
}

func testPutReplacesTTL(t *testing.T, s authenticator.EphemeralStore) {
	key := newKey("replace-ttl")
	put(t, s, key, []byte("short"), shortTTL)
	put(t, s, key, []byte("long"), longTTL)
	time.Sleep(2 * shortTTL)
	wantValue(t, "Get after the first ttl has passed", s.Get, key, []byte("long"))
}

func testAbsent(t *testing.T, s authenticator.EphemeralStore) {
	key := newKey("absent")
	wantNotFound(t, "Get", s.Get, key)
	wantNotFound(t, "Take", s.Take, key)
	if err := s.Delete(t.Context(), key); err != nil {
		t.Fatalf("Delete: got %v, want nil", err)
	}
}

func testDelete(t *testing.T, s authenticator.EphemeralStore) {
	key, other := newKey("delete"), newKey("keep")
	put(t, s, key, []byte("v"), time.Minute)
	put(t, s, other, []byte("w"), time.Minute)
	if err := s.Delete(t.Context(), key); err != nil {
		t.Fatalf("Delete: got %v, want nil", err)
	}
	wantNotFound(t, "Get after Delete", s.Get, key)
	wantNotFound(t, "Take after Delete", s.Take, key)
	if err := s.Delete(t.Context(), key); err != nil {
		t.Fatalf("second Delete: got %v, want nil", err)
	}
	wantValue(t, "Get of another key", s.Get, other, []byte("w"))
}

func testTakeOnce(t *testing.T, s authenticator.EphemeralStore) {
	key := newKey("take")
	put(t, s, key, []byte("challenge"), time.Minute)
	wantValue(t, "Take", s.Take, key, []byte("challenge"))
	wantNotFound(t, "second Take", s.Take, key)
	wantNotFound(t, "Get after Take", s.Get, key)

	put(t, s, key, []byte("again"), time.Minute)
	wantValue(t, "Take after a new Put", s.Take, key, []byte("again"))
}

func testExpiry(t *testing.T, s authenticator.EphemeralStore) {
	// taken is stored first, so it expires no later than polled does.
	taken, polled := newKey("expire-take"), newKey("expire-get")
	put(t, s, taken, []byte("v"), shortTTL)
	put(t, s, polled, []byte("v"), shortTTL)
	waitGone(t, s, polled, "after a Put with ttl %v")
	wantNotFound(t, "Take after expiry", s.Take, taken)
	wantNotFound(t, "Get after expiry", s.Get, taken)
}

func testNotBeforeTTL(t *testing.T, s authenticator.EphemeralStore) {
	key := newKey("alive")
	put(t, s, key, []byte("v"), longTTL)
	wantValue(t, "Get right after Put", s.Get, key, []byte("v"))
	wantValue(t, "Take right after Put", s.Take, key, []byte("v"))
}

// testTTLBounds checks that both ends of the ttl range are accepted; the
// longest key and the largest value are in testRoundTrip.
func testTTLBounds(t *testing.T, s authenticator.EphemeralStore) {
	put(t, s, newKey("min-ttl"), []byte("v"), authenticator.MinTTL)
	key := newKey("max-ttl")
	put(t, s, key, []byte("v"), authenticator.MaxTTL)
	wantValue(t, "Get after a Put with MaxTTL", s.Get, key, []byte("v"))
}

func testInvalidPut(t *testing.T, s authenticator.EphemeralStore) {
	tests := map[string]struct {
		key   string
		value []byte
		ttl   time.Duration
	}{
		"empty key":        {"", []byte("v"), time.Minute},
		"key too long":     {strings.Repeat("k", authenticator.MaxKeyLen+1), []byte("v"), time.Minute},
		"value too large":  {newKey("large"), make([]byte, authenticator.MaxValueLen+1), time.Minute},
		"zero ttl":         {newKey("zero-ttl"), []byte("v"), 0},
		"negative ttl":     {newKey("negative-ttl"), []byte("v"), -time.Second},
		"ttl below MinTTL": {newKey("tiny-ttl"), []byte("v"), authenticator.MinTTL - 1},
		"ttl above MaxTTL": {newKey("huge-ttl"), []byte("v"), authenticator.MaxTTL + time.Millisecond},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := s.Put(t.Context(), tc.key, tc.value, tc.ttl)
			if !errors.Is(err, authenticator.ErrInvalidArgument) {
				t.Fatalf("Put: got %v, want ErrInvalidArgument", err)
			}
			if authenticator.ValidateKey(tc.key) == nil {
				wantNotFound(t, "Get after the refused Put", s.Get, tc.key)
			}
		})
	}

	t.Run("leaves the old value", func(t *testing.T) {
		t.Parallel()
		key := newKey("kept")
		put(t, s, key, []byte("old"), time.Minute)
		if err := s.Put(t.Context(), key, []byte("new"), 0); !errors.Is(err, authenticator.ErrInvalidArgument) {
			t.Fatalf("Put with ttl 0: got %v, want ErrInvalidArgument", err)
		}
		wantValue(t, "Get after the refused Put", s.Get, key, []byte("old"))
	})
}

func testInvalidKey(t *testing.T, s authenticator.EphemeralStore) {
	for name, key := range map[string]string{
		"empty":    "",
		"too long": strings.Repeat("k", authenticator.MaxKeyLen+1),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			if _, err := s.Get(ctx, key); !errors.Is(err, authenticator.ErrInvalidArgument) {
				t.Errorf("Get: got %v, want ErrInvalidArgument", err)
			}
			if _, err := s.Take(ctx, key); !errors.Is(err, authenticator.ErrInvalidArgument) {
				t.Errorf("Take: got %v, want ErrInvalidArgument", err)
			}
			if err := s.Delete(ctx, key); !errors.Is(err, authenticator.ErrInvalidArgument) {
				t.Errorf("Delete: got %v, want ErrInvalidArgument", err)
			}
		})
	}
}

// testConcurrentTake is DESIGN.md §7.1: of takers simultaneous Takes of one
// challenge, exactly one gets it.
func testConcurrentTake(t *testing.T, s authenticator.EphemeralStore) {
	type result struct {
		value []byte
		err   error
	}
	for round := range takeRounds {
		key := newKey("race")
		want := fmt.Appendf(nil, "round %d", round)
		put(t, s, key, want, time.Minute)

		start := make(chan struct{})
		results := make(chan result, takers)
		var wg sync.WaitGroup
		for range takers {
			wg.Go(func() {
				<-start
				v, err := s.Take(t.Context(), key)
				results <- result{v, err}
			})
		}
		close(start)
		wg.Wait()
		close(results)

		winners := 0
		for r := range results {
			switch {
			case r.err == nil:
				winners++
				if !bytes.Equal(r.value, want) {
					t.Errorf("round %d: Take got %q, want %q", round, r.value, want)
				}
			case !errors.Is(r.err, authenticator.ErrNotFound):
				t.Errorf("round %d: Take got error %v, want the value or ErrNotFound", round, r.err)
			}
		}
		if winners != 1 {
			t.Fatalf("round %d: %d of %d concurrent Takes got the value, want exactly 1", round, winners, takers)
		}
	}
}

// testConcurrentMixed runs every operation from many goroutines at once, each
// on its own keys, for the race detector and for stores that share
// structures between keys.
func testConcurrentMixed(t *testing.T, s authenticator.EphemeralStore) {
	var wg sync.WaitGroup
	for actor := range mixedActors {
		wg.Go(func() {
			ctx := t.Context()
			for op := range mixedOps {
				key := newKey(fmt.Sprintf("mixed-%d", actor))
				want := fmt.Appendf(nil, "%d/%d", actor, op)
				if err := s.Put(ctx, key, want, time.Minute); err != nil {
					t.Errorf("Put: %v", err)
					return
				}
				if got, err := s.Get(ctx, key); err != nil || !bytes.Equal(got, want) {
					t.Errorf("Get: got %q, %v, want %q, nil", got, err, want)
					return
				}
				var err error
				if op%2 == 0 {
					var got []byte
					got, err = s.Take(ctx, key)
					if err == nil && !bytes.Equal(got, want) {
						t.Errorf("Take: got %q, want %q", got, want)
						return
					}
				} else {
					err = s.Delete(ctx, key)
				}
				if err != nil {
					t.Errorf("Take or Delete: %v", err)
					return
				}
				if _, err := s.Get(ctx, key); !errors.Is(err, authenticator.ErrNotFound) {
					t.Errorf("Get after Take or Delete: got %v, want ErrNotFound", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// incr increments the counter under key, fails the test on an error, and
// deletes the key again when the test ends.
func incr(t *testing.T, s authenticator.EphemeralStore, key string, window time.Duration) int64 {
	t.Helper()
	n, err := s.Incr(t.Context(), key, window)
	if err != nil {
		t.Fatalf("Incr(window %v): got %v, want nil", window, err)
	}
	t.Cleanup(func() {
		if err := s.Delete(context.Background(), key); err != nil {
			t.Errorf("Delete in cleanup: %v", err)
		}
	})
	return n
}

// wantIncr checks that Incr returns want.
func wantIncr(t *testing.T, s authenticator.EphemeralStore, key string, window time.Duration, want int64) {
	t.Helper()
	if got := incr(t, s, key, window); got != want {
		t.Fatalf("Incr: got %d, want %d", got, want)
	}
}

// wantNotCounter checks that Incr of key is ErrInvalidArgument.
func wantNotCounter(t *testing.T, s authenticator.EphemeralStore, key string) {
	t.Helper()
	if n, err := s.Incr(t.Context(), key, time.Minute); !errors.Is(err, authenticator.ErrInvalidArgument) {
		t.Fatalf("Incr: got %d, %v, want ErrInvalidArgument", n, err)
	}
}

// testIncrCounts checks that a counter counts from 1, is stored as its
// decimal text, and starts again after Take or Delete.
func testIncrCounts(t *testing.T, s authenticator.EphemeralStore) {
	key := newKey("count")
	for want := range int64(5) {
		wantIncr(t, s, key, time.Minute, want+1)
	}
	wantValue(t, "Get of a counter", s.Get, key, []byte("5"))
	wantValue(t, "Take of a counter", s.Take, key, []byte("5"))
	wantIncr(t, s, key, time.Minute, 1)
	wantIncr(t, s, key, time.Minute, 2)
	if err := s.Delete(t.Context(), key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantIncr(t, s, key, time.Minute, 1)

	other := newKey("count-other")
	wantIncr(t, s, other, time.Minute, 1)
	wantIncr(t, s, key, time.Minute, 2)

	long := longestKey()
	wantIncr(t, s, long, time.Minute, 1)
	wantIncr(t, s, long, time.Minute, 2)
}

// testIncrWindowExpires checks that a counter expires window after its first
// increment and then counts from 1 again.
func testIncrWindowExpires(t *testing.T, s authenticator.EphemeralStore) {
	key := newKey("window")
	wantIncr(t, s, key, shortTTL, 1)
	wantIncr(t, s, key, shortTTL, 2)
	wantIncr(t, s, key, shortTTL, 3)
	waitGone(t, s, key, "after the first Incr with window %v")
	wantIncr(t, s, key, longTTL, 1)
	wantIncr(t, s, key, longTTL, 2)
}

// testIncrDoesNotExtendWindow increments a counter every pollInterval, with
// a window longer than the test may wait: only the first increment's short
// window may bound it, so the count must start again at 1 within
// expiryDeadline, having counted up by one at every step before.
func testIncrDoesNotExtendWindow(t *testing.T, s authenticator.EphemeralStore) {
	key := newKey("no-extend")
	wantIncr(t, s, key, shortTTL, 1)
	deadline := time.Now().Add(expiryDeadline)
	for want := int64(2); ; want++ {
		time.Sleep(pollInterval)
		got, err := s.Incr(t.Context(), key, longTTL) // the first Incr's cleanup deletes key
		if err != nil {
			t.Fatalf("Incr: got %v, want nil", err)
		}
		if got == 1 {
			break
		}
		if got != want {
			t.Fatalf("Incr: got %d, want %d, or 1 once the first window has ended", got, want)
		}
		if time.Now().After(deadline) {
			t.Fatalf("Incr %v after the first Incr with window %v: got %d, want the count to start again at 1", expiryDeadline, shortTTL, got)
		}
	}
	// The new counter's window is the long one of the Incr that created it.
	wantIncr(t, s, key, shortTTL, 2)
	time.Sleep(2 * shortTTL)
	wantIncr(t, s, key, shortTTL, 3)
}

// testIncrWindowBounds checks that both ends of the window range are accepted.
func testIncrWindowBounds(t *testing.T, s authenticator.EphemeralStore) {
	incr(t, s, newKey("min-window"), authenticator.MinTTL)
	key := newKey("max-window")
	wantIncr(t, s, key, authenticator.MaxTTL, 1)
	wantIncr(t, s, key, authenticator.MaxTTL, 2)
}

func testInvalidIncr(t *testing.T, s authenticator.EphemeralStore) {
	tests := map[string]struct {
		key    string
		window time.Duration
	}{
		"empty key":           {"", time.Minute},
		"key too long":        {strings.Repeat("k", authenticator.MaxKeyLen+1), time.Minute},
		"zero window":         {newKey("zero-window"), 0},
		"negative window":     {newKey("negative-window"), -time.Second},
		"window below MinTTL": {newKey("tiny-window"), authenticator.MinTTL - 1},
		"window above MaxTTL": {newKey("huge-window"), authenticator.MaxTTL + time.Millisecond},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			n, err := s.Incr(t.Context(), tc.key, tc.window)
			if !errors.Is(err, authenticator.ErrInvalidArgument) {
				t.Fatalf("Incr: got %d, %v, want ErrInvalidArgument", n, err)
			}
			if authenticator.ValidateKey(tc.key) == nil {
				wantNotFound(t, "Get after the refused Incr", s.Get, tc.key)
			}
		})
	}

	t.Run("leaves the count", func(t *testing.T) {
		t.Parallel()
		key := newKey("kept-count")
		wantIncr(t, s, key, time.Minute, 1)
		if n, err := s.Incr(t.Context(), key, 0); !errors.Is(err, authenticator.ErrInvalidArgument) {
			t.Fatalf("Incr with window 0: got %d, %v, want ErrInvalidArgument", n, err)
		}
		wantIncr(t, s, key, time.Minute, 2)
	})
}

// testIncrOnValue checks that Incr counts on from a Put value that is a
// canonical decimal int64, as Redis's INCR does, and refuses any other value
// with ErrInvalidArgument, leaving it as it is.
func testIncrOnValue(t *testing.T, s authenticator.EphemeralStore) {
	maxInt := strconv.FormatInt(math.MaxInt64, 10)
	counted := map[string]int64{
		"41":                                   42,
		"0":                                    1,
		"-1":                                   0,
		"-5":                                   -4,
		strconv.FormatInt(math.MaxInt64-1, 10): math.MaxInt64,
		strconv.FormatInt(math.MinInt64, 10):   math.MinInt64 + 1,
	}
	for value, want := range counted {
		t.Run("counts on from "+value, func(t *testing.T) {
			t.Parallel()
			key := newKey("value-counter")
			put(t, s, key, []byte(value), time.Minute)
			wantIncr(t, s, key, time.Minute, want)
			wantValue(t, "Get after Incr", s.Get, key, []byte(strconv.FormatInt(want, 10)))
		})
	}

	refused := map[string][]byte{
		"text":                []byte("v"),
		"empty":               {},
		"plus sign":           []byte("+1"),
		"leading zero":        []byte("01"),
		"minus zero":          []byte("-0"),
		"leading space":       []byte(" 1"),
		"trailing space":      []byte("1 "),
		"trailing newline":    []byte("1\n"),
		"fraction":            []byte("1.5"),
		"exponent":            []byte("1e3"),
		"hex":                 []byte("0x10"),
		"underscore":          []byte("1_000"),
		"NUL":                 []byte("1\x00"),
		"int64 maximum":       []byte(maxInt),
		"above int64 maximum": []byte("9223372036854775808"),
		"below int64 minimum": []byte("-9223372036854775809"),
		"every byte":          allBytes(),
	}
	for name, value := range refused {
		t.Run("refuses "+name, func(t *testing.T) {
			t.Parallel()
			key := newKey("value")
			put(t, s, key, value, time.Minute)
			wantNotCounter(t, s, key)
			wantValue(t, "Get after the refused Incr", s.Get, key, value)
		})
	}

	t.Run("Put replaces a counter", func(t *testing.T) {
		t.Parallel()
		key := newKey("replaced-counter")
		wantIncr(t, s, key, time.Minute, 1)
		put(t, s, key, []byte("v"), time.Minute)
		wantNotCounter(t, s, key)
		put(t, s, key, []byte("7"), time.Minute)
		wantIncr(t, s, key, time.Minute, 8)
	})
}

// testIncrKeepsValueExpiry checks that Incr of a Put value keeps the Put's
// ttl, however long Incr's window.
func testIncrKeepsValueExpiry(t *testing.T, s authenticator.EphemeralStore) {
	key := newKey("value-expiry")
	put(t, s, key, []byte("41"), shortTTL)
	wantIncr(t, s, key, longTTL, 42)
	waitGone(t, s, key, "after a Put with ttl %v and an Incr")
	wantIncr(t, s, key, longTTL, 1)
}

// testConcurrentIncr has incrActors goroutines increment one counter
// incrRounds times each: every increment counts, and each returns a
// different count, so the counts are exactly 1 to incrActors×incrRounds.
func testConcurrentIncr(t *testing.T, s authenticator.EphemeralStore) {
	const total = incrActors * incrRounds
	key := newKey("concurrent-count")
	t.Cleanup(func() {
		if err := s.Delete(context.Background(), key); err != nil {
			t.Errorf("Delete in cleanup: %v", err)
		}
	})
	start := make(chan struct{})
	counts := make(chan int64, total)
	var wg sync.WaitGroup
	for range incrActors {
		wg.Go(func() {
			<-start
			for range incrRounds {
				n, err := s.Incr(t.Context(), key, time.Minute)
				if err != nil {
					t.Errorf("Incr: %v", err)
					return
				}
				counts <- n
			}
		})
	}
	close(start)
	wg.Wait()
	close(counts)

	seen := make(map[int64]bool, total)
	for n := range counts {
		if n < 1 || n > total {
			t.Errorf("Incr returned %d, want 1 to %d", n, total)
		}
		if seen[n] {
			t.Errorf("Incr returned %d more than once", n)
		}
		seen[n] = true
	}
	if len(seen) != total {
		t.Fatalf("%d concurrent Incrs returned %d different counts, want %d", total, len(seen), total)
	}
	wantValue(t, "Get after the concurrent Incrs", s.Get, key, []byte(strconv.Itoa(total)))
}

// waitGone polls Get until key expires, failing if it errors otherwise or
// is still there expiryDeadline from now. after says what set it, with a
// %v for shortTTL, for the failure message.
func waitGone(t *testing.T, s authenticator.EphemeralStore, key, after string) {
	t.Helper()
	deadline := time.Now().Add(expiryDeadline)
	for {
		_, err := s.Get(t.Context(), key)
		if errors.Is(err, authenticator.ErrNotFound) {
			return
		}
		if err != nil {
			t.Fatalf("Get before expiry: got %v, want the value or ErrNotFound", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("Get %v "+after+": still there, want ErrNotFound", expiryDeadline, shortTTL)
		}
		time.Sleep(pollInterval)
	}
}
