package app

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
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
	// IDVProviderSandbox is recognised only to explain that it cannot be
	// configured yet (and is refused in production regardless).
	IDVProviderSandbox = "sandbox"
)

// ExampleReferenceKey is the reference key documented in
// examples/config.yaml. Production refuses it, as it refuses an all-zero
// key: both are public.
const ExampleReferenceKey = "ZXhhbXBsZS1yZWZlcmVuY2Uta2V5LWRvLW5vdC11c2U=" // "example-reference-key-do-not-use"

// IDVConfig selects the identity-verification provider behind the
// enrollment, step-up and recovery journeys. Its String, GoString and
// LogValue methods redact the secrets (reference_key, onfido.api_token,
// onfido.webhook_token), so printing or logging a Config never leaks them.
type IDVConfig struct {
	Provider string `yaml:"provider"` // none or onfido
	// ReferenceKey is base64 (standard alphabet) of 32 bytes: the key that
	// seals provider reference ids. Required unless provider is none.
	ReferenceKey Secret       `yaml:"reference_key"`
	Onfido       OnfidoConfig `yaml:"onfido"`
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
		bad("authenticator.idv.provider", "the sandbox is not available as a configured provider yet; use none or onfido")
		if err := sandbox.CheckAllowed(c.Mode); err != nil {
			bad("authenticator.idv.provider", "%v", err)
		}
	default:
		bad("authenticator.idv.provider", "must be none or onfido, got %q", idv.Provider)
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

// openIDV builds the provider and decodes the reference key; errors name
// the key. Provider none gives a nil provider.
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
	default:
		return nil, nil, fmt.Errorf("authenticator.idv.provider: %q cannot be configured (use none or onfido)", cfg.Provider)
	}
}
