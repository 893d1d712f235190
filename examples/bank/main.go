// Command bank runs Example Bank, the demo relying party (package bankapp).
// Every flag falls back to an environment variable, named in its help text.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/examples/bank/bankapp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bank:", err)
		os.Exit(1)
	}
}

// run parses flags, waits for discovery, serves until ctx ends and then
// shuts down gracefully.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("bank", flag.ContinueOnError)
	fs.SetOutput(stderr)
	str := func(p *string, name, env, def, usage string) {
		if v := getenv(env); v != "" {
			def = v
		}
		fs.StringVar(p, name, def, fmt.Sprintf("%s (env %s)", usage, env))
	}
	var cfg bankapp.Config
	var listen string
	str(&listen, "listen", "BANK_LISTEN", "127.0.0.1:8080", "address to listen on")
	str(&cfg.PublicURL, "public-url", "BANK_PUBLIC_URL", "http://localhost:8080", "the bank's base URL as browsers see it")
	str(&cfg.Issuer, "issuer", "BANK_ISSUER", "http://localhost:4444", "OpenID provider issuer (Hydra public URL)")
	str(&cfg.ClientID, "client-id", "BANK_CLIENT_ID", "", "authorization-code client id")
	str(&cfg.ClientSecret, "client-secret", "BANK_CLIENT_SECRET", "", "authorization-code client secret")
	str(&cfg.EnrollClientID, "enroll-client-id", "BANK_ENROLL_CLIENT_ID", "", "client_credentials client id for the enrollment API")
	str(&cfg.EnrollClientSecret, "enroll-client-secret", "BANK_ENROLL_CLIENT_SECRET", "", "client_credentials client secret for the enrollment API")
	str(&cfg.EnrollScope, "enroll-scope", "BANK_ENROLL_SCOPE", bankapp.DefaultEnrollScope, "scope for enrollment API tokens")
	str(&cfg.ProviderURL, "provider-url", "BANK_PROVIDER_URL", "http://localhost:8081", "login provider base URL for server-to-server calls")
	str(&cfg.ACR, "acr", "BANK_ACR", acr.RoutineACR, "acr value requested at sign-in")
	str(&cfg.IntrospectionURL, "introspection-url", "BANK_INTROSPECTION_URL", "http://localhost:4445/admin/oauth2/introspect",
		"token introspection endpoint (RFC 7662) the bank's API checks access tokens at (Hydra's admin API)")
	var policyFile string
	str(&policyFile, "policy-file", "BANK_POLICY_FILE", "", "YAML file with the API's per-action acr policy (actions transfer and add-payee); empty: the built-in policy")
	wait := 30 * time.Second
	if v := getenv("BANK_DISCOVERY_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("BANK_DISCOVERY_TIMEOUT: %w", err)
		}
		wait = d
	}
	fs.DurationVar(&wait, "discovery-timeout", wait, "how long to keep retrying discovery at start-up (env BANK_DISCOVERY_TIMEOUT)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}

	if policyFile != "" {
		p, err := readPolicy(policyFile)
		if err != nil {
			return err
		}
		cfg.Policy = &p
	}

	handler := slog.NewTextHandler(stderr, nil)
	logger := slog.New(handler)
	cfg.Logger = logger
	app, err := newWithRetry(ctx, cfg, wait, logger)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           app.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(handler, slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("Example Bank is listening", "addr", ln.Addr().String(), "public_url", cfg.PublicURL)

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// readPolicy reads an acr.PolicyConfig from a YAML file, refusing unknown
// fields:
//
//	actions:
//	  - {name: transfer, acr: routine}
//	  - {name: transfer, acr: step-up, max_age: 5m, above: {value: "100.00", currency: EUR}}
//	  - {name: add-payee, acr: step-up, max_age: 5m}
func readPolicy(path string) (acr.PolicyConfig, error) {
	var p acr.PolicyConfig
	f, err := os.Open(path)
	if err != nil {
		return p, fmt.Errorf("policy file: %w", err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("policy file %s: %w", path, err)
	}
	return p, nil
}

// newWithRetry calls bankapp.New until discovery succeeds, the config is
// found invalid, or wait has passed: in `make run` the bank may start before
// Hydra is ready.
func newWithRetry(ctx context.Context, cfg bankapp.Config, wait time.Duration, logger *slog.Logger) (*bankapp.App, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for attempt := 1; ; attempt++ {
		app, err := bankapp.New(ctx, cfg)
		if err == nil {
			return app, nil
		}
		if errors.Is(err, bankapp.ErrInvalidConfig) {
			return nil, err
		}
		logger.Warn("OpenID provider not ready yet", "issuer", cfg.Issuer, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("discovery did not succeed within %s: %w", wait, err)
		case <-time.After(time.Second):
		}
	}
}
