package app

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"slices"
	"time"

	"github.com/biometric-passkey/biometric-passkey/adminui"
	"github.com/biometric-passkey/biometric-passkey/adminui/aaguid"
	"github.com/biometric-passkey/biometric-passkey/internal/version"
)

// AdminUIConfig configures the operator dashboard (package adminui), which
// the provider serves on a listener of its own when Enabled.
type AdminUIConfig struct {
	Enabled bool   `yaml:"enabled"`
	Listen  string `yaml:"listen"`
	// PublicURL is where operators reach the dashboard (scheme and host;
	// the redirect URI is PublicURL + "/callback").
	PublicURL string `yaml:"public_url"`
	// Issuer is the organisation's OpenID provider.
	Issuer   string `yaml:"issuer"`
	ClientID string `yaml:"client_id"`
	// ClientSecret comes from BP_ADMINUI_CLIENT_SECRET.
	ClientSecret Secret `yaml:"client_secret"`
	// RoleClaim names the ID-token claim with the operator's roles or
	// groups. Default "roles".
	RoleClaim string `yaml:"role_claim"`
	// RoleMap maps a value of RoleClaim to support, fraud or admin.
	RoleMap map[string]string `yaml:"role_map"`
	// SessionKey is base64 of 32 random bytes (BP_ADMINUI_SESSION_KEY),
	// the same on every replica. Development generates one per start when
	// empty; production refuses an empty or all-zero key.
	SessionKey Secret `yaml:"session_key"`
	// SessionTTL is how long a sign-in lasts: default 8h, at most 24h.
	SessionTTL time.Duration `yaml:"session_ttl"`
	// AuthenticatorNames is a JSON file of AAGUID → authenticator name
	// laid over the embedded list (package adminui/aaguid), to name your
	// own or newer authenticators. Empty: the embedded list alone.
	AuthenticatorNames string `yaml:"authenticator_names"`
}

// Defaults of AdminUIConfig.
const (
	DefaultAdminUIListen    = "127.0.0.1:8082"
	DefaultAdminUIPublicURL = "http://localhost:8082"
)

// adminUIKeyEnv is the environment variable of adminui.session_key.
const adminUIKeyEnv = EnvPrefix + "ADMINUI_SESSION_KEY"

// validate checks the dashboard's keys when it is enabled.
func (a AdminUIConfig) validate(mode string, bad func(key, format string, args ...any)) {
	if !a.Enabled {
		return
	}
	if a.Listen == "" {
		bad("adminui.listen", "must not be empty")
	}
	for key, raw := range map[string]string{"adminui.public_url": a.PublicURL, "adminui.issuer": a.Issuer} {
		u, err := url.Parse(raw)
		switch {
		case raw == "":
			bad(key, "is required")
		case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
			bad(key, "must be an absolute http(s) URL, got %q", raw)
		case mode == ModeProduction && u.Scheme != "https":
			bad(key, "production requires https")
		case key == "adminui.public_url" && u.Path != "" && u.Path != "/":
			bad(key, "must have no path: the dashboard is served at its listener's root")
		}
	}
	if a.ClientID == "" {
		bad("adminui.client_id", "is required")
	}
	if a.ClientSecret == "" {
		bad("adminui.client_secret", "is required (set BP_ADMINUI_CLIENT_SECRET)")
	}
	if len(a.RoleMap) == 0 {
		bad("adminui.role_map", "is empty: no operator could sign in")
	}
	for _, k := range slices.Sorted(maps.Keys(a.RoleMap)) {
		if !adminui.Role(a.RoleMap[k]).Valid() {
			bad(fmt.Sprintf("adminui.role_map[%q]", k), "must be support, fraud or admin, got %q", a.RoleMap[k])
		}
		if k == "" {
			bad("adminui.role_map", "has an empty claim value")
		}
	}
	switch key, err := a.sessionKey(); {
	case err != nil:
		bad("adminui.session_key", "%v", err)
	case key == nil && mode == ModeProduction:
		bad("adminui.session_key", "production requires one: base64 of %d random bytes (set %s)", adminui.SessionKeySize, adminUIKeyEnv)
	case key != nil && bytes.Count(key, []byte{0}) == len(key):
		bad("adminui.session_key", "is all zeros: generate one with `openssl rand -base64 %d`", adminui.SessionKeySize)
	}
	if a.SessionTTL < 0 || a.SessionTTL > adminui.MaxSessionTTL {
		bad("adminui.session_ttl", "must be 0 (default %v) to %v, got %v", adminui.DefaultSessionTTL, adminui.MaxSessionTTL, a.SessionTTL)
	}
}

// sessionKey decodes SessionKey; nil when it is empty.
func (a AdminUIConfig) sessionKey() ([]byte, error) {
	if a.SessionKey == "" {
		return nil, nil
	}
	key, err := base64.StdEncoding.DecodeString(a.SessionKey.Reveal())
	if err != nil {
		return nil, fmt.Errorf("is not base64 (standard encoding)") // the decoder's error would quote the secret
	}
	if len(key) != adminui.SessionKeySize {
		return nil, fmt.Errorf("must be %d bytes, got %d", adminui.SessionKeySize, len(key))
	}
	return key, nil
}

// dashboardConfig is the adminui.Config of a validated AdminUIConfig. An
// empty session key (development only; Validate refuses it in production)
// is generated, so sessions end when the provider restarts.
func (a AdminUIConfig) dashboardConfig(sandbox bool, log *slog.Logger) (adminui.Config, error) {
	key, err := a.sessionKey()
	if err != nil {
		return adminui.Config{}, fmt.Errorf("adminui.session_key: %w", err)
	}
	if key == nil {
		key = make([]byte, adminui.SessionKeySize)
		_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24+)
		log.Warn("adminui.session_key is empty: generated one for this run; operators sign in again after a restart (development only)")
	}
	names, err := a.authenticatorNames()
	if err != nil {
		return adminui.Config{}, err
	}
	roles := make(map[string]adminui.Role, len(a.RoleMap))
	for k, v := range a.RoleMap {
		roles[k] = adminui.Role(v)
	}
	return adminui.Config{
		PublicURL: a.PublicURL, Issuer: a.Issuer, ClientID: a.ClientID, ClientSecret: a.ClientSecret.Reveal(),
		RoleClaim: a.RoleClaim, RoleMap: roles, SessionKey: key, SessionTTL: a.SessionTTL, Sandbox: sandbox, Authenticators: names,
		Version: version.String("biometric-passkey-provider"),
		Logger:  log.With("component", "adminui"),
	}, nil
}

// authenticatorNames is the embedded AAGUID list with the operator's file,
// if any, laid over it.
func (a AdminUIConfig) authenticatorNames() (*aaguid.Registry, error) {
	if a.AuthenticatorNames == "" {
		return aaguid.Default(), nil
	}
	f, err := os.Open(a.AuthenticatorNames)
	if err != nil {
		return nil, fmt.Errorf("adminui.authenticator_names: %w", err)
	}
	defer f.Close()
	over, err := aaguid.Load(f)
	if err != nil {
		return nil, fmt.Errorf("adminui.authenticator_names %s: %w", a.AuthenticatorNames, err)
	}
	return aaguid.Default().Merge(over), nil
}
