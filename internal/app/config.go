package app

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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

// StoreConfig selects the durable store.
type StoreConfig struct {
	Driver string `yaml:"driver"` // sqlite
	DSN    string `yaml:"dsn"`
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
			EnrollmentScope: "passkey.enroll", ApprovalScope: "passkey.approvals", ShutdownTimeout: 10 * time.Second},
		Plugin: PluginConfig{StartTimeout: 10 * time.Second},
		Authenticator: AuthenticatorConfig{
			RPID: "localhost", RPDisplayName: "Biometric Passkey", RPOrigins: []string{"http://localhost:8081"},
			ChallengeTTL: authenticator.DefaultChallengeTTL, EnrollmentTTL: authenticator.DefaultEnrollmentTTL, SessionTTL: authenticator.DefaultSessionTTL,
			Policy: PolicyConfig{Attestation: authenticator.AttestationNone},
			Levels: levels,
			AMR:    AMRConfig{DeviceBound: amr.DeviceBound, Synced: amr.Synced, UserVerified: amr.UserVerified, BiometricMatch: amr.BiometricMatch},
			Store:  StoreConfig{Driver: "sqlite", DSN: "passkey.db"}, Ephemeral: EphemeralConfig{Driver: "memory", Redis: RedisConfig{Prefix: "bp:"}},
			IDV: IDVConfig{
				Provider: IDVProviderNone, Timeout: authenticator.DefaultIDVTimeout, AttemptsPerHour: authenticator.DefaultIDVAttemptsPerHour,
				Sandbox: SandboxConfig{Listen: DefaultSandboxListen, PublicURL: DefaultSandboxPublicURL, TTL: sandbox.DefaultTTL},
			},
		},
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
	if err := applyEnv(reflect.ValueOf(&cfg).Elem(), EnvPrefix, envMap(env)); err != nil {
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
	if a.Store.Driver != "sqlite" {
		bad("authenticator.store.driver", "must be sqlite, got %q", a.Store.Driver)
	}
	if a.Store.DSN == "" {
		bad("authenticator.store.dsn", "must not be empty")
	}
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
