package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisStartTimeout bounds how long a Redis server may take to answer PING.
const redisStartTimeout = 10 * time.Second

// errRedisExited reports a redis-server that stopped before it answered PING,
// most often because another process took its port first.
var errRedisExited = errors.New("redis-server exited before answering PING")

// Redis returns a client of a Redis server for this test (see RedisAddr),
// closed when the test ends. On a server from REDIS_ADDR other tests keep
// their own keys: use a random key prefix and never flush.
func Redis(t testing.TB) *redis.Client {
	t.Helper()
	client := redis.NewClient(&redis.Options{Addr: RedisAddr(t)})
	t.Cleanup(func() {
		if err := client.Close(); err != nil {
			t.Errorf("close the Redis client: %v", err)
		}
	})
	return client
}

// RedisAddr returns the address of a Redis server that answers PING: the one
// in REDIS_ADDR when set, otherwise a throwaway redis-server from PATH on a
// free loopback port, without persistence, stopped when the test ends. When
// there is neither, the test goes through Require.
func RedisAddr(t testing.TB) string {
	t.Helper()
	if addr := os.Getenv("REDIS_ADDR"); addr != "" {
		ctx, cancel := context.WithTimeout(t.Context(), redisStartTimeout)
		defer cancel()
		if err := waitForRedis(ctx, addr, nil); err != nil {
			t.Fatalf("REDIS_ADDR=%s: %v", addr, err)
		}
		return addr
	}
	path, err := exec.LookPath("redis-server")
	if err != nil {
		err = fmt.Errorf("install it (apt-get install redis-server) or set REDIS_ADDR=host:port: %w", err)
	}
	Require(t, "redis-server", err)
	return startRedis(t, path)
}

// startRedis runs the redis-server at path on a free loopback port and
// returns its address once it answers PING. The server is killed, and waited
// for, when the test ends. A server that exits early, as when its port was
// taken in the meantime, is retried on another port.
func startRedis(t testing.TB, path string) string {
	t.Helper()
	const attempts = 3
	var err error
	for range attempts {
		var addr string
		addr, err = tryStartRedis(t, path)
		if err == nil {
			return addr
		}
		if !errors.Is(err, errRedisExited) {
			break
		}
	}
	t.Fatalf("start %s: %v", path, err)
	return ""
}

// tryStartRedis makes one attempt of startRedis.
func tryStartRedis(t testing.TB, path string) (string, error) {
	port := strconv.Itoa(FreePort(t))
	cmd := exec.Command(path,
		"--bind", "127.0.0.1", "--port", port,
		"--save", "", "--appendonly", "no",
		"--dir", t.TempDir(), "--loglevel", "warning")
	var out bytes.Buffer // read only once the process has exited
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		// Kill fails only when the process is already gone, which is fine.
		_ = cmd.Process.Kill()
		<-exited
	}

	ctx, cancel := context.WithTimeout(t.Context(), redisStartTimeout)
	defer cancel()
	addr := net.JoinHostPort("127.0.0.1", port)
	if err := waitForRedis(ctx, addr, exited); err != nil {
		stop()
		return "", fmt.Errorf("%w (exit: %v); its output:\n%s", err, waitErr, out.Bytes())
	}
	t.Cleanup(stop)
	return addr, nil
}

// waitForRedis polls addr with PING until it answers, ctx ends, or exited is
// closed (a nil exited never is).
func waitForRedis(ctx context.Context, addr string, exited <-chan struct{}) error {
	client := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	defer func() { _ = client.Close() }() // a probe: nothing to report
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		err := client.Ping(ctx).Err()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return errRedisExited
		case <-ctx.Done():
			return fmt.Errorf("no answer to PING: %w", err)
		case <-tick.C:
		}
	}
}
