package app

import (
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// testSessionKey is base64 of 32 bytes 0x01..0x20.
var testSessionKey = func() string {
	b := make([]byte, 32)
	for i := range b {
		b[i] = byte(i + 1)
	}
	return base64.StdEncoding.EncodeToString(b)
}()

const adminUIYAML = `
adminui:
  enabled: true
  listen: "127.0.0.1:0"
  public_url: "http://localhost:8082"
  issuer: "http://localhost:4444"
  client_id: dashboard
  role_claim: groups
  role_map: {ops-support: support, ops-fraud: fraud, ops-admin: admin}
  session_ttl: 2h
`

func TestLoadAdminUI(t *testing.T) {
	t.Parallel()
	cfg, err := Load(writeConfig(t, adminUIYAML), []string{
		"BP_ADMINUI_CLIENT_SECRET=s3cret", "BP_ADMINUI_SESSION_KEY=" + testSessionKey,
		"BP_ADMINUI_PUBLIC_URL=http://127.0.0.1:9082", "BP_ADMINUI_ROLE_CLAIM=teams", "BP_ADMINUI_SESSION_TTL=90m",
	})
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.AdminUI
	if !a.Enabled || a.ClientSecret.Reveal() != "s3cret" || a.SessionKey.Reveal() != testSessionKey ||
		a.PublicURL != "http://127.0.0.1:9082" || a.RoleClaim != "teams" || a.SessionTTL != 90*time.Minute ||
		a.RoleMap["ops-fraud"] != "fraud" {
		t.Errorf("got %+v", a)
	}
}

func TestLoadAdminUIDefaultsAndDisabled(t *testing.T) {
	t.Parallel()
	cfg, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AdminUI.Enabled || cfg.AdminUI.RoleClaim != "roles" || cfg.AdminUI.Listen != DefaultAdminUIListen ||
		cfg.Host.OperatorRolesClaim != "roles" {
		t.Errorf("defaults: %+v, host.operator_roles_claim %q", cfg.AdminUI, cfg.Host.OperatorRolesClaim)
	}
}

func TestLoadAdminUIReportsEveryProblem(t *testing.T) {
	t.Parallel()
	body := `
adminui:
  enabled: true
  listen: ""
  public_url: "http://localhost:8082/ops"
  issuer: "idp"
  role_map: {x: root, "": admin}
  session_key: "not base64!"
  session_ttl: 48h
host:
  operator_roles: {op-a: []}
  operator_roles_claim: "two words"
`
	_, err := Load(writeConfig(t, body), nil)
	wantKeys(t, err, "adminui.listen", "adminui.public_url", "adminui.issuer", "adminui.client_id",
		"adminui.client_secret", `adminui.role_map["x"]`, "adminui.role_map", "adminui.session_key",
		"adminui.session_ttl", `host.operator_roles["op-a"]`, "host.operator_roles", "host.operator_roles_claim")
	if strings.Contains(err.Error(), "not base64!") {
		t.Errorf("error reveals the session key: %v", err)
	}
	_, err = Load(writeConfig(t, adminUIYAML), []string{"BP_ADMINUI_CLIENT_SECRET=x", "BP_ADMINUI_SESSION_KEY=" +
		base64.StdEncoding.EncodeToString([]byte("short"))})
	wantKeys(t, err, "adminui.session_key")
}

func TestValidateAdminUIProduction(t *testing.T) {
	t.Parallel()
	base := func() AdminUIConfig {
		return AdminUIConfig{Enabled: true, Listen: ":8082", PublicURL: "https://ops.example.com", Issuer: "https://idp.example.com",
			ClientID: "d", ClientSecret: "s", RoleClaim: "roles", RoleMap: map[string]string{"g": "admin"}, SessionKey: Secret(testSessionKey)}
	}
	check := func(a AdminUIConfig, mode string) []string {
		var keys []string
		a.validate(mode, func(key, _ string, _ ...any) { keys = append(keys, key) })
		return keys
	}
	if got := check(base(), ModeProduction); len(got) != 0 {
		t.Errorf("valid production config: problems %v", got)
	}
	empty := base()
	empty.SessionKey = ""
	if got := check(empty, ModeProduction); len(got) != 1 || got[0] != "adminui.session_key" {
		t.Errorf("production, empty key: problems %v, want adminui.session_key", got)
	}
	if got := check(empty, ModeDevelopment); len(got) != 0 {
		t.Errorf("development, empty key: problems %v, want none (one is generated)", got)
	}
	zero := base()
	zero.SessionKey = Secret(base64.StdEncoding.EncodeToString(make([]byte, 32)))
	if got := check(zero, ModeProduction); len(got) != 1 || got[0] != "adminui.session_key" {
		t.Errorf("all-zero key: problems %v, want adminui.session_key", got)
	}
	plain := base()
	plain.PublicURL, plain.Issuer = "http://ops.example.com", "http://idp.example.com"
	if got := check(plain, ModeProduction); len(got) != 2 {
		t.Errorf("production over http: problems %v, want public_url and issuer", got)
	}
	off := AdminUIConfig{}
	if got := check(off, ModeProduction); len(got) != 0 {
		t.Errorf("disabled: problems %v, want none", got)
	}
}

// fakeIssuer serves an OpenID discovery document.
func fakeIssuer(t *testing.T) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": srv.URL, "authorization_endpoint": srv.URL + "/oauth2/auth", "token_endpoint": srv.URL + "/oauth2/token",
			"jwks_uri": srv.URL + "/.well-known/jwks.json", "response_types_supported": []string{"code"},
			"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"},
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestStartProviderServesTheDashboard: with adminui.enabled the provider
// serves the dashboard on its own listener, GET /login redirects to the
// issuer's authorization endpoint, and Close stops it.
func TestStartProviderServesTheDashboard(t *testing.T) {
	t.Parallel()
	idp := fakeIssuer(t)
	cfg := sandboxConfig(t)
	cfg.Host.Listen = "127.0.0.1:0"
	cfg.AdminUI = AdminUIConfig{Enabled: true, Listen: "127.0.0.1:0", PublicURL: "http://localhost:8082", Issuer: idp.URL,
		ClientID: "dashboard", ClientSecret: "s", RoleClaim: "roles", RoleMap: map[string]string{"admin": "admin"}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	p, err := StartProvider(t.Context(), cfg, "", slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	addr := p.DashboardAddr()
	if addr == nil {
		_ = p.Close()
		t.Fatal("no dashboard listener")
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := client.Get("http://" + addr.String() + "/login")
	if err != nil {
		_ = p.Close()
		t.Fatal(err)
	}
	_ = r.Body.Close()
	loc, _ := url.Parse(r.Header.Get("Location"))
	if r.StatusCode/100 != 3 || loc == nil || loc.Scheme+"://"+loc.Host+loc.Path != idp.URL+"/oauth2/auth" ||
		loc.Query().Get("client_id") != "dashboard" || loc.Query().Get("redirect_uri") != "http://localhost:8082/callback" {
		t.Errorf("GET /login: %d to %q, want a redirect to %s/oauth2/auth for client dashboard", r.StatusCode, r.Header.Get("Location"), idp.URL)
	}
	if !strings.Contains(logs.String(), "generated one for this run") {
		t.Errorf("an empty session key in development was not logged as generated; log:\n%s", logs.String())
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", addr.String(), time.Second); err == nil {
		_ = c.Close()
		t.Errorf("dashboard still listening on %s after Close", addr)
	}
}
