package devstack

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/idvbridge/sandbox"
	"github.com/biometric-passkey/biometric-passkey/internal/app"
)

// TestWriteProviderConfig: the configuration make run writes loads and
// validates, with the sandbox on its port and fresh secrets, or without it.
func TestWriteProviderConfig(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		provider    string
		wantSandbox bool
	}{
		"sandbox (make run)": {provider: app.IDVProviderSandbox, wantSandbox: true},
		"none":               {provider: app.IDVProviderNone},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			bin := t.TempDir()
			if err := os.WriteFile(filepath.Join(bin, "biometric-passkey-plugin"), []byte("not really a plugin"), 0o700); err != nil {
				t.Fatal(err)
			}
			o := Options{BinDir: bin, Dir: t.TempDir(), ProviderPort: 8081, SandboxPort: 8090, DashboardPort: 8082, MetricsPort: 9464,
				IDVProvider: tc.provider}
			s := &Stack{ProviderURL: "http://localhost:8081", Issuer: "http://localhost:4444", DashboardURL: "http://localhost:8082",
				dashboardSecret: "dashboard-secret"}
			if tc.wantSandbox {
				s.SandboxURL = "http://localhost:8090/sandbox/idv"
			}
			path, err := o.writeProviderConfig(s, "http://127.0.0.1:4445")
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := app.Load(path, nil)
			if err != nil {
				t.Fatalf("the written config does not load: %v", err)
			}
			wantDashboard(t, cfg)
			if got, want := cfg.Host.MetricsListen, "127.0.0.1:9464"; got != want {
				t.Errorf("host.metrics_listen: got %q, want %q", got, want)
			}
			idv := cfg.Authenticator.IDV
			if !tc.wantSandbox {
				if idv.Provider != app.IDVProviderNone {
					t.Errorf("got provider %q, want none", idv.Provider)
				}
				return
			}
			if idv.Provider != app.IDVProviderSandbox || idv.Sandbox.Listen != "127.0.0.1:8090" || idv.Sandbox.PublicURL != s.SandboxURL {
				t.Errorf("got provider %q listen %q public_url %q, want sandbox on 127.0.0.1:8090 at %s", idv.Provider, idv.Sandbox.Listen, idv.Sandbox.PublicURL, s.SandboxURL)
			}
			if n := len(idv.Sandbox.WebhookSecret.Reveal()); n < sandbox.MinWebhookSecret {
				t.Errorf("got a webhook secret of %d bytes, want at least %d", n, sandbox.MinWebhookSecret)
			}
			if k, err := base64.StdEncoding.DecodeString(idv.ReferenceKey.Reveal()); err != nil || len(k) != 32 {
				t.Errorf("got reference key of %d bytes (%v), want 32", len(k), err)
			}
			// Every run gets its own secrets.
			other := o.providerConfig(s, "http://127.0.0.1:4445", "p", "s").Authenticator.IDV
			if other.ReferenceKey == idv.ReferenceKey || other.Sandbox.WebhookSecret == idv.Sandbox.WebhookSecret {
				t.Error("two runs got the same generated secrets")
			}
		})
	}
}

func TestStartRefusesUnknownIDVProvider(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	_, err := Start(t.Context(), Options{Dir: dir, IDVProvider: "onfido"})
	if err == nil || !strings.Contains(err.Error(), `IDVProvider must be "sandbox" or "none", got "onfido"`) {
		t.Errorf("got %v, want IDVProvider refused", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("state dir created (%v), want nothing started", err)
	}
}

// wantDashboard checks the dashboard part of the written configuration:
// enabled on its port against Hydra, the demo operators' roles only for the
// dashboard's client, the identity role map, and day-long enrollment links.
func wantDashboard(t *testing.T, cfg app.Config) {
	t.Helper()
	d := cfg.AdminUI
	if !d.Enabled || d.Listen != "127.0.0.1:8082" || d.PublicURL != "http://localhost:8082" || d.Issuer != "http://localhost:4444" ||
		d.ClientID != DashboardClientID || d.ClientSecret.Reveal() != "dashboard-secret" || d.RoleClaim != cfg.Host.OperatorRolesClaim {
		t.Errorf("adminui = %+v", d)
	}
	if k, err := base64.StdEncoding.DecodeString(d.SessionKey.Reveal()); err != nil || len(k) != 32 {
		t.Errorf("got a session key of %d bytes (%v), want 32", len(k), err)
	}
	wantRoles := map[string][]string{"op-support": {"support"}, "op-fraud": {"fraud"}, "op-admin": {"admin"}}
	if diff := cmp.Diff(wantRoles, cfg.Host.OperatorRoles); diff != "" {
		t.Errorf("host.operator_roles (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"support": "support", "fraud": "fraud", "admin": "admin"}, d.RoleMap); diff != "" {
		t.Errorf("adminui.role_map (-want +got):\n%s", diff)
	}
	if !slices.Equal(cfg.Host.OperatorClients, []string{DashboardClientID}) || !slices.Contains(cfg.Host.FirstPartyClients, DashboardClientID) ||
		slices.Contains(cfg.Host.OperatorClients, BankClientID) {
		t.Errorf("host.operator_clients %v, first_party_clients %v", cfg.Host.OperatorClients, cfg.Host.FirstPartyClients)
	}
	if cfg.Authenticator.EnrollmentTTL != 24*time.Hour {
		t.Errorf("enrollment_ttl %v, want 24h", cfg.Authenticator.EnrollmentTTL)
	}
}

// TestDashboardClient: the dashboard's Hydra client is a first-party
// authorization-code client redirecting to <dashboard>/callback.
func TestDashboardClient(t *testing.T) {
	t.Parallel()
	s := &Stack{DashboardURL: "http://localhost:8082", dashboardSecret: "x"}
	c := s.dashboardClient()
	if c.GetClientId() != DashboardClientID || !slices.Equal(c.GrantTypes, []string{"authorization_code"}) ||
		!slices.Equal(c.ResponseTypes, []string{"code"}) || !slices.Equal(c.RedirectUris, []string{"http://localhost:8082/callback"}) ||
		!c.GetSkipConsent() || c.GetClientSecret() != "x" || !strings.Contains(c.GetScope(), "openid") {
		t.Errorf("dashboard client = %+v", c)
	}
	e := enrollerClient("y")
	if e.GetClientId() != OperatorEnrollerClientID || !slices.Equal(e.GrantTypes, []string{"client_credentials"}) || e.GetScope() != "passkey.enroll" {
		t.Errorf("enroller client = %+v", e)
	}
}

// TestCreateOperators: each demo operator gets its link from the
// enrollment API, called with the enroller's client-credentials token.
func TestCreateOperators(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/oauth2/token":
			id, secret, _ := r.BasicAuth()
			if id != OperatorEnrollerClientID || secret != "enroller-secret" || r.FormValue("scope") != "passkey.enroll" {
				http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"access_token":"tok","token_type":"bearer","expires_in":60}`)
		case "/api/v1/enrollments":
			var body struct {
				ExternalUserID string `json:"external_user_id"`
			}
			if r.Header.Get("Authorization") != "Bearer tok" || json.NewDecoder(r.Body).Decode(&body) != nil {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			mu.Lock()
			asked = append(asked, body.ExternalUserID)
			mu.Unlock()
			w.WriteHeader(http.StatusCreated)
			_ = json.NewEncoder(w).Encode(map[string]any{"enrollment_url": "http://localhost:8081/enroll?token=" + body.ExternalUserID})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	s := &Stack{Issuer: srv.URL, ProviderURL: srv.URL}
	if err := s.createOperators(t.Context(), "enroller-secret"); err != nil {
		t.Fatal(err)
	}
	want := []DemoOperator{
		{Role: "support", ExternalUserID: "op-support", EnrollmentURL: "http://localhost:8081/enroll?token=op-support"},
		{Role: "fraud", ExternalUserID: "op-fraud", EnrollmentURL: "http://localhost:8081/enroll?token=op-fraud"},
		{Role: "admin", ExternalUserID: "op-admin", EnrollmentURL: "http://localhost:8081/enroll?token=op-admin"},
	}
	if diff := cmp.Diff(want, s.Operators); diff != "" {
		t.Errorf("operators (-want +got):\n%s", diff)
	}
	if err := s.createOperators(t.Context(), "wrong"); err == nil {
		t.Error("a refused token: got nil error")
	}
}
