package app

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
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
		"UNRELATED=1",
	})
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Authenticator
	if cfg.Host.PublicURL != "http://localhost:9000" || a.ChallengeTTL != 90*time.Second || !a.Policy.AllowSynced ||
		len(a.RPOrigins) != 2 || a.RPOrigins[1] != "http://localhost:9001" || a.Ephemeral.Redis.DB != 3 {
		t.Errorf("overrides not applied: %+v", cfg)
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "c.yaml")
	body := "mode: production\nlog: {level: loud}\nhost: {public_url: 'http://login.example.com'}\nplugin: {sha256: xyz}\nauthenticator: {ephemeral: {driver: memory}}\n"
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
	for _, key := range []string{"log.level", "host.public_url", "plugin.sha256", "authenticator.ephemeral.driver", "authenticator.rp_origins[0]"} {
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
