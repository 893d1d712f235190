package testenv

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// recorder is a testing.TB that records Skipf and Fatalf instead of ending
// the test, so Require's decision can be checked in CI too.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Skipf(format string, args ...any)  { r.skipped = fmt.Sprintf(format, args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }

func TestRequire(t *testing.T) {
	missing := errors.New("not on PATH; apt-get install redis-server")
	tests := map[string]struct {
		ci        string
		err       error
		wantSkip  string
		wantFatal string
	}{
		"present, local":          {ci: "", err: nil},
		"present, CI":             {ci: "true", err: nil},
		"missing, local":          {ci: "", err: missing, wantSkip: "redis-server is not available: not on PATH; apt-get install redis-server (with CI=true this is a failure)"},
		"missing, CI=false":       {ci: "false", err: missing, wantSkip: "redis-server is not available: not on PATH; apt-get install redis-server (with CI=true this is a failure)"},
		"missing, CI=1 is not CI": {ci: "1", err: missing, wantSkip: "redis-server is not available: not on PATH; apt-get install redis-server (with CI=true this is a failure)"},
		"missing, CI":             {ci: "true", err: missing, wantFatal: "redis-server is required in CI: not on PATH; apt-get install redis-server"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			r := &recorder{TB: t}
			Require(r, "redis-server", tc.err)
			if r.skipped != tc.wantSkip {
				t.Errorf("skip message: got %q, want %q", r.skipped, tc.wantSkip)
			}
			if r.failed != tc.wantFatal {
				t.Errorf("failure message: got %q, want %q", r.failed, tc.wantFatal)
			}
		})
	}
}

func TestFreePort(t *testing.T) {
	t.Parallel()
	// FreePort's port is free when it returns; another package's test may
	// take it before this one listens, so a taken port is retried, and three
	// taken in a row fail.
	var err error
	for range 3 {
		port := FreePort(t)
		if port <= 0 || port > 65535 {
			t.Fatalf("port: got %d, want 1..65535", port)
		}
		var l net.Listener
		if l, err = net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("listen on the free port: %v", err)
}

// fakeExecutable writes an executable file named name into a new directory
// and returns its path.
func fakeExecutable(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestChromium(t *testing.T) {
	headless := fakeExecutable(t, "chromium-headless-shell")
	chrome := fakeExecutable(t, "google-chrome")
	override := fakeExecutable(t, "my-browser")
	empty := t.TempDir()
	tests := map[string]struct {
		path, bin string
		want      string
		wantErr   error
	}{
		"first name in order wins": {path: filepath.Dir(chrome) + string(os.PathListSeparator) + filepath.Dir(headless), want: headless},
		"google-chrome":            {path: filepath.Dir(chrome), want: chrome},
		"CHROMIUM_BIN overrides":   {path: filepath.Dir(headless), bin: override, want: override},
		"CHROMIUM_BIN not found":   {path: filepath.Dir(headless), bin: filepath.Join(empty, "nope"), wantErr: os.ErrNotExist},
		"nothing on PATH":          {path: empty, wantErr: exec.ErrNotFound},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Setenv("PATH", tc.path)
			t.Setenv("CHROMIUM_BIN", tc.bin)
			got, err := Chromium()
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Chromium() error: got %v, want one that wraps %v", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Chromium(): got %q, %v, want %q, nil", got, err, tc.want)
			}
		})
	}
}

func TestRedis(t *testing.T) {
	t.Parallel()
	client := Redis(t)
	key := "testenv:" + t.Name() + ":" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if err := client.Set(t.Context(), key, "v", time.Minute).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	got, err := client.GetDel(t.Context(), key).Result()
	if err != nil || got != "v" {
		t.Fatalf("GETDEL: got %q, %v, want %q, nil", got, err, "v")
	}
}

// TestStartRedisStops checks that the redis-server startRedis runs is gone
// once its test has ended.
func TestStartRedisStops(t *testing.T) {
	t.Parallel()
	path, err := exec.LookPath("redis-server")
	Require(t, "redis-server", err)
	var addr string
	t.Run("run", func(t *testing.T) {
		addr = startRedis(t, path)
	})
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		_ = conn.Close()
		t.Fatalf("dial %s after the test ended: got a connection, want the server gone", addr)
	}
}
