package plugin_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/plugin"
)

// testPlugin is the path of the binary built from ./internal/testplugin.
var testPlugin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "plugin-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "TestMain:", err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }()
	testPlugin = filepath.Join(dir, "testplugin")
	build := exec.Command("go", "build", "-o", testPlugin, "./internal/testplugin")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "TestMain: go build ./internal/testplugin: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// recorder is an slog.Handler that keeps the records it handles, so a test
// can wait for a line the plugin logged.
type recorder struct {
	slog.Handler
	mu      sync.Mutex
	records []slog.Record
	changed chan struct{} // closed and replaced on every record
}

func newRecorder(t *testing.T) *recorder {
	return &recorder{
		Handler: slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}),
		changed: make(chan struct{}),
	}
}

func (r *recorder) Handle(ctx context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.records = append(r.records, rec.Clone())
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	return r.Handler.Handle(ctx, rec)
}

// wait returns the first record with message msg, waiting up to 10s for it.
func (r *recorder) wait(t *testing.T, msg string) slog.Record {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		for _, rec := range r.records {
			if rec.Message == msg {
				r.mu.Unlock()
				return rec
			}
		}
		changed := r.changed
		r.mu.Unlock()
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("log: got no %q line in 10s, want one", msg)
		}
	}
}

func launch(t *testing.T, cfg plugin.LaunchConfig) (*plugin.Host, *recorder) {
	t.Helper()
	rec := newRecorder(t)
	cfg.Path, cfg.Logger = testPlugin, slog.New(rec)
	// The plugin's socket goes to TMPDIR, and a killed plugin leaves it behind.
	cfg.Env = append(cfg.Env, "TMPDIR="+t.TempDir())
	h, err := plugin.Launch(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Launch: got error %v, want nil", err)
	}
	t.Cleanup(h.Close)
	return h, rec
}

var wantCapabilities = authenticator.Capabilities{Levels: acr.DefaultLevels(), ReachableACR: []string{acr.RoutineACR}, RPID: "test.example"}

func checkCapabilities(t *testing.T, h *plugin.Host) {
	t.Helper()
	got, err := h.Capabilities(t.Context())
	if err != nil {
		t.Fatalf("Capabilities: got error %v, want nil", err)
	}
	if diff := cmp.Diff(wantCapabilities, got); diff != "" {
		t.Errorf("Capabilities mismatch (-want +got):\n%s", diff)
	}
}

// alive reports whether the process pid exists (signal 0 checks without
// sending anything).
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	return err == nil && p.Signal(syscall.Signal(0)) == nil
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestLaunch(t *testing.T) {
	t.Parallel()
	h, rec := launch(t, plugin.LaunchConfig{})
	checkCapabilities(t, h)
	// An Admin method crosses the real process boundary too.
	stats, err := h.DeliveryStats(t.Context())
	if err != nil {
		t.Fatalf("DeliveryStats: got error %v, want nil", err)
	}
	wantStats := authenticator.DeliveryStats{Pending: 2, Dead: 1, OldestPendingAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if diff := cmp.Diff(wantStats, stats); diff != "" {
		t.Errorf("DeliveryStats mismatch (-want +got):\n%s", diff)
	}
	counts, err := h.CountUsersByStatus(t.Context())
	if err != nil {
		t.Fatalf("CountUsersByStatus: got error %v, want nil", err)
	}
	if diff := cmp.Diff(map[authenticator.UserStatus]int{authenticator.UserEnrolled: 1}, counts); diff != "" {
		t.Errorf("CountUsersByStatus mismatch (-want +got):\n%s", diff)
	}
	if v := h.ProtocolVersion(); v != 1 {
		t.Errorf("ProtocolVersion: got %d, want 1", v)
	}
	// The plugin's own log line arrives at its level, with its attributes.
	line := rec.wait(t, "test plugin starting")
	var pid any
	line.Attrs(func(a slog.Attr) bool {
		if a.Key == "pid" {
			pid = a.Value.Any()
		}
		return true
	})
	if line.Level != slog.LevelInfo || fmt.Sprint(pid) != fmt.Sprint(h.PID()) {
		t.Errorf("plugin log line: got level %v pid %v, want INFO pid %d", line.Level, pid, h.PID())
	}
}

func TestLaunchPinned(t *testing.T) {
	t.Parallel()
	h, _ := launch(t, plugin.LaunchConfig{SHA256: strings.ToUpper(fileSHA256(t, testPlugin))})
	checkCapabilities(t, h)
}

func TestLaunchWrongPin(t *testing.T) {
	t.Parallel()
	wrong := sha256.Sum256([]byte("not the plugin"))
	h, err := plugin.Launch(t.Context(), plugin.LaunchConfig{
		Path: testPlugin, SHA256: hex.EncodeToString(wrong[:]), Logger: slog.New(newRecorder(t)),
	})
	if err == nil {
		h.Close()
		t.Fatal("Launch: got nil error, want a checksum mismatch")
	}
	if !errors.Is(err, plugin.ErrChecksumMismatch) {
		t.Errorf("errors.Is(%v, ErrChecksumMismatch): got false, want true", err)
	}
	for _, sum := range []string{hex.EncodeToString(wrong[:]), fileSHA256(t, testPlugin)} {
		if !strings.Contains(err.Error(), sum) {
			t.Errorf("error: got %q, want it to name %s", err, sum)
		}
	}
}

func TestLaunchInvalidConfig(t *testing.T) {
	t.Parallel()
	_, err := plugin.Launch(t.Context(), plugin.LaunchConfig{SHA256: "abc", StartTimeout: -time.Second})
	if !errors.Is(err, plugin.ErrInvalidConfig) {
		t.Errorf("errors.Is(%v, ErrInvalidConfig): got false, want true", err)
	}
	for _, field := range []string{"Path", "SHA256", "StartTimeout"} {
		if err == nil || !strings.Contains(err.Error(), field+":") {
			t.Errorf("error: got %v, want a problem with %s", err, field)
		}
	}
}

func TestLaunchMissingBinary(t *testing.T) {
	t.Parallel()
	_, err := plugin.Launch(t.Context(), plugin.LaunchConfig{Path: filepath.Join(t.TempDir(), "absent"), Logger: slog.New(newRecorder(t))})
	if err == nil || !strings.Contains(err.Error(), "absent") {
		t.Fatalf("Launch: got error %v, want one naming the binary", err)
	}
}

func TestCrashFailsInFlightCallAndRelaunches(t *testing.T) {
	t.Parallel()
	h, rec := launch(t, plugin.LaunchConfig{})
	oldPID := h.PID()

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := h.FinishAuthentication(ctx, authenticator.FinishRequest{CeremonyID: "block"})
		done <- err
	}()
	rec.wait(t, "finish authentication blocked")
	p, err := os.FindProcess(oldPID)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Kill(); err != nil {
		t.Fatalf("kill plugin %d: %v", oldPID, err)
	}
	killed := time.Now()
	select {
	case err := <-done:
		if !errors.Is(err, authenticator.ErrUnavailable) {
			t.Errorf("in-flight call: errors.Is(%v, ErrUnavailable): got false, want true", err)
		}
		t.Logf("in-flight call failed %v after the kill: %v", time.Since(killed), err)
	case <-time.After(5 * time.Second):
		t.Fatal("in-flight call: still running 5s after the plugin was killed, want ErrUnavailable")
	}

	checkCapabilities(t, h)
	if newPID := h.PID(); newPID == oldPID || newPID == 0 {
		t.Errorf("pid after relaunch: got %d, want a new process (old %d)", newPID, oldPID)
	}
	if g := h.Generation(); g != 2 {
		t.Errorf("generation: got %d, want 2", g)
	}
}

func TestConcurrentCallersShareOneRelaunch(t *testing.T) {
	t.Parallel()
	h, _ := launch(t, plugin.LaunchConfig{})
	p, err := os.FindProcess(h.PID())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := h.Capabilities(t.Context())
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		// Calls that reached the dead process, or held its connection while
		// another caller retired it, fail as unavailable; the rest use the
		// new one.
		if err != nil && !errors.Is(err, authenticator.ErrUnavailable) {
			t.Errorf("concurrent call: got %v, want nil or ErrUnavailable", err)
		}
	}
	checkCapabilities(t, h)
	if g := h.Generation(); g != 2 {
		t.Errorf("generation: got %d, want 2 (one relaunch)", g)
	}
}

func TestCloseKillsPlugin(t *testing.T) {
	t.Parallel()
	h, _ := launch(t, plugin.LaunchConfig{})
	pid := h.PID()
	if !alive(pid) {
		t.Fatalf("plugin %d: got not running before Close, want running", pid)
	}
	h.Close()
	if alive(pid) {
		t.Errorf("plugin %d: got running after Close, want gone", pid)
	}
	_, err := h.Capabilities(t.Context())
	if !errors.Is(err, plugin.ErrClosed) || !errors.Is(err, authenticator.ErrUnavailable) {
		t.Errorf("call after Close: got %v, want ErrClosed as ErrUnavailable", err)
	}
	if v := h.ProtocolVersion(); v != 0 {
		t.Errorf("ProtocolVersion after Close: got %d, want 0", v)
	}
	h.Close() // idempotent
}
