package app

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/webhook"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/sandbox"
)

// Modes. Production refuses unsafe settings (DESIGN.md §7.9).
const (
	ModeDevelopment = "development"
	ModeProduction  = "production"
)

// Config is the whole configuration file. examples/config.yaml explains
// every key.
type Config struct {
	Mode          string              `yaml:"mode"`
	Log           LogConfig           `yaml:"log"`
	Host          HostConfig          `yaml:"host"`
	Plugin        PluginConfig        `yaml:"plugin"`
	Authenticator AuthenticatorConfig `yaml:"authenticator"`
	AdminUI       AdminUIConfig       `yaml:"adminui"`
}

// LogConfig selects log level and format.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // json or text
}

// HostConfig configures the login-and-consent provider.
type HostConfig struct {
	Listen            string        `yaml:"listen"`
	PublicURL         string        `yaml:"public_url"`
	HydraAdminURL     string        `yaml:"hydra_admin_url"`
	FirstPartyClients []string      `yaml:"first_party_clients"`
	EnrollmentScope   string        `yaml:"enrollment_scope"`
	ApprovalScope     string        `yaml:"approval_scope"`
	ShutdownTimeout   time.Duration `yaml:"shutdown_timeout"`
	// OperatorClients are the OAuth client ids of the operator dashboard,
	// for when Hydra is the organisation's identity provider: only their ID
	// tokens get OperatorRolesClaim.
	OperatorClients []string `yaml:"operator_clients"`
	// OperatorRoles maps a user's external id to the role values consent
	// puts into the dashboard's ID token (make run's demo operators).
	OperatorRoles map[string][]string `yaml:"operator_roles"`
	// OperatorRolesClaim names that claim. Default "roles".
	OperatorRolesClaim string `yaml:"operator_roles_claim"`
	// MetricsListen is the host:port of a listener of its own that serves
	// Prometheus metrics at /metrics (internal/metrics lists them). Empty,
	// the default in every mode, serves none: metrics are for the
	// operator's network, so the operator picks the interface, never the
	// public listener. make run sets a free local port.
	MetricsListen string `yaml:"metrics_listen"`
}

// PluginConfig says how the host runs the authenticator.
type PluginConfig struct {
	// Path of the plugin binary. Empty runs the authenticator inside the
	// host process (no isolation; for development and fosite hosts).
	Path string `yaml:"path"`
	// SHA256 pins the binary (hex). Required in production.
	SHA256       string        `yaml:"sha256"`
	StartTimeout time.Duration `yaml:"start_timeout"`
}

// AuthenticatorConfig configures the plugin's service and stores.
type AuthenticatorConfig struct {
	RPID          string          `yaml:"rp_id"`
	RPDisplayName string          `yaml:"rp_display_name"`
	RPOrigins     []string        `yaml:"rp_origins"`
	ChallengeTTL  time.Duration   `yaml:"challenge_ttl"`
	EnrollmentTTL time.Duration   `yaml:"enrollment_ttl"`
	SessionTTL    time.Duration   `yaml:"session_ttl"`
	Policy        PolicyConfig    `yaml:"policy"`
	Levels        []LevelConfig   `yaml:"levels"`
	AMR           AMRConfig       `yaml:"amr"`
	Store         StoreConfig     `yaml:"store"`
	Ephemeral     EphemeralConfig `yaml:"ephemeral"`
	IDV           IDVConfig       `yaml:"idv"`
	Recovery      RecoveryConfig  `yaml:"recovery"`
	Events        EventsConfig    `yaml:"events"`
}

// EventsConfig configures the delivery of lifecycle events to relying-party
// webhook endpoints (docs/adr/0009-event-webhooks.md).
type EventsConfig struct {
	// Endpoints each receive every event, signed with their own secret.
	// None (the default) queues and sends nothing.
	Endpoints []EndpointConfig `yaml:"endpoints"`
	// MaxAttempts bounds the attempts at one delivery before it becomes a
	// dead letter, 1 to 100.
	MaxAttempts int `yaml:"max_attempts"`
	// MaxAge bounds how long a delivery is retried, 1m to 720h.
	MaxAge time.Duration `yaml:"max_age"`
}

// EndpointConfig is one webhook receiver.
type EndpointConfig struct {
	URL string `yaml:"url"` // https in production
	// Secret is the HMAC-SHA256 key of X-BP-Signature, at least 32 bytes,
	// shared with the receiver. It comes from the environment as
	// BP_AUTHENTICATOR_EVENTS_ENDPOINTS_<index>_SECRET (index from 0).
	Secret Secret `yaml:"secret"`
}

// MinEndpointSecret is the shortest webhook secret accepted, in bytes.
const MinEndpointSecret = 32

// endpointSecretEnv is the environment variable of endpoint i's secret.
func endpointSecretEnv(i int) string {
	return fmt.Sprintf("%sAUTHENTICATOR_EVENTS_ENDPOINTS_%d_SECRET", EnvPrefix, i)
}

// applyEndpointSecrets sets endpoint secrets from the environment, which
// applyEnv cannot reach inside a list; a variable for an endpoint that is
// not configured is an error, not a silent no-op.
func applyEndpointSecrets(c *EventsConfig, env map[string]string) error {
	var errs []error
	prefix := EnvPrefix + "AUTHENTICATOR_EVENTS_ENDPOINTS_"
	for name, v := range env {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		idx, ok := strings.CutSuffix(rest, "_SECRET")
		i, err := strconv.Atoi(idx)
		if !ok || err != nil || i < 0 || i >= len(c.Endpoints) || endpointSecretEnv(i) != name {
			errs = append(errs, fmt.Errorf("environment %s: want %s with i an index of authenticator.events.endpoints (0..%d)",
				name, prefix+"<i>_SECRET", len(c.Endpoints)-1))
			continue
		}
		c.Endpoints[i].Secret = Secret(v)
	}
	return errors.Join(errs...)
}

// validate checks the events keys.
func (e EventsConfig) validate(mode string, bad func(key, format string, args ...any)) {
	seen := map[string]bool{}
	for i, ep := range e.Endpoints {
		key := fmt.Sprintf("authenticator.events.endpoints[%d]", i)
		u, err := url.Parse(ep.URL)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
			bad(key+".url", "must be an absolute http(s) URL")
		case mode == ModeProduction && u.Scheme != "https":
			bad(key+".url", "production requires https")
		case u.User != nil:
			bad(key+".url", "must not carry credentials; the signature authenticates the sender")
		case seen[ep.URL]:
			bad(key+".url", "is listed twice")
		}
		seen[ep.URL] = true
		if len(ep.Secret) < MinEndpointSecret {
			bad(key+".secret", "must be at least %d bytes (set %s)", MinEndpointSecret, endpointSecretEnv(i))
		}
	}
	if e.MaxAttempts < 1 || e.MaxAttempts > 100 {
		bad("authenticator.events.max_attempts", "must be 1 to 100, got %d", e.MaxAttempts)
	}
	if e.MaxAge < time.Minute || e.MaxAge > 720*time.Hour {
		bad("authenticator.events.max_age", "must be 1m to 720h, got %v", e.MaxAge)
	}
}

// RecoveryConfig configures account recovery.
type RecoveryConfig struct {
	// KeepCredentials keeps a user's other passkeys active after a recovery
	// registers a replacement (authenticator.Config.KeepCredentialsOnRecovery);
	// false, the default, revokes them.
	KeepCredentials bool `yaml:"keep_credentials"`
}

// PolicyConfig mirrors authenticator.Policy.
type PolicyConfig struct {
	AllowSynced bool     `yaml:"allow_synced"`
	AAGUIDAllow []string `yaml:"aaguid_allow"`
	AAGUIDDeny  []string `yaml:"aaguid_deny"`
	Attestation string   `yaml:"attestation"`
}

// LevelConfig is one rung of the acr ladder.
type LevelConfig struct {
	Name     string   `yaml:"name"`
	ACR      string   `yaml:"acr"`
	Requires []string `yaml:"requires"`
}

// AMRConfig mirrors acr.AMRMapping.
type AMRConfig struct {
	DeviceBound    []string `yaml:"device_bound"`
	Synced         []string `yaml:"synced"`
	UserVerified   []string `yaml:"user_verified"`
	BiometricMatch []string `yaml:"biometric_match"`
}

// Store drivers: the durable store's implementations.
const (
	StoreSQLite   = "sqlite"   // authenticator/sqlite: one file, the embedded default
	StorePostgres = "postgres" // authenticator/postgres: production, shared by replicas
)

// StoreConfig selects the durable store.
type StoreConfig struct {
	Driver string `yaml:"driver"` // sqlite or postgres
	// DSN is the SQLite file path, or the PostgreSQL connection string (a
	// postgres:// URL or key=value pairs, as libpq and pgx read them).
	DSN string `yaml:"dsn"`
	// Password is the PostgreSQL password, kept out of DSN so that it
	// comes from the environment (BP_AUTHENTICATOR_STORE_PASSWORD) and is
	// never logged; it overrides a password in DSN. Empty leaves it to the
	// DSN, PGPASSWORD or ~/.pgpass (PGPASSFILE). Production refuses a
	// password inside DSN.
	Password Secret `yaml:"password"`
	// AutoMigrate brings the schema up to date whenever the authenticator
	// opens the store (the default). Off, it only checks that the schema
	// is this build's and refuses to start otherwise, and the operator runs
	// `biometric-passkey-plugin migrate` before rolling a release out.
	AutoMigrate bool `yaml:"auto_migrate"`
}

// EphemeralConfig selects the store for challenges and session levels.
type EphemeralConfig struct {
	Driver string      `yaml:"driver"` // memory or redis
	Redis  RedisConfig `yaml:"redis"`
}

// RedisConfig configures go-redis's UniversalClient: one address for a
// single server, several for Cluster, MasterName for Sentinel.
type RedisConfig struct {
	Addrs      []string `yaml:"addrs"`
	MasterName string   `yaml:"master_name"`
	Username   string   `yaml:"username"`
	Password   Secret   `yaml:"password"`
	DB         int      `yaml:"db"`
	Prefix     string   `yaml:"prefix"`
}

// Defaults returns the configuration of the embedded default.
func Defaults() Config {
	amr := acr.DefaultAMR()
	var levels []LevelConfig
	for _, lv := range acr.DefaultLevels() {
		lc := LevelConfig{Name: lv.Name, ACR: lv.ACR}
		for _, r := range lv.Requires {
			lc.Requires = append(lc.Requires, string(r))
		}
		levels = append(levels, lc)
	}
	return Config{
		Mode: ModeDevelopment,
		Log:  LogConfig{Level: "info", Format: "json"},
		Host: HostConfig{Listen: "127.0.0.1:8081", PublicURL: "http://localhost:8081", HydraAdminURL: "http://127.0.0.1:4445",
			EnrollmentScope: "passkey.enroll", ApprovalScope: "passkey.approvals", ShutdownTimeout: 10 * time.Second,
			OperatorRolesClaim: "roles"},
		Plugin: PluginConfig{StartTimeout: 10 * time.Second},
		Authenticator: AuthenticatorConfig{
			RPID: "localhost", RPDisplayName: "Biometric Passkey", RPOrigins: []string{"http://localhost:8081"},
			ChallengeTTL: authenticator.DefaultChallengeTTL, EnrollmentTTL: authenticator.DefaultEnrollmentTTL, SessionTTL: authenticator.DefaultSessionTTL,
			Policy: PolicyConfig{Attestation: authenticator.AttestationNone},
			Levels: levels,
			AMR:    AMRConfig{DeviceBound: amr.DeviceBound, Synced: amr.Synced, UserVerified: amr.UserVerified, BiometricMatch: amr.BiometricMatch},
			Store:  StoreConfig{Driver: StoreSQLite, DSN: "passkey.db", AutoMigrate: true}, Ephemeral: EphemeralConfig{Driver: "memory", Redis: RedisConfig{Prefix: "bp:"}},
			IDV: IDVConfig{
				Provider: IDVProviderNone, Timeout: authenticator.DefaultIDVTimeout, AttemptsPerHour: authenticator.DefaultIDVAttemptsPerHour,
				Sandbox: SandboxConfig{Listen: DefaultSandboxListen, PublicURL: DefaultSandboxPublicURL, TTL: sandbox.DefaultTTL},
			},
			Events: EventsConfig{MaxAttempts: webhook.DefaultMaxAttempts, MaxAge: webhook.DefaultMaxAge},
		},
		AdminUI: AdminUIConfig{Listen: DefaultAdminUIListen, PublicURL: DefaultAdminUIPublicURL, RoleClaim: "roles",
			SessionTTL: 8 * time.Hour},
	}
}

// EnvPrefix starts every environment override: BP_HOST_LISTEN overrides
// host.listen, BP_AUTHENTICATOR_EPHEMERAL_REDIS_ADDRS (comma-separated)
// overrides authenticator.ephemeral.redis.addrs.
const EnvPrefix = "BP_"

// Load reads path over Defaults, applies environment overrides from env
// (os.Environ form), and validates the result, reporting every problem.
func Load(path string, env []string) (Config, error) {
	cfg := Defaults()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("read config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)                                               // a misspelt key is an error, not a silent default
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) { // EOF: an empty file means all defaults
			return Config{}, fmt.Errorf("parse %s: %w", path, err)
		}
	}
	envs := envMap(env)
	if err := errors.Join(applyEnv(reflect.ValueOf(&cfg).Elem(), EnvPrefix, envs),
		applyEndpointSecrets(&cfg.Authenticator.Events, envs)); err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, EnvPrefix) {
			m[k] = v
		}
	}
	return m
}

// applyEnv walks the config struct by yaml tags and sets leaves from env.
func applyEnv(v reflect.Value, prefix string, env map[string]string) error {
	var errs []error
	t := v.Type()
	for i := range t.NumField() {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		name := prefix + strings.ToUpper(tag)
		f := v.Field(i)
		if f.Kind() == reflect.Struct {
			errs = append(errs, applyEnv(f, name+"_", env))
			continue
		}
		raw, ok := env[name]
		if !ok {
			continue
		}
		if err := setFromString(f, raw); err != nil {
			errs = append(errs, fmt.Errorf("environment %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

func setFromString(f reflect.Value, raw string) error {
	switch {
	case f.Type() == reflect.TypeOf(time.Duration(0)):
		d, err := time.ParseDuration(raw)
		if err != nil {
			return err
		}
		f.SetInt(int64(d))
	case f.Kind() == reflect.String:
		f.SetString(raw)
	case f.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return err
		}
		f.SetBool(b)
	case f.Kind() == reflect.Int:
		n, err := strconv.Atoi(raw)
		if err != nil {
			return err
		}
		f.SetInt(int64(n))
	case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String:
		var parts []string
		for _, p := range strings.Split(raw, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		f.Set(reflect.ValueOf(parts))
	default:
		return fmt.Errorf("cannot be set from the environment (%s)", f.Type())
	}
	return nil
}

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("invalid configuration")

// Validate checks the whole configuration and reports every problem at
// once, each naming its key. The authenticator's own checks run when it is
// built (they need its types); Validate covers what is app-level plus the
// production rules of DESIGN.md §7.9.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrInvalid, key, fmt.Sprintf(format, args...)))
	}
	if c.Mode != ModeDevelopment && c.Mode != ModeProduction {
		bad("mode", "must be %q or %q, got %q", ModeDevelopment, ModeProduction, c.Mode)
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		bad("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	if !slices.Contains([]string{"json", "text"}, c.Log.Format) {
		bad("log.format", "must be json or text, got %q", c.Log.Format)
	}
	if c.Host.Listen == "" {
		bad("host.listen", "must not be empty")
	}
	pub, err := url.Parse(c.Host.PublicURL)
	if err != nil || pub.Host == "" || (pub.Scheme != "http" && pub.Scheme != "https") {
		bad("host.public_url", "must be an absolute http(s) URL, got %q", c.Host.PublicURL)
	}
	if u, err := url.Parse(c.Host.HydraAdminURL); err != nil || u.Host == "" {
		bad("host.hydra_admin_url", "must be an absolute URL, got %q", c.Host.HydraAdminURL)
	}
	if c.Host.EnrollmentScope == "" || strings.ContainsAny(c.Host.EnrollmentScope, " \t") {
		bad("host.enrollment_scope", "must be one scope token, got %q", c.Host.EnrollmentScope)
	}
	if c.Host.ApprovalScope == "" || strings.ContainsAny(c.Host.ApprovalScope, " \t") {
		bad("host.approval_scope", "must be one scope token, got %q", c.Host.ApprovalScope)
	}
	if c.Plugin.SHA256 != "" && (len(c.Plugin.SHA256) != 64 || strings.Trim(strings.ToLower(c.Plugin.SHA256), "0123456789abcdef") != "") {
		bad("plugin.sha256", "must be 64 hex digits")
	}
	if c.Plugin.SHA256 != "" && c.Plugin.Path == "" {
		bad("plugin.sha256", "is set but plugin.path is empty (in-process mode cannot be pinned)")
	}
	a := c.Authenticator
	a.Store.validate(c.Mode, bad)
	switch a.Ephemeral.Driver {
	case "memory":
	case "redis":
		if len(a.Ephemeral.Redis.Addrs) == 0 {
			bad("authenticator.ephemeral.redis.addrs", "at least one address is required with the redis driver")
		}
	default:
		bad("authenticator.ephemeral.driver", "must be memory or redis, got %q", a.Ephemeral.Driver)
	}
	c.validateIDV(bad)
	c.AdminUI.validate(c.Mode, bad)
	for i, id := range c.Host.OperatorClients {
		if strings.TrimSpace(id) == "" {
			bad(fmt.Sprintf("host.operator_clients[%d]", i), "must not be empty")
		}
	}
	for _, sub := range slices.Sorted(maps.Keys(c.Host.OperatorRoles)) {
		if roles := c.Host.OperatorRoles[sub]; sub == "" || len(roles) == 0 || slices.Contains(roles, "") {
			bad(fmt.Sprintf("host.operator_roles[%q]", sub), "must be a non-empty external id with non-empty role values")
		}
	}
	if len(c.Host.OperatorRoles) > 0 && len(c.Host.OperatorClients) == 0 {
		bad("host.operator_roles", "is set but host.operator_clients is empty: no client would receive the roles")
	}
	if c.Host.OperatorRolesClaim == "" || strings.ContainsAny(c.Host.OperatorRolesClaim, " \t") {
		bad("host.operator_roles_claim", "must be one claim name, got %q", c.Host.OperatorRolesClaim)
	}
	if m := c.Host.MetricsListen; m != "" {
		if _, port, err := net.SplitHostPort(m); err != nil {
			bad("host.metrics_listen", "must be host:port, got %q", m)
		} else if port != "0" && (m == c.Host.Listen || (c.AdminUI.Enabled && m == c.AdminUI.Listen)) {
			bad("host.metrics_listen", "must not be host.listen or adminui.listen: metrics get a listener of their own, got %q", m)
		}
	}
	a.Events.validate(c.Mode, bad)
	if c.Mode == ModeProduction {
		if pub != nil && pub.Scheme != "https" {
			bad("host.public_url", "production requires https")
		}
		if c.Plugin.Path == "" || c.Plugin.SHA256 == "" {
			bad("plugin.sha256", "production requires an out-of-process plugin pinned by its SHA-256")
		}
		if a.Ephemeral.Driver == "memory" {
			bad("authenticator.ephemeral.driver", "production requires redis (memory loses ceremonies on restart and cannot be shared by replicas)")
		}
		for i, o := range a.RPOrigins {
			if !strings.HasPrefix(o, "https://") {
				bad(fmt.Sprintf("authenticator.rp_origins[%d]", i), "production requires https, got %q", o)
			}
		}
	}
	return errors.Join(errs...)
}

// validate checks the store's keys; production also refuses a PostgreSQL
// connection that is not TLS with the server's certificate and host name
// verified (sslmode=verify-full), unless it goes over a Unix socket, and a
// password written into the DSN, which would sit in the configuration
// file and in every copy of it (DESIGN.md §7.9).
func (s StoreConfig) validate(mode string, bad func(key, format string, args ...any)) {
	switch s.Driver {
	case StoreSQLite:
		if s.Password != "" {
			bad("authenticator.store.password", "only the postgres driver takes a password")
		}
	case StorePostgres:
	default:
		bad("authenticator.store.driver", "must be %s or %s, got %q", StoreSQLite, StorePostgres, s.Driver)
		return
	}
	if s.DSN == "" {
		bad("authenticator.store.dsn", "must not be empty")
		return
	}
	if s.Driver != StorePostgres {
		return
	}
	params, err := parsePostgresDSN(s.DSN)
	if err != nil {
		bad("authenticator.store.dsn", "not a PostgreSQL connection string: %v", err)
		return
	}
	if mode != ModeProduction {
		return
	}
	if params["password"] != "" {
		bad("authenticator.store.dsn", "production refuses a password in the DSN; set authenticator.store.password (BP_AUTHENTICATOR_STORE_PASSWORD) or use a ~/.pgpass file (PGPASSFILE)")
	}
	if !unixSocketsOnly(params["host"]) && params["sslmode"] != "verify-full" {
		bad("authenticator.store.dsn", "production requires sslmode=verify-full (TLS, with the server's certificate and host name verified) unless host is a Unix socket directory, got sslmode %q", params["sslmode"])
	}
}

// unixSocketsOnly reports whether hosts, a comma-separated libpq host list,
// names only Unix socket directories (absolute paths).
func unixSocketsOnly(hosts string) bool {
	if hosts == "" {
		return false // libpq's default may be a socket or localhost: say so explicitly
	}
	for h := range strings.SplitSeq(hosts, ",") {
		if !strings.HasPrefix(h, "/") {
			return false
		}
	}
	return true
}

// parsePostgresDSN reads the parameters of a PostgreSQL connection string,
// a postgres:// or postgresql:// URL or libpq key=value pairs
// (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING),
// well enough to check them. It does not resolve anything: the driver
// parses the string again, with the environment, when it connects.
func parsePostgresDSN(dsn string) (map[string]string, error) {
	params := map[string]string{}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return nil, errors.New("malformed URL") // url's error would repeat the DSN, password included
		}
		params["host"] = u.Hostname()
		if p, ok := u.User.Password(); ok {
			params["password"] = p
		}
		for k, v := range u.Query() {
			params[k] = v[len(v)-1]
		}
		return params, nil
	}
	rest := strings.TrimSpace(dsn)
	for rest != "" {
		key, after, ok := strings.Cut(rest, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.ContainsAny(key, " \t\n") {
			return nil, errors.New("want key=value pairs separated by spaces, or a postgres:// URL")
		}
		after = strings.TrimLeft(after, " \t\n")
		var value strings.Builder
		if strings.HasPrefix(after, "'") { // quoted: \' and \\ escape
			i, closed := 1, false
			for ; i < len(after); i++ {
				switch c := after[i]; {
				case c == '\\' && i+1 < len(after):
					i++
					value.WriteByte(after[i])
				case c == '\'':
					closed = true
				default:
					value.WriteByte(c)
				}
				if closed {
					break
				}
			}
			if !closed {
				return nil, fmt.Errorf("unterminated quoted value of %s", key)
			}
			after = after[i+1:]
		} else {
			i := 0
			for ; i < len(after) && !strings.ContainsRune(" \t\n", rune(after[i])); i++ {
				if after[i] == '\\' && i+1 < len(after) { // \ escapes the next byte, a space included
					i++
				}
				value.WriteByte(after[i])
			}
			after = after[i:]
		}
		params[key] = value.String()
		rest = strings.TrimSpace(after)
	}
	return params, nil
}
