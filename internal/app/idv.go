package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/onfido"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/sandbox"
)

// Identity-verification providers (authenticator.idv.provider).
const (
	IDVProviderNone   = "none"
	IDVProviderOnfido = onfido.Name
	// IDVProviderSandbox is the development stand-in that compares nothing
	// (idvbridge/sandbox). The process that holds it serves its capture
	// pages on authenticator.idv.sandbox.listen (ADR 6); production refuses
	// it.
	IDVProviderSandbox = sandbox.Name
)

// Defaults of the sandbox block: the port make run uses as well.
const (
	DefaultSandboxListen    = "127.0.0.1:8090"
	DefaultSandboxPublicURL = "http://localhost:8090/sandbox/idv"
)

// ExampleReferenceKey is the reference key documented in
// examples/config.yaml. Production refuses it, as it refuses an all-zero
// key: both are public.
const ExampleReferenceKey = "ZXhhbXBsZS1yZWZlcmVuY2Uta2V5LWRvLW5vdC11c2U=" // "example-reference-key-do-not-use"

// IDVConfig selects the identity-verification provider behind the
// enrollment, step-up and recovery journeys. Its secrets (reference_key,
// onfido.api_token, onfido.webhook_token, sandbox.webhook_secret) are
// Secrets, so printing or logging a Config never leaks them.
type IDVConfig struct {
	Provider string `yaml:"provider"` // none, onfido or sandbox
	// ReferenceKey is base64 (standard alphabet) of 32 bytes: the key that
	// seals provider reference ids. Required unless provider is none.
	ReferenceKey Secret `yaml:"reference_key"`
	// Timeout is how long a journey waits for its check's outcome
	// (authenticator.Config.IDVTimeout); 0 = the authenticator's default.
	Timeout time.Duration `yaml:"timeout"`
	// AttemptsPerHour bounds the checks one user may start per hour
	// (authenticator.Config.IDVAttemptsPerHour); 0 = the default.
	AttemptsPerHour int           `yaml:"attempts_per_hour"`
	Onfido          OnfidoConfig  `yaml:"onfido"`
	Sandbox         SandboxConfig `yaml:"sandbox"`
}

// Bounds of IDVConfig.Timeout and AttemptsPerHour, as authenticator.New
// enforces them.
const (
	maxIDVTimeout         = time.Hour
	maxIDVAttemptsPerHour = 1000
)

// SandboxConfig configures the sandbox provider; read only when provider is
// sandbox. The process that holds the provider (the plugin, or the host
// when the authenticator runs in-process) serves the capture pages on
// Listen, and browsers reach them at PublicURL (ADR 6).
type SandboxConfig struct {
	// Listen is the host:port the capture pages are served on.
	Listen string `yaml:"listen"`
	// PublicURL is where browsers reach them, path included: capture URLs
	// are PublicURL/capture/{run}. Absolute http(s).
	PublicURL string `yaml:"public_url"`
	// WebhookSecret signs the sandbox's notifications (at least
	// sandbox.MinWebhookSecret bytes). Empty: a random one is generated at
	// start (development only, and the sandbox is development only).
	WebhookSecret Secret `yaml:"webhook_secret"`
	// TTL is how long a check may stay pending; 0 = sandbox.DefaultTTL.
	TTL time.Duration `yaml:"ttl"`
}

// OnfidoConfig mirrors onfido.Config; read only when provider is onfido.
type OnfidoConfig struct {
	APIToken     Secret                `yaml:"api_token"`
	Region       string                `yaml:"region"`
	BaseURL      string                `yaml:"base_url"`
	Workflows    OnfidoWorkflowsConfig `yaml:"workflows"`
	WebhookToken Secret                `yaml:"webhook_token"`
	LinkTTL      time.Duration         `yaml:"link_ttl"`
	Timeout      time.Duration         `yaml:"timeout"`
	MaxRetries   int                   `yaml:"max_retries"`
}

// OnfidoWorkflowsConfig names the Studio workflow id of each journey.
type OnfidoWorkflowsConfig struct {
	Enrollment string `yaml:"enrollment"`
	StepUp     string `yaml:"step_up"`
	Recovery   string `yaml:"recovery"`
}

// onfidoConfig converts to onfido.Config (whose LogValue redacts as well).
func (c IDVConfig) onfidoConfig() onfido.Config {
	o := c.Onfido
	return onfido.Config{
		APIToken: o.APIToken.Reveal(), Region: onfido.Region(o.Region), BaseURL: o.BaseURL,
		Workflows:    onfido.Workflows{Enrollment: o.Workflows.Enrollment, StepUp: o.Workflows.StepUp, Recovery: o.Workflows.Recovery},
		WebhookToken: o.WebhookToken.Reveal(), LinkTTL: o.LinkTTL, Timeout: o.Timeout, MaxRetries: o.MaxRetries,
	}
}

// referenceKey decodes ReferenceKey; empty gives nil.
func (c IDVConfig) referenceKey() ([]byte, error) {
	if c.ReferenceKey == "" {
		return nil, nil
	}
	k, err := base64.StdEncoding.DecodeString(c.ReferenceKey.Reveal())
	if err != nil {
		return nil, errors.New("is not valid base64 (standard alphabet, padded)") // the value is not echoed
	}
	if len(k) != authenticator.ReferenceKeySize {
		return nil, fmt.Errorf("must decode to %d bytes, got %d", authenticator.ReferenceKeySize, len(k))
	}
	return k, nil
}

// onfidoKeys maps onfido.Config field names, as its errors name them, to
// configuration keys.
var onfidoKeys = map[string]string{
	"APIToken": "api_token", "Region": "region", "BaseURL": "base_url",
	"Workflows.Enrollment": "workflows.enrollment", "Workflows.StepUp": "workflows.step_up", "Workflows.Recovery": "workflows.recovery",
	"WebhookToken": "webhook_token", "LinkTTL": "link_ttl", "Timeout": "timeout", "MaxRetries": "max_retries",
}

// onfidoWords rewrites onfido.Config vocabulary in its messages.
var onfidoWords = strings.NewReplacer("Region or BaseURL", "region or base_url", "NoRetries", "-1")

// onfidoProblems runs onfido's own validation and returns each problem
// under its configuration key (onfido never echoes a secret).
func onfidoProblems(err error, bad func(key, format string, args ...any)) {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	const base = "authenticator.idv.onfido"
	for _, e := range list {
		msg := onfidoWords.Replace(strings.TrimPrefix(e.Error(), "onfido: "))
		if rest, ok := strings.CutPrefix(msg, "Config."); ok {
			if field, problem, ok := strings.Cut(rest, ": "); ok {
				if key, ok := onfidoKeys[field]; ok {
					bad(base+"."+key, "%s", problem)
					continue
				}
			}
		}
		bad(base, "%s", msg)
	}
}

// validateIDV adds the problems of authenticator.idv to bad.
func (c Config) validateIDV(bad func(key, format string, args ...any)) {
	idv := c.Authenticator.IDV
	key, keyErr := idv.referenceKey()
	if keyErr != nil {
		bad("authenticator.idv.reference_key", "%v", keyErr)
	}
	switch idv.Provider {
	case IDVProviderNone:
	case IDVProviderOnfido:
		if idv.ReferenceKey == "" {
			bad("authenticator.idv.reference_key", "required with provider %q (base64 of %d random bytes, e.g. openssl rand -base64 32)", idv.Provider, authenticator.ReferenceKeySize)
		}
		if _, err := onfido.New(idv.onfidoConfig()); err != nil {
			onfidoProblems(err, bad)
		}
		if c.Mode == ModeProduction && strings.HasPrefix(strings.ToLower(idv.Onfido.BaseURL), "http://") {
			bad("authenticator.idv.onfido.base_url", "production requires https")
		}
	case IDVProviderSandbox:
		if err := sandbox.CheckAllowed(c.Mode); err != nil {
			bad("authenticator.idv.provider", "%v", err)
		}
		if idv.ReferenceKey == "" {
			bad("authenticator.idv.reference_key", "required with provider %q (base64 of %d random bytes, e.g. openssl rand -base64 32)", idv.Provider, authenticator.ReferenceKeySize)
		}
		idv.Sandbox.validate(bad)
	default:
		bad("authenticator.idv.provider", "must be none, onfido or sandbox, got %q", idv.Provider)
	}
	if idv.Timeout != 0 && (idv.Timeout < time.Second || idv.Timeout > maxIDVTimeout) {
		bad("authenticator.idv.timeout", "must be between 1s and %s (or 0 for the default, %s), got %s", maxIDVTimeout, authenticator.DefaultIDVTimeout, idv.Timeout)
	}
	if idv.AttemptsPerHour < 0 || idv.AttemptsPerHour > maxIDVAttemptsPerHour {
		bad("authenticator.idv.attempts_per_hour", "must be between 1 and %d (or 0 for the default, %d), got %d", maxIDVAttemptsPerHour, authenticator.DefaultIDVAttemptsPerHour, idv.AttemptsPerHour)
	}
	if c.Mode == ModeProduction && key != nil {
		example, _ := base64.StdEncoding.DecodeString(ExampleReferenceKey)
		switch {
		case bytes.Equal(key, make([]byte, len(key))):
			bad("authenticator.idv.reference_key", "production refuses an all-zero key; generate one (openssl rand -base64 32)")
		case bytes.Equal(key, example):
			bad("authenticator.idv.reference_key", "production refuses the key from examples/config.yaml; generate one (openssl rand -base64 32)")
		}
	}
}

// validate adds the problems of authenticator.idv.sandbox to bad.
func (c SandboxConfig) validate(bad func(key, format string, args ...any)) {
	const base = "authenticator.idv.sandbox."
	if err := checkListen(c.Listen); err != nil {
		bad(base+"listen", "%v", err)
	}
	if u, err := url.Parse(c.PublicURL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		bad(base+"public_url", "must be an absolute http(s) URL, got %q", c.PublicURL)
	} else if _, err := sandbox.New(sandbox.Config{Mode: sandbox.ModeDevelopment, BaseURL: c.PublicURL, WebhookSecret: strings.Repeat("x", sandbox.MinWebhookSecret)}); err != nil {
		// The sandbox's own rules for the rest (no query, a plain path…);
		// its message names its field, BaseURL.
		bad(base+"public_url", "%s", strings.TrimPrefix(err.Error(), idvbridge.ErrInvalid.Error()+": sandbox config BaseURL: "))
	}
	if n := len(c.WebhookSecret.Reveal()); n > 0 && n < sandbox.MinWebhookSecret {
		bad(base+"webhook_secret", "must be at least %d bytes, got %d (or empty to generate one at start)", sandbox.MinWebhookSecret, n)
	}
	if c.TTL < 0 || c.TTL > sandbox.MaxTTL {
		bad(base+"ttl", "must be between 0 (the default, %s) and %s, got %s", sandbox.DefaultTTL, sandbox.MaxTTL, c.TTL)
	}
}

// checkListen accepts host:port with a port from 1 to 65535 (the host may
// be empty: every interface).
func checkListen(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("must be host:port, got %q", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("must name a port from 1 to 65535, got %q", addr)
	}
	return nil
}

// openIDV builds the provider and decodes the reference key; errors name
// the key. Provider none gives a nil provider; the sandbox is built by
// openSandbox, which needs the mode and the service.
func openIDV(cfg IDVConfig, log *slog.Logger) (provider idvbridge.Provider, key []byte, err error) {
	if key, err = cfg.referenceKey(); err != nil {
		return nil, nil, fmt.Errorf("authenticator.idv.reference_key: %w", err)
	}
	switch cfg.Provider {
	case IDVProviderNone, "":
		return nil, key, nil
	case IDVProviderOnfido:
		if key == nil {
			return nil, nil, fmt.Errorf("authenticator.idv.reference_key: required with provider %q", cfg.Provider)
		}
		oc := cfg.onfidoConfig()
		oc.Logger = log
		p, err := onfido.New(oc)
		if err != nil {
			return nil, nil, fmt.Errorf("authenticator.idv.onfido: %w", err)
		}
		return p, key, nil
	case IDVProviderSandbox:
		return nil, nil, fmt.Errorf("authenticator.idv.provider: the sandbox is built by StartAuthenticator, which serves its capture pages (ADR 6)")
	default:
		return nil, nil, fmt.Errorf("authenticator.idv.provider: %q cannot be configured (use none, onfido or sandbox)", cfg.Provider)
	}
}

// Sandbox serving. The sandbox keeps its runs in the memory of the process
// that holds the Provider, so that process serves the capture pages, on a
// listener of its own (ADR 6).
const (
	// notifyTimeout bounds the webhook intake of one sandbox notification.
	notifyTimeout = 30 * time.Second
	// sandboxShutdownTimeout is how long requests in flight get when the
	// sandbox's server stops.
	sandboxShutdownTimeout = 5 * time.Second
)

// openSandbox builds the sandbox provider in mode (refused unless
// development). An empty webhook secret is replaced by a random one for
// this process: the sandbox both signs and verifies its notifications, so
// nothing else needs to know it.
func openSandbox(mode string, cfg SandboxConfig, log *slog.Logger, notify func(context.Context, http.Header, []byte) error) (*sandbox.Provider, error) {
	secret := cfg.WebhookSecret.Reveal()
	if secret == "" && mode == ModeDevelopment {
		b := make([]byte, 32)
		_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
		secret = hex.EncodeToString(b)
		log.Info("authenticator.idv.sandbox.webhook_secret is empty: generated a random one for this run (development)")
	}
	p, err := sandbox.New(sandbox.Config{
		Mode: mode, BaseURL: cfg.PublicURL, WebhookSecret: secret, TTL: cfg.TTL, Logger: log, Notify: notify,
	})
	if err != nil {
		return nil, fmt.Errorf("authenticator.idv.sandbox: %w", err)
	}
	return p, nil
}

// sandboxServer serves a sandbox's capture pages.
type sandboxServer struct {
	srv  *http.Server
	ln   net.Listener
	done chan struct{}
}

// serveSandbox listens on cfg.Listen and serves p's handler under p.Path().
func serveSandbox(p *sandbox.Provider, cfg SandboxConfig, log *slog.Logger) (*sandboxServer, error) {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("authenticator.idv.sandbox.listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle(p.Path()+"/", p.Handler())
	s := &sandboxServer{ln: ln, done: make(chan struct{}), srv: &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// The capture form's handler waits for the webhook intake.
		WriteTimeout:   notifyTimeout + 30*time.Second,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("sandbox capture pages stopped", "addr", ln.Addr().String(), "err", err)
		}
	}()
	log.Info("sandbox capture pages listening", "addr", ln.Addr().String(), "public_url", cfg.PublicURL)
	return s, nil
}

// close stops the server, letting requests in flight finish for a while.
func (s *sandboxServer) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), sandboxShutdownTimeout)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = errors.Join(err, s.srv.Close())
	}
	<-s.done
	if err != nil {
		return fmt.Errorf("sandbox capture pages: shutdown: %w", err)
	}
	return nil
}
