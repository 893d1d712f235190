package ephemeraltest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
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
	deadline := time.Now().Add(expiryDeadline)
	for {
		_, err := s.Get(t.Context(), polled)
		if errors.Is(err, authenticator.ErrNotFound) {
			break
		}
		if err != nil {
			t.Fatalf("Get before expiry: got %v, want the value or ErrNotFound", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("Get %v after a Put with ttl %v: got the value, want ErrNotFound", expiryDeadline, shortTTL)
		}
		time.Sleep(pollInterval)
	}
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
