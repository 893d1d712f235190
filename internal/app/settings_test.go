package app

import (
	"strings"
	"testing"
	"time"
)

// TestSettingsRedactAndFlatten checks the dashboard's configuration view:
// every leaf under its dotted YAML key, secrets and DSN passwords never
// shown.
func TestSettingsRedactAndFlatten(t *testing.T) {
	t.Parallel()
	const secret = "0123456789abcdef0123456789abcdef-very-secret"
	tests := []struct {
		name string
		edit func(*Config)
		key  string
		want string
	}{
		{"plain string", func(c *Config) { c.Host.PublicURL = "https://login.example.com" }, "host.public_url", "https://login.example.com"},
		{"duration", func(c *Config) { c.Host.ShutdownTimeout = 7 * time.Second }, "host.shutdown_timeout", "7s"},
		{"string slice", func(c *Config) { c.Host.FirstPartyClients = []string{"bank", "app"} }, "host.first_party_clients", `["bank","app"]`},
		{"map", func(c *Config) { c.AdminUI.RoleMap = map[string]string{"ops-fraud": "fraud", "ops-admin": "admin"} },
			"adminui.role_map", `{"ops-admin":"admin","ops-fraud":"fraud"}`},
		{"secret set", func(c *Config) { c.AdminUI.ClientSecret = secret }, "adminui.client_secret", "[redacted]"},
		{"secret empty", func(c *Config) { c.AdminUI.ClientSecret = "" }, "adminui.client_secret", ""},
		{"endpoint secret in a struct slice", func(c *Config) {
			c.Authenticator.Events.Endpoints = []EndpointConfig{{URL: "https://rp.example.com/hook", Secret: secret}}
		}, "authenticator.events.endpoints[0].secret", "[redacted]"},
		{"endpoint url in a struct slice", func(c *Config) {
			c.Authenticator.Events.Endpoints = []EndpointConfig{{URL: "https://rp.example.com/hook", Secret: secret}}
		}, "authenticator.events.endpoints[0].url", "https://rp.example.com/hook"},
		{"dsn with a password", func(c *Config) {
			c.Authenticator.Store.DSN = "host=db user=bp password=" + secret + " dbname=bp"
		}, "authenticator.store.dsn", "[redacted: the DSN holds a password]"},
		{"dsn URL with a password", func(c *Config) {
			c.Authenticator.Store.DSN = "postgres://bp:" + secret + "@db/bp?sslmode=verify-full"
		}, "authenticator.store.dsn", "[redacted: the DSN holds a password]"},
		{"dsn without a password", func(c *Config) {
			c.Authenticator.Store.DSN = "host=db user=bp dbname=bp sslmode=verify-full"
		}, "authenticator.store.dsn", "host=db user=bp dbname=bp sslmode=verify-full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := Defaults()
			tt.edit(&c)
			got := settings(c)
			found := false
			for _, s := range got {
				if strings.Contains(s.Value, secret) {
					t.Errorf("%s shows the secret: %q", s.Key, s.Value)
				}
				if s.Key == tt.key {
					found = true
					if s.Value != tt.want {
						t.Errorf("%s = %q, want %q", s.Key, s.Value, tt.want)
					}
				}
			}
			if !found {
				t.Errorf("no setting %s among %d", tt.key, len(got))
			}
		})
	}
}
