package app

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// metricsConfig is the embedded default with the authenticator in-process
// over a temporary SQLite file, every listener on a free port.
func metricsConfig(t *testing.T, metricsListen string) Config {
	t.Helper()
	cfg := Defaults()
	cfg.Authenticator.Store.DSN = filepath.Join(t.TempDir(), "passkey.db")
	cfg.Host.Listen = "127.0.0.1:0"
	cfg.Host.MetricsListen = metricsListen
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	r, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Body.Close() }()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return r.StatusCode, string(b)
}

// TestProviderServesMetrics starts a provider with host.metrics_listen,
// makes requests and a plugin call, and scrapes /metrics over HTTP: each
// request is counted under its route (never its raw path), the call under
// its method, the webhook outbox's health is read from the plugin, the Go
// and process collectors are there, and /metrics is served only on the
// metrics listener, which Close stops.
func TestProviderServesMetrics(t *testing.T) {
	t.Parallel()
	p, err := StartProvider(t.Context(), metricsConfig(t, "127.0.0.1:0"), "", slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			_ = p.Close()
		}
	})
	addr := p.MetricsAddr()
	if addr == nil {
		t.Fatal("MetricsAddr: got nil, want the metrics listener")
	}
	provider, scrapeURL := "http://"+p.Addr().String(), "http://"+addr.String()+"/metrics"

	for _, req := range []struct {
		path string
		want int
	}{
		{"/healthz", http.StatusOK},
		{"/api/v1/approvals/SECRET-ID", http.StatusUnauthorized},
		{"/SECRET-PAGE", http.StatusNotFound},
		{"/metrics", http.StatusNotFound}, // not on the public listener
	} {
		if got, _ := get(t, provider+req.path); got != req.want {
			t.Errorf("GET %s: got %d, want %d", req.path, got, req.want)
		}
	}
	if _, err := p.Admin().ListUsers(t.Context(), authenticator.UserQuery{}); err != nil {
		t.Fatal(err)
	}

	status, text := get(t, scrapeURL)
	if status != http.StatusOK {
		t.Fatalf("GET %s: got %d, want 200:\n%s", scrapeURL, status, text)
	}
	for _, want := range []string{
		`bp_http_requests_total{code="200",handler="/healthz",method="GET"} 1`,
		`bp_http_requests_total{code="401",handler="/api/v1/approvals/{id}",method="GET"} 1`,
		`bp_http_requests_total{code="404",handler="other",method="GET"} 2`,
		`bp_http_request_duration_seconds_count{handler="/healthz",method="GET"} 1`,
		`bp_plugin_calls_total{code="ok",method="ListUsers"} 1`,
		`bp_plugin_call_duration_seconds_count{method="ListUsers"} 1`,
		// The webhook outbox's health, read from the plugin at this scrape:
		// an empty outbox.
		"\nbp_webhook_stats_up 1\n",
		"\nbp_webhook_deliveries_pending 0\n",
		"\nbp_webhook_deliveries_dead 0\n",
		"\nbp_webhook_oldest_pending_age_seconds 0\n",
		"go_goroutines ",
		"process_start_time_seconds ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the exposition lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "SECRET") {
		t.Errorf("the exposition carries part of a raw URL path:\n%s", text)
	}
	if got, _ := get(t, "http://"+addr.String()+"/healthz"); got != http.StatusNotFound {
		t.Errorf("GET /healthz on the metrics listener: got %d, want 404 (it serves /metrics only)", got)
	}

	closed = true
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", addr.String(), time.Second); err == nil {
		_ = c.Close()
		t.Errorf("metrics still listening on %s after Close", addr)
	}
}

// TestProviderWithoutMetricsListenServesNone: host.metrics_listen empty
// (the default) starts no metrics listener.
func TestProviderWithoutMetricsListenServesNone(t *testing.T) {
	t.Parallel()
	p, err := StartProvider(t.Context(), metricsConfig(t, ""), "", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.Close() }()
	if addr := p.MetricsAddr(); addr != nil {
		t.Errorf("MetricsAddr: got %s, want nil", addr)
	}
}

// TestMetricsListenerRefusesABadAddress: an address the metrics listener
// cannot take stops the start with an error naming the key, and leaves
// nothing running.
func TestMetricsListenerRefusesABadAddress(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = taken.Close() }()
	p, err := StartProvider(t.Context(), metricsConfig(t, taken.Addr().String()), "", slog.New(slog.DiscardHandler))
	if err == nil {
		_ = p.Close()
		t.Fatalf("StartProvider with host.metrics_listen %s already taken: got no error", taken.Addr())
	}
	if !strings.Contains(err.Error(), "host.metrics_listen") || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("got error %q, want one naming host.metrics_listen and the address in use", err)
	}
}

func TestValidateMetricsListen(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		listen  string
		wantErr bool
	}{
		"off by default":          {listen: ""},
		"a local port":            {listen: "127.0.0.1:9464"},
		"all interfaces":          {listen: ":9464"},
		"a free port":             {listen: "127.0.0.1:0"},
		"no port":                 {listen: "127.0.0.1", wantErr: true},
		"a URL":                   {listen: "http://127.0.0.1:9464", wantErr: true},
		"the provider's listener": {listen: "127.0.0.1:8081", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := Defaults()
			cfg.Host.MetricsListen = tc.listen
			err := cfg.Validate()
			if gotErr := err != nil; gotErr != tc.wantErr {
				t.Fatalf("host.metrics_listen %q: got error %v, want error %t", tc.listen, err, tc.wantErr)
			}
			if err != nil && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "host.metrics_listen")) {
				t.Errorf("got error %q, want ErrInvalid naming host.metrics_listen", err)
			}
		})
	}
}

func TestMetricsListenFromTheEnvironment(t *testing.T) {
	t.Parallel()
	cfg, err := Load("", []string{"BP_HOST_METRICS_LISTEN=127.0.0.1:9464"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.Host.MetricsListen, "127.0.0.1:9464"; got != want {
		t.Errorf("host.metrics_listen: got %q, want %q", got, want)
	}
	if got := Defaults().Host.MetricsListen; got != "" {
		t.Errorf("default host.metrics_listen: got %q, want \"\" (off)", got)
	}
}
