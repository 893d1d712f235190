package perf_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"gopkg.in/yaml.v3"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/internal/app"
	"github.com/biometric-passkey/biometric-passkey/internal/softauthn"
	"github.com/biometric-passkey/biometric-passkey/internal/testenv"
	"github.com/biometric-passkey/biometric-passkey/plugin"
)

// parallelism is b.SetParallelism's argument for the throughput
// benchmarks: 16 goroutines per GOMAXPROCS, 32 on 2 cores.
const parallelism = 16

// config is the configuration both ceremony paths run: the embedded
// default with Redis for challenges and SQLite in a temporary file. The
// log level is warn, so the one info line per sign-in is not part of the
// measurement (in the plugin it would cross the process boundary on stderr).
func config(b *testing.B) app.Config {
	b.Helper()
	cfg := app.Defaults()
	cfg.Log.Level = "warn"
	a := &cfg.Authenticator
	a.Store.DSN = filepath.Join(b.TempDir(), "passkey.db")
	a.Ephemeral.Driver = "redis"
	a.Ephemeral.Redis.Addrs = []string{testenv.RedisAddr(b)}
	a.Ephemeral.Redis.Prefix = "perf-" + randomString(b, 6) + ":" // REDIS_ADDR may be shared
	return cfg
}

// logger writes the warnings and errors of the run to the benchmark's output.
func logger(b *testing.B) *slog.Logger {
	return slog.New(slog.NewTextHandler(b.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// inProcess returns the authenticator service itself, with its stores
// closed when the benchmark ends.
func inProcess(b *testing.B) plugin.Authenticator {
	b.Helper()
	cfg := config(b)
	svc, closeStores, err := app.OpenAuthenticator(b.Context(), cfg.Authenticator, logger(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := closeStores(); err != nil {
			b.Errorf("close stores: %v", err)
		}
	})
	return svc
}

// throughPlugin launches the plugin binary with the same configuration and
// returns its host, closed (the process ended) when the benchmark ends.
func throughPlugin(b *testing.B) plugin.Authenticator {
	b.Helper()
	bin := pluginBinary(b)
	cfg := config(b)
	raw, err := yaml.Marshal(cfg)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "config.yaml")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		b.Fatal(err)
	}
	host, err := plugin.Launch(b.Context(), plugin.LaunchConfig{Path: bin, Args: []string{"--config", path}, Logger: logger(b)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(host.Close)
	return host
}

// passkey is an enrolled user and the software authenticator holding the
// user's passkey.
type passkey struct {
	externalID string
	auth       *softauthn.Authenticator
}

// ceremonies runs routine sign-ins against svc.
type ceremonies struct {
	svc plugin.Authenticator
	// challenge is the stem of each login's challenge: Hydra v2's run to a
	// few hundred bytes, and the ceremony record in Redis carries it.
	challenge  string
	requestURL string
}

func newCeremonies(b *testing.B, svc plugin.Authenticator) *ceremonies {
	b.Helper()
	return &ceremonies{
		svc:        svc,
		challenge:  randomString(b, 240),
		requestURL: "http://127.0.0.1:4444/oauth2/auth?client_id=bank&response_type=code&scope=openid&state=" + randomString(b, 16),
	}
}

// enroll registers n users with a passkey each, through svc.
func (c *ceremonies) enroll(b *testing.B, n int) []passkey {
	b.Helper()
	ctx := b.Context()
	origin := app.Defaults().Authenticator.RPOrigins[0]
	out := make([]passkey, n)
	for i := range out {
		a, err := softauthn.New(softauthn.Options{RPID: app.Defaults().Authenticator.RPID, Origin: origin})
		if err != nil {
			b.Fatal(err)
		}
		id := "perf-user-" + strconv.Itoa(i)
		enr, err := c.svc.CreateEnrollment(ctx, authenticator.CreateEnrollmentRequest{ExternalUserID: id, ClientID: "bank"})
		if err != nil {
			b.Fatalf("CreateEnrollment: %v", err)
		}
		cer, err := c.svc.BeginRegistration(ctx, authenticator.BeginRegistrationRequest{EnrollmentToken: enr.Token})
		if err != nil {
			b.Fatalf("BeginRegistration: %v", err)
		}
		resp, err := a.Register(cer.Options)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.svc.FinishRegistration(ctx, authenticator.FinishRequest{CeremonyID: cer.ID, Response: resp}); err != nil {
			b.Fatalf("FinishRegistration: %v", err)
		}
		out[i] = passkey{externalID: id, auth: a}
	}
	return out
}

// run signs pk in once, usernameless, for the n-th login of the run, and
// returns the time spent in the server calls (begin + finish), without the
// client's signing between them.
func (c *ceremonies) run(ctx context.Context, pk passkey, n int64) (time.Duration, error) {
	suffix := strconv.FormatInt(n, 10)
	lr := authenticator.LoginRequest{
		Challenge: c.challenge + "-" + suffix, SessionID: "perf-session-" + suffix,
		ClientID: "bank", ACRValues: []string{acr.RoutineACR}, RequestURL: c.requestURL,
	}
	start := time.Now()
	cer, err := c.svc.BeginAuthentication(ctx, authenticator.BeginAuthenticationRequest{Login: lr})
	server := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("begin authentication: %w", err)
	}
	resp, err := pk.auth.Assert(cer.Options)
	if err != nil {
		return 0, fmt.Errorf("assert: %w", err)
	}
	start = time.Now()
	res, err := c.svc.FinishAuthentication(ctx, authenticator.FinishRequest{CeremonyID: cer.ID, Response: resp})
	server += time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("finish authentication: %w", err)
	}
	if res.Subject != pk.externalID || res.Outcome.ACR != acr.RoutineACR {
		return 0, fmt.Errorf("signed in %q at %q, want %q at %q", res.Subject, res.Outcome.ACR, pk.externalID, acr.RoutineACR)
	}
	return server, nil
}

// bareUser is a webauthn.User with one registered credential.
type bareUser struct {
	handle []byte
	creds  []webauthn.Credential
}

func (u *bareUser) WebAuthnID() []byte                         { return u.handle }
func (u *bareUser) WebAuthnName() string                       { return "perf-user" }
func (u *bareUser) WebAuthnDisplayName() string                { return "Perf User" }
func (u *bareUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// bare is go-webauthn without our service: a relying party configured as
// authenticator.New configures it, one user with one passkey, and one
// assertion for a login ceremony.
type bare struct {
	wa        *webauthn.WebAuthn
	user      *bareUser
	session   webauthn.SessionData
	assertion []byte // the response to session's challenge
	auth      *softauthn.Authenticator
	// options are the navigator.credentials.get() options of a usernameless
	// ceremony, as BeginAuthentication returns them.
	options []byte
}

func newBare(b *testing.B) *bare {
	b.Helper()
	def := app.Defaults().Authenticator
	wa, err := webauthn.New(&webauthn.Config{
		RPID: def.RPID, RPDisplayName: def.RPDisplayName, RPOrigins: def.RPOrigins,
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification:   protocol.VerificationRequired,
		},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: def.ChallengeTTL, TimeoutUVD: def.ChallengeTTL},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: def.ChallengeTTL, TimeoutUVD: def.ChallengeTTL},
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	a, err := softauthn.New(softauthn.Options{RPID: def.RPID, Origin: def.RPOrigins[0]})
	if err != nil {
		b.Fatal(err)
	}
	f := &bare{wa: wa, user: &bareUser{handle: []byte(randomString(b, 32))}, auth: a}

	creation, regSession, err := wa.BeginRegistration(f.user)
	if err != nil {
		b.Fatal(err)
	}
	resp, err := a.Register(mustJSON(b, creation))
	if err != nil {
		b.Fatal(err)
	}
	parsedReg, err := protocol.ParseCredentialCreationResponseBytes(resp)
	if err != nil {
		b.Fatal(err)
	}
	cred, err := wa.CreateCredential(f.user, *regSession, parsedReg)
	if err != nil {
		b.Fatal(err)
	}
	f.user.creds = []webauthn.Credential{*cred}

	uv := webauthn.WithUserVerification(protocol.VerificationRequired)
	assertion, session, err := wa.BeginLogin(f.user, uv)
	if err != nil {
		b.Fatal(err)
	}
	if f.assertion, err = a.Assert(mustJSON(b, assertion)); err != nil {
		b.Fatal(err)
	}
	f.session = *session
	discoverable, _, err := wa.BeginDiscoverableLogin(uv)
	if err != nil {
		b.Fatal(err)
	}
	f.options = mustJSON(b, discoverable)
	return f
}

// verify is the bare verification: parse the assertion and validate it.
func (f *bare) verify() error {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(f.assertion)
	if err != nil {
		return fmt.Errorf("parse assertion: %w", err)
	}
	if _, err := f.wa.ValidateLogin(f.user, f.session, parsed); err != nil {
		return fmt.Errorf("validate login: %w", err)
	}
	return nil
}

func mustJSON(b *testing.B, v any) []byte {
	b.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// randomString returns n random bytes as unpadded base64url.
func randomString(b *testing.B, n int) string {
	b.Helper()
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		b.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(buf)
}
