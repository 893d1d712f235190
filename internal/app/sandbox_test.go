package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/sandbox"
	"github.com/biometric-passkey/biometric-passkey/internal/softauthn"
)

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port) //nolint:forcetypeassert // a tcp listener's address
}

// sandboxConfig is the development default with the sandbox on a free
// port, its webhook secret left empty (generated at start).
func sandboxConfig(t *testing.T) Config {
	t.Helper()
	port := freePort(t)
	cfg := Defaults()
	cfg.Authenticator.Store.DSN = filepath.Join(t.TempDir(), "passkey.db")
	cfg.Authenticator.IDV.Provider = IDVProviderSandbox
	cfg.Authenticator.IDV.ReferenceKey = Secret(testReferenceKey)
	cfg.Authenticator.IDV.Sandbox.Listen = "127.0.0.1:" + port
	cfg.Authenticator.IDV.Sandbox.PublicURL = "http://127.0.0.1:" + port + "/sandbox/idv"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// TestStartAuthenticatorServesSandbox runs an enrollment's identity check
// through the sandbox served by StartAuthenticator, as a browser would, and
// sees the outcome land through Notify, without any polling.
func TestStartAuthenticatorServesSandbox(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var logs syncBuffer
	cfg := sandboxConfig(t)
	a, err := StartAuthenticator(ctx, cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			_ = a.Close()
		}
	})
	if got, want := a.SandboxAddr().String(), cfg.Authenticator.IDV.Sandbox.Listen; got != want {
		t.Errorf("got sandbox address %s, want %s", got, want)
	}
	if !strings.Contains(logs.String(), "webhook_secret is empty: generated a random one") {
		t.Errorf("log does not say the webhook secret was generated:\n%s", logs.String())
	}

	// A passkey registration; the enrollment's check starts with it.
	svc := a.Service
	enr, err := svc.CreateEnrollment(ctx, authenticator.CreateEnrollmentRequest{ExternalUserID: "cust-1", ClientID: "bank"})
	if err != nil {
		t.Fatal(err)
	}
	cer, err := svc.BeginRegistration(ctx, authenticator.BeginRegistrationRequest{EnrollmentToken: enr.Token})
	if err != nil {
		t.Fatal(err)
	}
	soft, err := softauthn.New(softauthn.Options{RPID: cfg.Authenticator.RPID, Origin: cfg.Authenticator.RPOrigins[0]})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := soft.Register(cer.Options)
	if err != nil {
		t.Fatal(err)
	}
	const returnURL = "http://localhost:8081/identity/progress"
	reg, err := svc.FinishRegistration(ctx, authenticator.FinishRequest{CeremonyID: cer.ID, Response: resp, ReturnURL: returnURL})
	if err != nil {
		t.Fatal(err)
	}
	if reg.Pending == nil {
		t.Fatalf("registration started no identity check; log:\n%s", logs.String())
	}
	check := reg.Pending
	if want := cfg.Authenticator.IDV.Sandbox.PublicURL + "/capture/" + check.RunID; check.CaptureURL != want {
		t.Errorf("got capture URL %s, want %s (the sandbox's own origin)", check.CaptureURL, want)
	}

	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get, err := client.Get(check.CaptureURL)
	if err != nil {
		t.Fatal(err)
	}
	page, err := io.ReadAll(get.Body)
	_ = get.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if get.StatusCode != http.StatusOK || !bytes.Contains(page, []byte(`id="sandbox-banner"`)) || !bytes.Contains(page, []byte(`id="outcome-pass"`)) {
		t.Fatalf("GET capture page: got %d\n%s\nwant 200 with the banner and the choices", get.StatusCode, page)
	}
	m := csrfInput.FindSubmatch(page)
	if m == nil {
		t.Fatalf("capture page has no csrf field:\n%s", page)
	}

	post := func(csrf string) *http.Response {
		t.Helper()
		r, err := client.PostForm(check.CaptureURL, url.Values{"csrf": {csrf}, "outcome": {string(sandbox.ChoicePass)}})
		if err != nil {
			t.Fatal(err)
		}
		_ = r.Body.Close()
		return r
	}
	status := func() authenticator.CheckStatus {
		t.Helper()
		chk, err := svc.IdentityCheckStatus(ctx, sandbox.Name, check.RunID, "cust-1")
		if err != nil {
			t.Fatal(err)
		}
		return chk.Status
	}

	// A wrong form token changes nothing.
	if r := post("not-the-token"); r.StatusCode != http.StatusForbidden {
		t.Errorf("POST with a wrong token: got %d, want 403", r.StatusCode)
	}
	if got := status(); got != authenticator.CheckPending {
		t.Errorf("after a refused POST: got check %s, want pending", got)
	}

	// The pass: the browser goes back to the return URL, and the outcome is
	// already recorded — nobody polled the provider.
	r := post(string(m[1]))
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != returnURL {
		t.Errorf("POST pass: got %d to %q, want 303 to %s", r.StatusCode, r.Header.Get("Location"), returnURL)
	}
	if got := status(); got != authenticator.CheckPassed {
		t.Errorf("after the pass: got check %s, want passed (via Notify); log:\n%s", got, logs.String())
	}
	u, err := svc.GetUser(ctx, "cust-1")
	if err != nil {
		t.Fatal(err)
	}
	if u.User.Status != authenticator.UserEnrolled {
		t.Errorf("got user %s, want enrolled", u.User.Status)
	}

	// Close stops serving.
	closed = true
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", cfg.Authenticator.IDV.Sandbox.Listen, time.Second); err == nil {
		_ = c.Close()
		t.Errorf("sandbox still listening on %s after Close", cfg.Authenticator.IDV.Sandbox.Listen)
	}
}

func TestStartAuthenticatorSandboxRefusals(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = taken.Close() })

	for name, tc := range map[string]struct {
		mutate  func(*Config)
		wantErr error  // errors.Is, when set
		wantMsg string // contained in the error
	}{
		"listen address taken": {
			mutate:  func(c *Config) { c.Authenticator.IDV.Sandbox.Listen = taken.Addr().String() },
			wantMsg: "authenticator.idv.sandbox.listen:",
		},
		// Validation refuses it first; StartAuthenticator refuses it again.
		"production": {
			mutate:  func(c *Config) { c.Mode = ModeProduction },
			wantErr: sandbox.ErrProductionRefused, wantMsg: "authenticator.idv.sandbox:",
		},
		"bad reference key": {
			mutate:  func(c *Config) { c.Authenticator.IDV.ReferenceKey = "c2hvcnQ=" },
			wantMsg: "authenticator.idv.reference_key:",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := sandboxConfig(t)
			tc.mutate(&cfg)
			a, err := StartAuthenticator(t.Context(), cfg, slog.New(slog.DiscardHandler))
			if err == nil {
				_ = a.Close()
				t.Fatalf("got nil error, want %q", tc.wantMsg)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("got %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("got %v, want it to name %q", err, tc.wantMsg)
			}
		})
	}
}

// TestOpenAuthenticatorRefusesSandbox: OpenAuthenticator serves nothing,
// so it cannot build a sandbox whose pages nobody would serve.
func TestOpenAuthenticatorRefusesSandbox(t *testing.T) {
	t.Parallel()
	cfg := sandboxConfig(t)
	_, _, err := OpenAuthenticator(t.Context(), cfg.Authenticator, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "StartAuthenticator") {
		t.Errorf("got %v, want a pointer to StartAuthenticator", err)
	}
}

// TestStartAuthenticatorWithoutSandbox serves nothing besides the service.
func TestStartAuthenticatorWithoutSandbox(t *testing.T) {
	t.Parallel()
	cfg := Defaults()
	cfg.Authenticator.Store.DSN = filepath.Join(t.TempDir(), "passkey.db")
	a, err := StartAuthenticator(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if addr := a.SandboxAddr(); addr != nil {
		t.Errorf("got sandbox address %v, want none with provider none", addr)
	}
	if err := a.Close(); err != nil {
		t.Error(err)
	}
}

func TestVerifyApprovalCommand(t *testing.T) {
	t.Parallel()
	cfg := Defaults()
	cfg.Authenticator.Store.DSN = filepath.Join(t.TempDir(), "passkey.db")
	for name, tc := range map[string]struct {
		args    []string
		sandbox bool // configure the sandbox provider
		wantErr error
		wantMsg string
	}{
		"no id":     {args: nil, wantMsg: "want exactly one approval id, got 0 arguments"},
		"empty id":  {args: []string{""}, wantMsg: "want exactly one approval id"},
		"two ids":   {args: []string{"a", "b"}, wantMsg: "want exactly one approval id, got 2 arguments"},
		"not found": {args: []string{"no-such-approval"}, wantErr: authenticator.ErrNotFound, wantMsg: `verify-approval: no approval with id "no-such-approval" in this store`},
		"not found, sandbox configured": {
			args: []string{"no-such-approval"}, sandbox: true, wantErr: authenticator.ErrNotFound, wantMsg: `no approval with id "no-such-approval"`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := cfg
			if tc.sandbox {
				cfg = sandboxConfig(t)
			}
			cfg.Authenticator.Store.DSN = filepath.Join(t.TempDir(), "passkey.db")
			var out bytes.Buffer
			var logs syncBuffer
			err := VerifyApproval(t.Context(), cfg, tc.args, &out, slog.New(slog.NewTextHandler(&logs, nil)))
			if strings.Contains(logs.String(), "sandbox") {
				t.Errorf("verify-approval built a sandbox; log:\n%s", logs.String())
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("got %v, want an error saying %q", err, tc.wantMsg)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("got %v, want %v", err, tc.wantErr)
			}
			if errors.Is(err, ErrApprovalInvalid) {
				t.Errorf("got %v, want no ErrApprovalInvalid (nothing was verified)", err)
			}
			if out.Len() != 0 {
				t.Errorf("got output %q, want none", out.String())
			}
		})
	}
}

// TestApprovalReportJSON pins the names verify-approval prints.
func TestApprovalReportJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(ApprovalReport{Details: json.RawMessage(`[{"type":"payment"}]`)})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"acr", "approval_id", "client", "created_at", "details", "hash", "problem", "user", "valid"}
	if !slices.Equal(keys, want) {
		t.Errorf("got keys %v, want %v", keys, want)
	}
}

// TestStartProviderInProcessServesSandboxOnce: with the authenticator in
// the provider's process, that process serves the sandbox (once) and
// stops it on Close.
func TestStartProviderInProcessServesSandboxOnce(t *testing.T) {
	t.Parallel()
	cfg := sandboxConfig(t)
	cfg.Host.Listen = "127.0.0.1:0"
	p, err := StartProvider(t.Context(), cfg, "", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	css := cfg.Authenticator.IDV.Sandbox.PublicURL + "/static/sandbox.css"
	r, err := http.Get(css)
	if err != nil {
		_ = p.Close()
		t.Fatal(err)
	}
	_ = r.Body.Close()
	if r.StatusCode != http.StatusOK {
		t.Errorf("GET %s: got %d, want 200", css, r.StatusCode)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", cfg.Authenticator.IDV.Sandbox.Listen, time.Second); err == nil {
		_ = c.Close()
		t.Errorf("sandbox still listening on %s after the provider closed", cfg.Authenticator.IDV.Sandbox.Listen)
	}
}
