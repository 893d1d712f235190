package devstack

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
			o := Options{BinDir: bin, Dir: t.TempDir(), ProviderPort: 8081, SandboxPort: 8090, IDVProvider: tc.provider}
			s := &Stack{ProviderURL: "http://localhost:8081"}
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
