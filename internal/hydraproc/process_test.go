package hydraproc_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/internal/hydraproc"
	"github.com/biometric-passkey/biometric-passkey/internal/testenv"
)

// The test binary doubles as a fake Hydra: with HYDRAPROC_FAKE set it acts
// out one behaviour instead of running the tests, so Start and Stop are
// tested without the real binary.
const fakeEnv = "HYDRAPROC_FAKE"

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeEnv); mode != "" {
		os.Exit(fakeHydra(mode))
	}
	os.Exit(m.Run())
}

func fakeHydra(mode string) int {
	if log := os.Getenv("HYDRAPROC_FAKE_LOG"); log != "" {
		f, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err == nil {
			fmt.Fprintln(f, strings.Join(os.Args[1:], " "))
			f.Close()
		}
	}
	switch mode {
	case "crash":
		fmt.Fprintln(os.Stderr, "level=fatal msg=\"config is broken\"")
		return 3
	case "inuse":
		fmt.Fprintln(os.Stderr, "listen tcp 127.0.0.1:1: bind: address already in use")
		return 1
	case "hang":
		time.Sleep(time.Minute)
		return 0
	case "ready", "stubborn":
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM)
		mux := http.NewServeMux()
		mux.HandleFunc("GET /health/ready", func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprint(w, `{"status":"ok"}`)
		})
		mux.HandleFunc("GET /env", func(w http.ResponseWriter, _ *http.Request) {
			_ = json.NewEncoder(w).Encode(os.Environ())
		})
		addr := net.JoinHostPort(os.Getenv("SERVE_ADMIN_HOST"), os.Getenv("SERVE_ADMIN_PORT"))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		go func() { _ = http.Serve(l, mux) }()
		for range sigs {
			if mode == "ready" {
				return 0
			}
			fmt.Fprintln(os.Stderr, "ignoring SIGTERM")
		}
		return 0
	default:
		fmt.Fprintf(os.Stderr, "unknown fake mode %q\n", mode)
		return 2
	}
}

// fakeOptions returns options that run this test binary as a fake Hydra.
func fakeOptions(t *testing.T, mode string) hydraproc.Options {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("os.Executable: %v", err)
	}
	return hydraproc.Options{
		Bin:          exe,
		ExtraEnv:     []string{fakeEnv + "=" + mode},
		StartTimeout: 5 * time.Second,
	}
}

func TestStartPassesEnvironment(t *testing.T) {
	// Not parallel: it sets a variable in this process's environment to
	// check that Hydra does not inherit it.
	t.Setenv("OAUTH2_PKCE_ENFORCED", "true")
	opts := fakeOptions(t, "ready")
	opts.LoginURL = "http://127.0.0.1:1/login"
	opts.ConsentURL = "http://127.0.0.1:1/consent"
	opts.TTL.AccessToken = 90 * time.Second
	opts.TTL.AuthCode = 1500 * time.Millisecond
	opts.ExtraEnv = append(opts.ExtraEnv, "LOG_LEVEL=debug")
	h, err := hydraproc.Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer stop(t, h)

	resp, err := http.Get(h.AdminURL() + "/env")
	if err != nil {
		t.Fatalf("GET /env: %v", err)
	}
	defer resp.Body.Close()
	var list []string
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatalf("decode /env: %v", err)
	}
	env := map[string]string{}
	for _, kv := range list {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	want := map[string]string{
		"DSN":                             "memory",
		"LOG_LEVEL":                       "debug", // ExtraEnv wins over Start's warn
		"OAUTH2_EXPOSE_INTERNAL_ERRORS":   "true",
		"OAUTH2_ALLOWED_TOP_LEVEL_CLAIMS": "acr,auth_time,authorization_details,authorization_details_hash,approval_id",
		"URLS_SELF_ISSUER":                h.PublicURL(),
		"URLS_LOGIN":                      "http://127.0.0.1:1/login",
		"URLS_CONSENT":                    "http://127.0.0.1:1/consent",
		"SERVE_PUBLIC_HOST":               "127.0.0.1",
		"SERVE_ADMIN_HOST":                "127.0.0.1",
		"TTL_ACCESS_TOKEN":                "90s",
		"TTL_AUTH_CODE":                   "1500ms",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("hydra env %s: got %q, want %q", k, env[k], v)
		}
	}
	for _, k := range []string{"OAUTH2_PKCE_ENFORCED", "URLS_LOGOUT", "TTL_ID_TOKEN"} {
		if v, ok := env[k]; ok {
			t.Errorf("hydra env %s: got %q, want unset", k, v)
		}
	}
	if got := len(env["SECRETS_SYSTEM"]); got < 16 {
		t.Errorf("SECRETS_SYSTEM length: got %d, want >= 16", got)
	}
	if got, want := h.AdminURL(), "http://127.0.0.1:"+env["SERVE_ADMIN_PORT"]; got != want {
		t.Errorf("AdminURL: got %s, want %s", got, want)
	}
	if env["SERVE_ADMIN_PORT"] == env["SERVE_PUBLIC_PORT"] {
		t.Errorf("admin and public port are both %s, want two ports", env["SERVE_ADMIN_PORT"])
	}
}

func stop(t *testing.T, h *hydraproc.Hydra) {
	t.Helper()
	if err := h.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

func TestStartReportsEarlyExit(t *testing.T) {
	t.Parallel()
	_, err := hydraproc.Start(t.Context(), fakeOptions(t, "crash"))
	if err == nil {
		t.Fatal("Start: got nil error, want one")
	}
	for _, want := range []string{"exited before it was ready", "exit status 3", "config is broken"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Start error: got %q, want it to contain %q", err, want)
		}
	}
}

func TestStartRetriesAddressInUse(t *testing.T) {
	t.Parallel()
	log := filepath.Join(t.TempDir(), "starts")
	opts := fakeOptions(t, "inuse")
	opts.ExtraEnv = append(opts.ExtraEnv, "HYDRAPROC_FAKE_LOG="+log)
	_, err := hydraproc.Start(t.Context(), opts)
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("Start: got error %v, want one about the address in use", err)
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatalf("read start log: %v", err)
	}
	if got, want := strings.Count(string(b), "serve all --dev --sqa-opt-out\n"), 3; got != want {
		t.Errorf("starts: got %d, want %d (log %q)", got, want, b)
	}

	// With fixed ports there is nothing to retry.
	if err := os.Remove(log); err != nil {
		t.Fatal(err)
	}
	opts.PublicPort, opts.AdminPort = testenv.FreePort(t), testenv.FreePort(t)
	if _, err := hydraproc.Start(t.Context(), opts); err == nil {
		t.Fatal("Start with fixed ports: got nil error, want one")
	}
	b, _ = os.ReadFile(log)
	if got, want := strings.Count(string(b), "\n"), 1; got != want {
		t.Errorf("starts with fixed ports: got %d, want %d", got, want)
	}
}

func TestStartTimesOut(t *testing.T) {
	t.Parallel()
	opts := fakeOptions(t, "hang")
	opts.StartTimeout = 300 * time.Millisecond
	start := time.Now()
	_, err := hydraproc.Start(t.Context(), opts)
	if err == nil || !strings.Contains(err.Error(), "not ready after 300ms") {
		t.Fatalf("Start: got error %v, want a readiness timeout", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Start took %v, want about 300ms", took)
	}
}

func TestStartHonoursContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err := hydraproc.Start(ctx, fakeOptions(t, "hang"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Start: got error %v, want context.DeadlineExceeded", err)
	}
}

func TestStopKillsAfterGrace(t *testing.T) {
	t.Parallel()
	opts := fakeOptions(t, "stubborn")
	opts.StopGrace = 300 * time.Millisecond
	h, err := hydraproc.Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	err = h.Stop()
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Stop: got %v, want an error saying it was killed", err)
	}
	select {
	case <-h.Exited():
	default:
		t.Error("Exited not closed after Stop")
	}
	if err2 := h.Stop(); err2 != err {
		t.Errorf("second Stop: got %v, want the first result %v", err2, err)
	}
}

func TestStopReportsCrash(t *testing.T) {
	t.Parallel()
	h, err := hydraproc.Start(t.Context(), fakeOptions(t, "ready"))
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := syscall.Kill(h.PID(), syscall.SIGKILL); err != nil {
		t.Fatalf("kill: %v", err)
	}
	<-h.Exited()
	if err := h.Stop(); err == nil || !strings.Contains(err.Error(), "exited before Stop") {
		t.Errorf("Stop after crash: got %v, want an error saying hydra had exited", err)
	}
}

func TestStartMissingBinary(t *testing.T) {
	t.Parallel()
	_, err := hydraproc.Start(t.Context(), hydraproc.Options{Bin: filepath.Join(t.TempDir(), "hydra")})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Start: got %v, want fs.ErrNotExist", err)
	}
}

func TestBinary(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "hydra")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	t.Setenv(hydraproc.EnvBin, exe)
	if got, err := hydraproc.Binary(); err != nil || got != exe {
		t.Errorf("Binary with %s=%s: got %q, %v; want %q, nil", hydraproc.EnvBin, exe, got, err, exe)
	}
	t.Setenv(hydraproc.EnvBin, filepath.Join(dir, "missing"))
	if _, err := hydraproc.Binary(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Binary with a missing %s: got %v, want fs.ErrNotExist", hydraproc.EnvBin, err)
	}
	t.Setenv(hydraproc.EnvBin, plain)
	if _, err := hydraproc.Binary(); err == nil {
		t.Errorf("Binary with a non-executable %s: got nil error, want one", hydraproc.EnvBin)
	}

	t.Setenv(hydraproc.EnvBin, "")
	root, err := hydraproc.RepoRoot()
	if err != nil {
		t.Fatalf("RepoRoot: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "internal", "hydraproc", "doc.go")); err != nil {
		t.Errorf("RepoRoot: got %s, which does not hold this package: %v", root, err)
	}
	got, err := hydraproc.Binary()
	want := filepath.Join(root, ".bin", "hydra")
	switch {
	case err == nil && got != want:
		t.Errorf("Binary: got %s, want %s", got, want)
	case err != nil && (!errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "make hydra")):
		t.Errorf("Binary without the binary: got %v, want fs.ErrNotExist and a hint to run make hydra", err)
	}
}
