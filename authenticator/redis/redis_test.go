package redis_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/ephemeraltest"
	"github.com/biometric-passkey/biometric-passkey/authenticator/redis"
	"github.com/biometric-passkey/biometric-passkey/internal/testenv"
)

// newPrefix returns a prefix no other test uses, so tests can share a server
// (REDIS_ADDR) without flushing it.
func newPrefix() string { return "bptest:" + rand.Text() + ":" }

func TestConformance(t *testing.T) {
	client := testenv.Redis(t)
	ephemeraltest.Run(t, func(*testing.T) authenticator.EphemeralStore {
		return redis.New(client, newPrefix())
	})
}

func TestKeysArePrefixedAndExpire(t *testing.T) {
	t.Parallel()
	client := testenv.Redis(t)
	prefix := newPrefix()
	s := redis.New(client, prefix)
	ctx := t.Context()
	for _, ttl := range []time.Duration{1500 * time.Millisecond, time.Minute, authenticator.MaxTTL} {
		if err := s.Put(ctx, "k", []byte("v"), ttl); err != nil {
			t.Fatalf("Put with ttl %v: %v", ttl, err)
		}
		got, err := client.PTTL(ctx, prefix+"k").Result()
		if err != nil {
			t.Fatalf("PTTL: %v", err)
		}
		if got <= ttl-time.Second || got > ttl {
			t.Errorf("PTTL after Put with ttl %v: got %v, want within a second below it", ttl, got)
		}
	}
	if err := s.Delete(ctx, "k"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
}

func TestPrefixIsolatesStores(t *testing.T) {
	t.Parallel()
	client := testenv.Redis(t)
	prefixA, prefixB := newPrefix(), newPrefix()
	a, b := redis.New(client, prefixA), redis.New(client, prefixB)
	ctx := t.Context()
	for s, v := range map[*redis.Store]string{a: "from a", b: "from b"} {
		if err := s.Put(ctx, "shared", []byte(v), time.Minute); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}

	if got, err := a.Take(ctx, "shared"); err != nil || string(got) != "from a" {
		t.Fatalf("a.Take: got %q, %v, want %q, nil", got, err, "from a")
	}
	if got, err := b.Get(ctx, "shared"); err != nil || string(got) != "from b" {
		t.Fatalf("b.Get after a.Take: got %q, %v, want %q, nil", got, err, "from b")
	}
	if err := a.Delete(ctx, "shared"); err != nil {
		t.Fatalf("a.Delete: %v", err)
	}
	if n, err := client.Exists(ctx, prefixA+"shared", prefixB+"shared").Result(); err != nil || n != 1 {
		t.Fatalf("EXISTS of both prefixed keys: got %d, %v, want 1 (only b's), nil", n, err)
	}
	if err := b.Delete(ctx, "shared"); err != nil {
		t.Fatalf("b.Delete: %v", err)
	}
}

// ops calls every operation of s once.
func ops(s *redis.Store) map[string]func(context.Context) error {
	return map[string]func(context.Context) error{
		"Put":    func(ctx context.Context) error { return s.Put(ctx, "k", []byte("v"), time.Minute) },
		"Get":    func(ctx context.Context) error { _, err := s.Get(ctx, "k"); return err },
		"Take":   func(ctx context.Context) error { _, err := s.Take(ctx, "k"); return err },
		"Delete": func(ctx context.Context) error { return s.Delete(ctx, "k") },
		"Incr":   func(ctx context.Context) error { _, err := s.Incr(ctx, "k", time.Minute); return err },
	}
}

func TestUnreachableServerIsUnavailable(t *testing.T) {
	t.Parallel()
	// Nothing listens on a free port: every dial is refused.
	client := goredis.NewClient(&goredis.Options{
		Addr:       net.JoinHostPort("127.0.0.1", strconv.Itoa(testenv.FreePort(t))),
		MaxRetries: -1,
	})
	t.Cleanup(func() {
		if err := client.Close(); err != nil {
			t.Errorf("close the client: %v", err)
		}
	})
	s := redis.New(client, newPrefix())
	for name, op := range ops(s) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := op(t.Context())
			if !errors.Is(err, authenticator.ErrUnavailable) {
				t.Errorf("got %v, want ErrUnavailable", err)
			}
			var opErr *net.OpError
			if !errors.As(err, &opErr) || !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("got %v, want the refused dial (*net.OpError, ECONNREFUSED) in the chain", err)
			}
		})
	}
}

func TestServerErrorIsUnavailable(t *testing.T) {
	t.Parallel()
	client := testenv.Redis(t)
	prefix := newPrefix()
	s := redis.New(client, prefix)
	ctx := t.Context()
	// A list where the store expects a string: GET and GETDEL answer WRONGTYPE.
	if err := client.RPush(ctx, prefix+"list", "x").Err(); err != nil {
		t.Fatalf("RPUSH: %v", err)
	}
	t.Cleanup(func() {
		if err := client.Del(context.Background(), prefix+"list").Err(); err != nil {
			t.Errorf("DEL in cleanup: %v", err)
		}
	})
	for name, get := range map[string]func(context.Context, string) ([]byte, error){"Get": s.Get, "Take": s.Take} {
		_, err := get(ctx, "list")
		var redisErr goredis.Error
		if !errors.Is(err, authenticator.ErrUnavailable) || !errors.As(err, &redisErr) {
			t.Errorf("%s of a list: got %v, want ErrUnavailable wrapping a redis.Error", name, err)
		}
	}
	// The script passes WRONGTYPE on: a list is not a value the caller put.
	n, err := s.Incr(ctx, "list", time.Minute)
	var redisErr goredis.Error
	if !errors.Is(err, authenticator.ErrUnavailable) || !errors.As(err, &redisErr) {
		t.Errorf("Incr of a list: got %d, %v, want ErrUnavailable wrapping a redis.Error", n, err)
	}
	if got, err := client.LRange(ctx, prefix+"list", 0, -1).Result(); err != nil || len(got) != 1 || got[0] != "x" {
		t.Errorf("LRANGE after Incr: got %q, %v, want [x], nil", got, err)
	}
}

// pttl returns the time to live of key, which must have one.
func pttl(t *testing.T, client goredis.UniversalClient, key string) time.Duration {
	t.Helper()
	got, err := client.PTTL(t.Context(), key).Result()
	if err != nil {
		t.Fatalf("PTTL: %v", err)
	}
	if got < 0 {
		t.Fatalf("PTTL: got %v, want an expiry", got)
	}
	return got
}

func TestIncrSetsTheWindowOnce(t *testing.T) {
	t.Parallel()
	client := testenv.Redis(t)
	prefix := newPrefix()
	s := redis.New(client, prefix)
	ctx := t.Context()
	t.Cleanup(func() {
		if err := s.Delete(context.Background(), "k"); err != nil {
			t.Errorf("Delete in cleanup: %v", err)
		}
	})
	const window = 1500 * time.Millisecond
	if n, err := s.Incr(ctx, "k", window); err != nil || n != 1 {
		t.Fatalf("first Incr: got %d, %v, want 1, nil", n, err)
	}
	if got := pttl(t, client, prefix+"k"); got <= window-time.Second || got > window {
		t.Fatalf("PTTL after the first Incr with window %v: got %v, want within a second below it", window, got)
	}
	for want := int64(2); want <= 3; want++ {
		if n, err := s.Incr(ctx, "k", authenticator.MaxTTL); err != nil || n != want {
			t.Fatalf("Incr: got %d, %v, want %d, nil", n, err, want)
		}
		if got := pttl(t, client, prefix+"k"); got > window {
			t.Fatalf("PTTL after a later Incr with window %v: got %v, want at most the first window %v", authenticator.MaxTTL, got, window)
		}
	}
}

// TestIncrGivesAPersistentCounterAWindow covers a counter without an expiry,
// which no Store writes but another client might: Incr gives it the window
// rather than count on forever.
func TestIncrGivesAPersistentCounterAWindow(t *testing.T) {
	t.Parallel()
	client := testenv.Redis(t)
	prefix := newPrefix()
	s := redis.New(client, prefix)
	ctx := t.Context()
	if err := client.Set(ctx, prefix+"k", "5", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Delete(context.Background(), "k"); err != nil {
			t.Errorf("Delete in cleanup: %v", err)
		}
	})
	if n, err := s.Incr(ctx, "k", time.Minute); err != nil || n != 6 {
		t.Fatalf("Incr: got %d, %v, want 6, nil", n, err)
	}
	if got := pttl(t, client, prefix+"k"); got <= time.Minute-time.Second || got > time.Minute {
		t.Fatalf("PTTL after Incr with window %v: got %v, want within a second below it", time.Minute, got)
	}
}

func TestCanceledContextIsUnavailable(t *testing.T) {
	t.Parallel()
	s := redis.New(testenv.Redis(t), newPrefix())
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for name, op := range ops(s) {
		err := op(ctx)
		if !errors.Is(err, authenticator.ErrUnavailable) || !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: got %v, want ErrUnavailable wrapping context.Canceled", name, err)
		}
	}
}
