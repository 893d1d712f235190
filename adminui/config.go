package adminui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/biometric-passkey/biometric-passkey/adminui/aaguid"
)

// Role is what an operator may do in the dashboard.
type Role string

// Roles, each including the one before it.
const (
	RoleSupport Role = "support" // read
	RoleFraud   Role = "fraud"   // read + act on users and passkeys (actions.go)
	RoleAdmin   Role = "admin"   // + audit export, configuration view, dead letters, erasure
)

// Valid reports whether r is one of the roles above.
func (r Role) Valid() bool { return r.rank() > 0 }

// rank orders roles; an unknown role ranks 0 and is no role at all.
func (r Role) rank() int {
	switch r {
	case RoleSupport:
		return 1
	case RoleFraud:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Defaults and limits of Config.
const (
	DefaultRoleClaim  = "roles"
	DefaultSessionTTL = 8 * time.Hour
	MaxSessionTTL     = 24 * time.Hour
	SessionKeySize    = 32 // AES-256-GCM
)

// Config configures the dashboard. New copies it; the caller's value is
// never changed.
type Config struct {
	// PublicURL is where operators reach the dashboard, such as
	// https://ops.example.com: scheme and host only (the dashboard is
	// served at its listener's root). The redirect URI is PublicURL +
	// "/callback". http is allowed only for a loopback host.
	PublicURL string
	// Issuer is the organisation's OpenID provider; its discovery document
	// is fetched at the first sign-in, not by New.
	Issuer       string
	ClientID     string
	ClientSecret string
	// Scopes are requested beside openid (which is always sent).
	Scopes []string
	// RoleClaim names the ID-token claim that carries the operator's
	// groups or roles: a string or an array of strings. Default "roles".
	RoleClaim string
	// RoleMap maps a value of RoleClaim to a dashboard role. When several
	// values map, the strongest role wins.
	RoleMap map[string]Role
	// SessionKey seals the session and login cookies (AES-256-GCM): 32
	// random bytes, the same on every replica.
	SessionKey []byte
	// SessionTTL is how long a sign-in lasts: default 8h, at most 24h.
	SessionTTL time.Duration
	// Sandbox shows the SANDBOX banner on every page.
	Sandbox bool

	// Sessions is the identity server's record of each user's sessions
	// (Hydra's, in this project's host): the user page lists them and the
	// fraud role may revoke them. Nil hides both.
	Sessions Sessions
	// Authenticators names passkeys' authenticators from their AAGUIDs on
	// the user page. Nil: aaguid.Default(), the embedded list.
	Authenticators *aaguid.Registry
	// Version names the host's release, plugin protocol and schema
	// (DESIGN.md §8), shown at the foot of every page.
	Version string
	// Settings is the host's effective configuration, secrets redacted,
	// for the admin role's configuration view. The host builds it; the
	// dashboard shows it as given.
	Settings []Setting

	Logger     *slog.Logger     // default: discard
	Now        func() time.Time // default: time.Now
	HTTPClient *http.Client     // for the provider; default http.DefaultClient
}

// Sessions is what the dashboard needs of the identity server's sessions.
// The subject is the user's external id, which the host signs users in as.
type Sessions interface {
	// ConsentSessions lists the clients the subject is signed in to.
	ConsentSessions(ctx context.Context, subject string) ([]ClientSession, error)
	// RevokeSessions ends the subject's login sessions and the consent
	// sessions with their tokens.
	RevokeSessions(ctx context.Context, subject string) error
}

// ClientSession is one client a user is signed in to at the identity server.
type ClientSession struct {
	ClientID       string
	ClientName     string
	Scopes         []string
	GrantedAt      time.Time
	LoginSessionID string
	ACR            string // the level of the login the session followed
}

// Setting is one line of the configuration view: a dotted key and its
// value as the host wants it shown (secrets redacted).
type Setting struct {
	Key, Value string
}

// withDefaults returns a copy of c with zero values replaced.
func (c Config) withDefaults() Config {
	if c.RoleClaim == "" {
		c.RoleClaim = DefaultRoleClaim
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.HTTPClient == nil {
		c.HTTPClient = http.DefaultClient
	}
	c.RoleMap = cloneMap(c.RoleMap)
	c.SessionKey = slices.Clone(c.SessionKey)
	c.Scopes = slices.Clone(c.Scopes)
	c.Settings = slices.Clone(c.Settings)
	if c.Authenticators == nil {
		c.Authenticators = aaguid.Default()
	}
	return c
}

func cloneMap(m map[string]Role) map[string]Role {
	out := make(map[string]Role, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// validate reports every problem at once (STYLE.md: dex's Validate).
func (c Config) validate() error {
	var errs []error
	problem := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	if err := checkURL(c.PublicURL, true); err != nil {
		problem("adminui: PublicURL: %w", err)
	}
	if err := checkURL(c.Issuer, false); err != nil {
		problem("adminui: Issuer: %w", err)
	}
	if c.ClientID == "" {
		problem("adminui: ClientID is required")
	}
	if c.ClientSecret == "" {
		problem("adminui: ClientSecret is required")
	}
	if len(c.RoleMap) == 0 {
		problem("adminui: RoleMap is empty: no operator could sign in")
	}
	keys := make([]string, 0, len(c.RoleMap))
	for k := range c.RoleMap {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if k == "" {
			problem("adminui: RoleMap has an empty claim value")
		}
		if !c.RoleMap[k].Valid() {
			problem("adminui: RoleMap[%q] = %q is not a role (support, fraud or admin)", k, c.RoleMap[k])
		}
	}
	if len(c.SessionKey) != SessionKeySize {
		problem("adminui: SessionKey must be %d bytes, got %d", SessionKeySize, len(c.SessionKey))
	}
	if c.SessionTTL < 0 || c.SessionTTL > MaxSessionTTL {
		problem("adminui: SessionTTL %v must be between 0 (default %v) and %v", c.SessionTTL, DefaultSessionTTL, MaxSessionTTL)
	}
	return errors.Join(errs...)
}

// checkURL accepts an absolute http(s) URL without query or fragment;
// http only for loopback hosts. root also requires an empty path.
func checkURL(raw string, root bool) error {
	if raw == "" {
		return errors.New("is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL", raw)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "":
		return fmt.Errorf("%q must be an absolute https URL", raw)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return fmt.Errorf("%q must use https (http only for localhost)", raw)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return fmt.Errorf("%q must have no user, query or fragment", raw)
	case root && u.Path != "" && u.Path != "/":
		return fmt.Errorf("%q must have no path: the dashboard is served at the root", raw)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
