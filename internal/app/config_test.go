package app

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/onfido/onfidofake"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/sandbox"
)

const exampleConfig = "../../examples/config.yaml"

func TestExampleConfigLoadsAndExplainsEveryKey(t *testing.T) {
	t.Parallel()
	cfg, err := Load(exampleConfig, nil)
	if err != nil {
		t.Fatalf("examples/config.yaml: %v", err)
	}
	if cfg.Mode != ModeProduction || cfg.Authenticator.Ephemeral.Driver != "redis" {
		t.Errorf("got mode %q driver %q, want the production example", cfg.Mode, cfg.Authenticator.Ephemeral.Driver)
	}
	text, err := os.ReadFile(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range yamlKeys(reflect.TypeOf(Config{})) {
		if !strings.Contains(string(text), key+":") {
			t.Errorf("examples/config.yaml does not show key %q", key)
		}
	}
}

func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		keys = append(keys, tag)
		ft := f.Type
		if ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeOf(time.Time{}) {
			keys = append(keys, yamlKeys(ft)...)
		}
	}
	return keys
}

func TestLoadEnvironmentOverrides(t *testing.T) {
	t.Parallel()
	cfg, err := Load("", []string{
		"BP_HOST_PUBLIC_URL=http://localhost:9000",
		"BP_AUTHENTICATOR_CHALLENGE_TTL=90s",
		"BP_AUTHENTICATOR_POLICY_ALLOW_SYNCED=true",
		"BP_AUTHENTICATOR_RP_ORIGINS=http://localhost:9000, http://localhost:9001",
		"BP_AUTHENTICATOR_EPHEMERAL_REDIS_DB=3",
		"BP_HOST_APPROVAL_SCOPE=bank.approvals",
		"UNRELATED=1",
	})
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Authenticator
	if cfg.Host.PublicURL != "http://localhost:9000" || a.ChallengeTTL != 90*time.Second || !a.Policy.AllowSynced ||
		len(a.RPOrigins) != 2 || a.RPOrigins[1] != "http://localhost:9001" || a.Ephemeral.Redis.DB != 3 ||
		cfg.Host.ApprovalScope != "bank.approvals" {
		t.Errorf("overrides not applied: %+v", cfg)
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "c.yaml")
	body := "mode: production\nlog: {level: loud}\nhost: {public_url: 'http://login.example.com', approval_scope: 'a b'}\nplugin: {sha256: xyz}\nauthenticator: {ephemeral: {driver: memory}}\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, []string{"BP_AUTHENTICATOR_CHALLENGE_TTL=soon"})
	if err == nil {
		t.Fatal("got nil error, want problems")
	}
	if _, err := Load(path, nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("got %v, want ErrInvalid", err)
	}
	_, err = Load(path, nil)
	for _, key := range []string{"log.level", "host.public_url", "host.approval_scope", "plugin.sha256", "authenticator.ephemeral.driver", "authenticator.rp_origins[0]"} {
		if !strings.Contains(err.Error(), key+":") {
			t.Errorf("error does not name %s:\n%v", key, err)
		}
	}
}

func TestLoadRejectsUnknownKeys(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte("host:\n  listne: ':80'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, nil); err == nil || !strings.Contains(err.Error(), "listne") {
		t.Errorf("got %v, want an error naming the unknown key", err)
	}
}

func TestParseCommand(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	if _, done, err := ParseCommand("x", []string{"--version"}, nil, &out); err != nil || !done || !strings.Contains(out.String(), "plugin protocol 1") {
		t.Errorf("--version: got done=%v err=%v output %q", done, err, out.String())
	}
	cmd, done, err := ParseCommand("x", []string{"--config", exampleConfig, "migrate"}, nil, &out)
	if err != nil || done || cmd.Config.Mode != ModeProduction || len(cmd.Args) != 1 || cmd.Args[0] != "migrate" {
		t.Errorf("got %+v done=%v err=%v, want the example config and args [migrate]", cmd.Args, done, err)
	}
	if _, _, err := ParseCommand("x", []string{"--nope"}, nil, &out); err == nil {
		t.Error("unknown flag: got nil error")
	}
}

const (
	testAPIToken     = "test-api-token-0123456789"
	testWebhookToken = "test-webhook-token-0123456789"
	testEnrollWF     = "11111111-1111-4111-8111-111111111111"
	testMatchWF      = "22222222-2222-4222-8222-222222222222"
)

// testReferenceKey is a key that is neither all-zero nor the example's.
var testReferenceKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func wantKeys(t *testing.T, err error, keys ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil error, want problems naming %v", keys)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("got %v, want ErrInvalid", err)
	}
	for _, key := range keys {
		if !strings.Contains(err.Error(), key+":") {
			t.Errorf("error does not name %s:\n%v", key, err)
		}
	}
}

func TestLoadIDVReportsEveryProblem(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `authenticator:
  idv:
    provider: onfido
    reference_key: "not base64!"
    onfido:
      region: us
      base_url: "https://idv-proxy.example.com/v3.6"
      workflows: {step_up: not-a-uuid}
      max_retries: 99
`)
	_, err := Load(path, nil)
	wantKeys(t, err,
		"authenticator.idv.reference_key",
		"authenticator.idv.onfido.api_token",
		"authenticator.idv.onfido.base_url",
		"authenticator.idv.onfido.workflows.enrollment",
		"authenticator.idv.onfido.workflows.step_up",
		"authenticator.idv.onfido.workflows.recovery",
		"authenticator.idv.onfido.webhook_token",
		"authenticator.idv.onfido.max_retries",
	)

	short := base64.StdEncoding.EncodeToString([]byte("too short"))
	_, err = Load("", []string{"BP_AUTHENTICATOR_IDV_REFERENCE_KEY=" + short})
	wantKeys(t, err, "authenticator.idv.reference_key")
	if !strings.Contains(err.Error(), "32 bytes") {
		t.Errorf("got %v, want the length named", err)
	}

	_, err = Load("", []string{"BP_AUTHENTICATOR_IDV_PROVIDER=jumio"})
	wantKeys(t, err, "authenticator.idv.provider")

	// onfido without a reference key.
	_, err = Load("", []string{
		"BP_AUTHENTICATOR_IDV_PROVIDER=onfido",
		"BP_AUTHENTICATOR_IDV_ONFIDO_API_TOKEN=" + testAPIToken,
		"BP_AUTHENTICATOR_IDV_ONFIDO_WEBHOOK_TOKEN=" + testWebhookToken,
		"BP_AUTHENTICATOR_IDV_ONFIDO_WORKFLOWS_ENROLLMENT=" + testEnrollWF,
		"BP_AUTHENTICATOR_IDV_ONFIDO_WORKFLOWS_STEP_UP=" + testMatchWF,
		"BP_AUTHENTICATOR_IDV_ONFIDO_WORKFLOWS_RECOVERY=" + testMatchWF,
	})
	wantKeys(t, err, "authenticator.idv.reference_key")
}

// sandboxEnv switches the development defaults to the sandbox.
func sandboxEnv(extra ...string) []string {
	return append([]string{
		"BP_AUTHENTICATOR_IDV_PROVIDER=sandbox",
		"BP_AUTHENTICATOR_IDV_REFERENCE_KEY=" + testReferenceKey,
	}, extra...)
}

const testSandboxSecret = "test-sandbox-webhook-secret-0123"

func TestLoadIDVSandbox(t *testing.T) {
	t.Parallel()
	cfg, err := Load("", sandboxEnv(
		"BP_AUTHENTICATOR_IDV_SANDBOX_LISTEN=127.0.0.1:9090",
		"BP_AUTHENTICATOR_IDV_SANDBOX_PUBLIC_URL=https://idv.localhost:9443/sandbox",
		"BP_AUTHENTICATOR_IDV_SANDBOX_WEBHOOK_SECRET="+testSandboxSecret,
		"BP_AUTHENTICATOR_IDV_SANDBOX_TTL=5m",
	))
	if err != nil {
		t.Fatalf("sandbox from the environment: %v", err)
	}
	got := cfg.Authenticator.IDV.Sandbox
	want := SandboxConfig{Listen: "127.0.0.1:9090", PublicURL: "https://idv.localhost:9443/sandbox", WebhookSecret: testSandboxSecret, TTL: 5 * time.Minute}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	// The defaults alone are a working sandbox, its secret generated at start.
	cfg, err = Load("", sandboxEnv())
	if err != nil {
		t.Fatalf("sandbox with default settings: %v", err)
	}
	if got, want := cfg.Authenticator.IDV.Sandbox, (SandboxConfig{Listen: DefaultSandboxListen, PublicURL: DefaultSandboxPublicURL, TTL: sandbox.DefaultTTL}); got != want {
		t.Errorf("defaults: got %+v, want %+v", got, want)
	}
}

func TestLoadIDVSandboxProblems(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		env      []string
		path     string // a config file instead of the defaults
		wantKey  string
		wantText string
	}{
		"listen without port":   {env: sandboxEnv("BP_AUTHENTICATOR_IDV_SANDBOX_LISTEN=localhost"), wantKey: "authenticator.idv.sandbox.listen", wantText: "host:port"},
		"listen port zero":      {env: sandboxEnv("BP_AUTHENTICATOR_IDV_SANDBOX_LISTEN=127.0.0.1:0"), wantKey: "authenticator.idv.sandbox.listen", wantText: "1 to 65535"},
		"listen port too big":   {env: sandboxEnv("BP_AUTHENTICATOR_IDV_SANDBOX_LISTEN=127.0.0.1:70000"), wantKey: "authenticator.idv.sandbox.listen", wantText: "1 to 65535"},
		"listen empty":          {env: sandboxEnv("BP_AUTHENTICATOR_IDV_SANDBOX_LISTEN="), wantKey: "authenticator.idv.sandbox.listen", wantText: "host:port"},
		"relative public_url":   {env: sandboxEnv("BP_AUTHENTICATOR_IDV_SANDBOX_PUBLIC_URL=/sandbox/idv"), wantKey: "authenticator.idv.sandbox.public_url", wantText: "absolute http(s)"},
		"public_url not http":   {env: sandboxEnv("BP_AUTHENTICATOR_IDV_SANDBOX_PUBLIC_URL=ftp://localhost:8090/idv"), wantKey: "authenticator.idv.sandbox.public_url", wantText: "absolute http(s)"},
		"public_url with query": {env: sandboxEnv("BP_AUTHENTICATOR_IDV_SANDBOX_PUBLIC_URL=http://localhost:8090/idv?x=1"), wantKey: "authenticator.idv.sandbox.public_url", wantText: "query"},
		"short webhook secret":  {env: sandboxEnv("BP_AUTHENTICATOR_IDV_SANDBOX_WEBHOOK_SECRET=short"), wantKey: "authenticator.idv.sandbox.webhook_secret", wantText: "at least 16 bytes"},
		"ttl too long":          {env: sandboxEnv("BP_AUTHENTICATOR_IDV_SANDBOX_TTL=25h"), wantKey: "authenticator.idv.sandbox.ttl", wantText: "24h0m0s"},
		"negative ttl":          {env: sandboxEnv("BP_AUTHENTICATOR_IDV_SANDBOX_TTL=-1s"), wantKey: "authenticator.idv.sandbox.ttl", wantText: "-1s"},
		"no reference key":      {env: []string{"BP_AUTHENTICATOR_IDV_PROVIDER=sandbox"}, wantKey: "authenticator.idv.reference_key", wantText: "required with provider \"sandbox\""},
		"production refuses it": {path: exampleConfig, env: sandboxEnv(), wantKey: "authenticator.idv.provider", wantText: sandbox.CheckAllowed(ModeProduction).Error()},
		"unknown provider":      {env: []string{"BP_AUTHENTICATOR_IDV_PROVIDER=jumio"}, wantKey: "authenticator.idv.provider", wantText: "must be none, onfido or sandbox, got \"jumio\""},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(tc.path, tc.env)
			wantKeys(t, err, tc.wantKey)
			if err != nil && !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("got %v, want %s explained with %q", err, tc.wantKey, tc.wantText)
			}
		})
	}
}

// TestLoadIDVSandboxReportsEveryProblem: the sandbox's problems come all
// at once, with the production refusal among them.
func TestLoadIDVSandboxReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := Load(exampleConfig, []string{
		"BP_AUTHENTICATOR_IDV_PROVIDER=sandbox",
		"BP_AUTHENTICATOR_IDV_SANDBOX_LISTEN=nowhere",
		"BP_AUTHENTICATOR_IDV_SANDBOX_PUBLIC_URL=sandbox/idv",
		"BP_AUTHENTICATOR_IDV_SANDBOX_WEBHOOK_SECRET=short",
		"BP_AUTHENTICATOR_IDV_SANDBOX_TTL=48h",
	})
	wantKeys(t, err, "authenticator.idv.provider", "authenticator.idv.reference_key", "authenticator.idv.sandbox.listen",
		"authenticator.idv.sandbox.public_url", "authenticator.idv.sandbox.webhook_secret", "authenticator.idv.sandbox.ttl")
	if err != nil && !errors.Is(err, ErrInvalid) {
		t.Errorf("got %v, want ErrInvalid", err)
	}
	if err != nil && !strings.Contains(err.Error(), sandbox.ErrProductionRefused.Error()) {
		t.Errorf("got %v, want the sandbox's own production refusal", err)
	}
	// The sandbox block is read only with provider sandbox.
	if _, err := Load("", []string{"BP_AUTHENTICATOR_IDV_SANDBOX_LISTEN=nowhere"}); err != nil {
		t.Errorf("provider none with a broken sandbox block: got %v, want nil", err)
	}
}

func TestLoadIDVTimeoutAndAttempts(t *testing.T) {
	t.Parallel()
	cfg, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Authenticator.IDV; got.Timeout != authenticator.DefaultIDVTimeout || got.AttemptsPerHour != authenticator.DefaultIDVAttemptsPerHour {
		t.Errorf("defaults: got timeout %s, attempts %d, want %s, %d", got.Timeout, got.AttemptsPerHour, authenticator.DefaultIDVTimeout, authenticator.DefaultIDVAttemptsPerHour)
	}
	for name, tc := range map[string]struct {
		env          []string
		wantTimeout  time.Duration
		wantAttempts int
		wantKey      string // a problem, instead
	}{
		"overrides":          {env: []string{"BP_AUTHENTICATOR_IDV_TIMEOUT=90s", "BP_AUTHENTICATOR_IDV_ATTEMPTS_PER_HOUR=12"}, wantTimeout: 90 * time.Second, wantAttempts: 12},
		"zero means default": {env: []string{"BP_AUTHENTICATOR_IDV_TIMEOUT=0s", "BP_AUTHENTICATOR_IDV_ATTEMPTS_PER_HOUR=0"}},
		"bounds":             {env: []string{"BP_AUTHENTICATOR_IDV_TIMEOUT=1h", "BP_AUTHENTICATOR_IDV_ATTEMPTS_PER_HOUR=1000"}, wantTimeout: time.Hour, wantAttempts: 1000},
		"timeout too short":  {env: []string{"BP_AUTHENTICATOR_IDV_TIMEOUT=500ms"}, wantKey: "authenticator.idv.timeout"},
		"timeout too long":   {env: []string{"BP_AUTHENTICATOR_IDV_TIMEOUT=61m"}, wantKey: "authenticator.idv.timeout"},
		"negative timeout":   {env: []string{"BP_AUTHENTICATOR_IDV_TIMEOUT=-1m"}, wantKey: "authenticator.idv.timeout"},
		"negative attempts":  {env: []string{"BP_AUTHENTICATOR_IDV_ATTEMPTS_PER_HOUR=-1"}, wantKey: "authenticator.idv.attempts_per_hour"},
		"too many attempts":  {env: []string{"BP_AUTHENTICATOR_IDV_ATTEMPTS_PER_HOUR=1001"}, wantKey: "authenticator.idv.attempts_per_hour"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Load("", tc.env)
			if tc.wantKey != "" {
				wantKeys(t, err, tc.wantKey)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Authenticator.IDV; got.Timeout != tc.wantTimeout || got.AttemptsPerHour != tc.wantAttempts {
				t.Errorf("got timeout %s, attempts %d, want %s, %d", got.Timeout, got.AttemptsPerHour, tc.wantTimeout, tc.wantAttempts)
			}
		})
	}
	if _, err := Load("", []string{"BP_AUTHENTICATOR_IDV_ATTEMPTS_PER_HOUR=many"}); err == nil || !strings.Contains(err.Error(), "BP_AUTHENTICATOR_IDV_ATTEMPTS_PER_HOUR") {
		t.Errorf("got %v, want an error naming BP_AUTHENTICATOR_IDV_ATTEMPTS_PER_HOUR", err)
	}
}

func TestLoadRecoveryKeepCredentials(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		env  []string
		yaml string
		want bool
	}{
		"default revokes": {want: false},
		"environment":     {env: []string{"BP_AUTHENTICATOR_RECOVERY_KEEP_CREDENTIALS=true"}, want: true},
		"file":            {yaml: "authenticator: {recovery: {keep_credentials: true}}\n", want: true},
		"environment wins": {
			yaml: "authenticator: {recovery: {keep_credentials: true}}\n", env: []string{"BP_AUTHENTICATOR_RECOVERY_KEEP_CREDENTIALS=false"}, want: false,
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := ""
			if tc.yaml != "" {
				path = writeConfig(t, tc.yaml)
			}
			cfg, err := Load(path, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Authenticator.Recovery.KeepCredentials; got != tc.want {
				t.Errorf("got keep_credentials %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := Load("", []string{"BP_AUTHENTICATOR_RECOVERY_KEEP_CREDENTIALS=perhaps"}); err == nil || !strings.Contains(err.Error(), "BP_AUTHENTICATOR_RECOVERY_KEEP_CREDENTIALS") {
		t.Errorf("got %v, want an error naming BP_AUTHENTICATOR_RECOVERY_KEEP_CREDENTIALS", err)
	}
}

// onfidoEnv switches the production example to onfido, secrets from the
// environment.
func onfidoEnv(referenceKey string) []string {
	return []string{
		"BP_AUTHENTICATOR_IDV_PROVIDER=onfido",
		"BP_AUTHENTICATOR_IDV_REFERENCE_KEY=" + referenceKey,
		"BP_AUTHENTICATOR_IDV_ONFIDO_API_TOKEN=" + testAPIToken,
		"BP_AUTHENTICATOR_IDV_ONFIDO_WEBHOOK_TOKEN=" + testWebhookToken,
	}
}

func TestLoadIDVSecretsFromEnvironment(t *testing.T) {
	t.Parallel()
	cfg, err := Load(exampleConfig, onfidoEnv(testReferenceKey))
	if err != nil {
		t.Fatalf("production example with onfido from the environment: %v", err)
	}
	idv := cfg.Authenticator.IDV
	if idv.Provider != IDVProviderOnfido || idv.ReferenceKey.Reveal() != testReferenceKey || idv.Onfido.APIToken.Reveal() != testAPIToken ||
		idv.Onfido.WebhookToken.Reveal() != testWebhookToken || idv.Onfido.Workflows.StepUp != testMatchWF || idv.Onfido.LinkTTL != 15*time.Minute {
		t.Errorf("overrides not applied: %v", idv)
	}
}

func TestLoadIDVProductionRefusesPublicKeys(t *testing.T) {
	t.Parallel()
	text, err := os.ReadFile(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(text), ExampleReferenceKey) {
		t.Errorf("examples/config.yaml does not document ExampleReferenceKey %s", ExampleReferenceKey)
	}
	zero := base64.StdEncoding.EncodeToString(make([]byte, 32))
	for _, key := range []string{ExampleReferenceKey, zero} {
		_, err := Load(exampleConfig, onfidoEnv(key))
		wantKeys(t, err, "authenticator.idv.reference_key")
		if _, err := Load("", onfidoEnv(key)); err == nil || strings.Contains(err.Error(), "reference_key") {
			t.Errorf("development with key %s: got %v, want only problems unrelated to reference_key", key, err)
		}
	}
	_, err = Load(exampleConfig, append(onfidoEnv(testReferenceKey), "BP_AUTHENTICATOR_IDV_ONFIDO_REGION=", "BP_AUTHENTICATOR_IDV_ONFIDO_BASE_URL=http://127.0.0.1:9/v3.6"))
	wantKeys(t, err, "authenticator.idv.onfido.base_url")
}

func TestSecretsAreNeverPrinted(t *testing.T) {
	t.Parallel()
	const redisPassword = "redis-password-for-tests"
	cfg, err := Load(exampleConfig, append(onfidoEnv(testReferenceKey), "BP_AUTHENTICATOR_EPHEMERAL_REDIS_PASSWORD="+redisPassword,
		"BP_AUTHENTICATOR_IDV_SANDBOX_WEBHOOK_SECRET="+testSandboxSecret))
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "idv", cfg.Authenticator.IDV)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "idv", cfg.Authenticator.IDV, "config", cfg)
	for name, out := range map[string]string{
		"%v": fmt.Sprintf("%v", cfg), "%+v": fmt.Sprintf("%+v", cfg), "%#v": fmt.Sprintf("%#v", cfg),
		"%v idv": fmt.Sprintf("%v", cfg.Authenticator.IDV), "slog": logged.String(),
	} {
		for _, secret := range []string{testAPIToken, testWebhookToken, testReferenceKey, redisPassword, testSandboxSecret} {
			if strings.Contains(out, secret) {
				t.Errorf("%s prints a secret: %s", name, out)
			}
		}
		if !strings.Contains(out, "[redacted]") || !strings.Contains(out, testMatchWF) {
			t.Errorf("%s: got %s, want redacted secrets and the other settings", name, out)
		}
	}
}

func TestOpenAuthenticatorWithOnfido(t *testing.T) {
	t.Parallel()
	fake := onfidofake.New(onfidofake.Config{
		APIToken: testAPIToken, WebhookToken: testWebhookToken,
		EnrollmentWorkflows: []string{testEnrollWF}, AuthenticationWorkflows: []string{testMatchWF},
	})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)

	cfg := Defaults()
	cfg.Authenticator.Store.DSN = filepath.Join(t.TempDir(), "passkey.db")
	cfg.Authenticator.IDV = IDVConfig{
		Provider: IDVProviderOnfido, ReferenceKey: Secret(testReferenceKey),
		Onfido: OnfidoConfig{
			APIToken: Secret(testAPIToken), BaseURL: srv.URL + "/v3.6", WebhookToken: Secret(testWebhookToken),
			Workflows: OnfidoWorkflowsConfig{Enrollment: testEnrollWF, StepUp: testMatchWF, Recovery: testMatchWF},
		},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	svc, closeAll, err := OpenAuthenticator(t.Context(), cfg.Authenticator, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := closeAll(); err != nil {
			t.Error(err)
		}
	})
	caps, err := svc.Capabilities(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, lv := range acr.DefaultLevels() {
		if !slices.Contains(caps.ReachableACR, lv.ACR) {
			t.Errorf("level %s (%s) unreachable with onfido configured: reachable %v", lv.Name, lv.ACR, caps.ReachableACR)
		}
	}

	// Without a provider the step-up level is unreachable, and a broken
	// provider config is reported under its key.
	cfg.Authenticator.IDV = IDVConfig{Provider: IDVProviderNone}
	cfg.Authenticator.Store.DSN = filepath.Join(t.TempDir(), "none.db")
	plain, closePlain, err := OpenAuthenticator(t.Context(), cfg.Authenticator, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closePlain() })
	if caps, _ := plain.Capabilities(t.Context()); len(caps.ReachableACR) != len(acr.DefaultLevels())-1 {
		t.Errorf("provider none: reachable %v, want every level but step-up", caps.ReachableACR)
	}
	cfg.Authenticator.IDV = IDVConfig{Provider: IDVProviderOnfido, ReferenceKey: Secret(testReferenceKey)}
	if _, _, err := OpenAuthenticator(t.Context(), cfg.Authenticator, nil); err == nil || !strings.Contains(err.Error(), "authenticator.idv.onfido") {
		t.Errorf("got %v, want an error naming authenticator.idv.onfido", err)
	}
}

// TestSecretsSurviveYAML: devstack and the tests write generated
// configurations as YAML; a secret must round-trip there, not be redacted.
func TestSecretsSurviveYAML(t *testing.T) {
	t.Parallel()
	cfg := Defaults()
	cfg.Authenticator.Ephemeral.Redis.Password = "round-trip-password"
	b, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Authenticator.Ephemeral.Redis.Password.Reveal() != "round-trip-password" {
		t.Errorf("got password %q after a YAML round trip, want it unchanged", got.Authenticator.Ephemeral.Redis.Password.Reveal())
	}
}

func TestValidateStore(t *testing.T) {
	t.Parallel()
	const secret = "s3cret-pw"
	tests := map[string]struct {
		mode  string
		store StoreConfig
		want  []string // the store keys the error names; none when valid
	}{
		"sqlite":                     {ModeDevelopment, StoreConfig{Driver: StoreSQLite, DSN: "passkey.db"}, nil},
		"postgres in development":    {ModeDevelopment, StoreConfig{Driver: StorePostgres, DSN: "postgres://u:" + secret + "@localhost/db?sslmode=disable"}, nil},
		"unknown driver":             {ModeDevelopment, StoreConfig{Driver: "mysql", DSN: "x"}, []string{"authenticator.store.driver"}},
		"empty driver":               {ModeDevelopment, StoreConfig{DSN: "x"}, []string{"authenticator.store.driver"}},
		"sqlite without dsn":         {ModeDevelopment, StoreConfig{Driver: StoreSQLite}, []string{"authenticator.store.dsn"}},
		"postgres without dsn":       {ModeDevelopment, StoreConfig{Driver: StorePostgres}, []string{"authenticator.store.dsn"}},
		"sqlite with a password":     {ModeDevelopment, StoreConfig{Driver: StoreSQLite, DSN: "passkey.db", Password: secret}, []string{"authenticator.store.password"}},
		"postgres dsn not key=val":   {ModeDevelopment, StoreConfig{Driver: StorePostgres, DSN: "db.internal"}, []string{"authenticator.store.dsn"}},
		"postgres dsn open quote":    {ModeDevelopment, StoreConfig{Driver: StorePostgres, DSN: "host='db"}, []string{"authenticator.store.dsn"}},
		"production verify-full":     {ModeProduction, StoreConfig{Driver: StorePostgres, DSN: "postgres://passkey@db:5432/p?sslmode=verify-full"}, nil},
		"production key=value":       {ModeProduction, StoreConfig{Driver: StorePostgres, DSN: "host=db dbname=p sslmode=verify-full"}, nil},
		"production password key":    {ModeProduction, StoreConfig{Driver: StorePostgres, DSN: "host=db sslmode=verify-full", Password: secret}, nil},
		"production unix socket":     {ModeProduction, StoreConfig{Driver: StorePostgres, DSN: "host=/var/run/postgresql dbname=p"}, nil},
		"production socket in URL":   {ModeProduction, StoreConfig{Driver: StorePostgres, DSN: "postgres:///p?host=/var/run/postgresql"}, nil},
		"production sslmode=require": {ModeProduction, StoreConfig{Driver: StorePostgres, DSN: "postgres://db/p?sslmode=require"}, []string{"authenticator.store.dsn"}},
		"production no sslmode":      {ModeProduction, StoreConfig{Driver: StorePostgres, DSN: "host=db dbname=p"}, []string{"authenticator.store.dsn"}},
		"production socket and tcp":  {ModeProduction, StoreConfig{Driver: StorePostgres, DSN: "host=/sock,db sslmode=disable"}, []string{"authenticator.store.dsn"}},
		"production password in URL": {ModeProduction, StoreConfig{Driver: StorePostgres, DSN: "postgres://u:" + secret + "@db/p?sslmode=verify-full"},
			[]string{"authenticator.store.dsn"}},
		"production quoted password": {ModeProduction, StoreConfig{Driver: StorePostgres, DSN: `host=db password='` + secret + ` \' x' sslmode=verify-full`},
			[]string{"authenticator.store.dsn"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := Defaults()
			cfg.Mode = tc.mode
			cfg.Authenticator.Store = tc.store
			var got []string
			if err := cfg.Validate(); err != nil {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("Validate: got an error that shows the password:\n%v", err)
				}
				for line := range strings.SplitSeq(err.Error(), "\n") {
					if _, rest, ok := strings.Cut(line, "authenticator.store."); ok {
						key, _, _ := strings.Cut(rest, ":")
						got = append(got, "authenticator.store."+key)
					}
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Validate: got problems with %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParsePostgresDSN(t *testing.T) {
	t.Parallel()
	tests := map[string]map[string]string{
		"postgres://u:p%40ss@db.internal:5432/passkey?sslmode=verify-full&sslrootcert=/ca.pem": {
			"host": "db.internal", "password": "p@ss", "sslmode": "verify-full", "sslrootcert": "/ca.pem"},
		"postgresql:///passkey?host=/run/postgresql": {"host": "/run/postgresql"},
		`host=db  dbname = passkey password='it\'s a \\ secret' sslmode=verify-full`: {
			"host": "db", "dbname": "passkey", "password": `it's a \ secret`, "sslmode": "verify-full"},
		`host=db password=a\ b`: {"host": "db", "password": "a b"},
		"":                      {},
	}
	for dsn, want := range tests {
		got, err := parsePostgresDSN(dsn)
		if err != nil {
			t.Errorf("parsePostgresDSN(%q): got error %v, want nil", dsn, err)
			continue
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("parsePostgresDSN(%q): (-want +got)\n%s", dsn, d)
		}
	}
}

func TestLoadStoreFromEnvironment(t *testing.T) {
	t.Parallel()
	cfg, err := Load("", []string{
		"BP_AUTHENTICATOR_STORE_DRIVER=postgres",
		"BP_AUTHENTICATOR_STORE_DSN=host=db sslmode=verify-full",
		"BP_AUTHENTICATOR_STORE_PASSWORD=from-env",
		"BP_AUTHENTICATOR_STORE_AUTO_MIGRATE=false",
	})
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Authenticator.Store
	if s.Driver != StorePostgres || s.DSN != "host=db sslmode=verify-full" || s.Password.Reveal() != "from-env" || s.AutoMigrate {
		t.Errorf("store from the environment: got %+v, want postgres, the DSN, the password and auto_migrate false", s)
	}
	if d := Defaults().Authenticator.Store; d.Driver != StoreSQLite || !d.AutoMigrate {
		t.Errorf("default store: got %+v, want sqlite with auto_migrate on", d)
	}
}
