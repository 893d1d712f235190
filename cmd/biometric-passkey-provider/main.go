// Command biometric-passkey-provider is the login-and-consent provider for
// Ory Hydra v2: point Hydra's urls.login, urls.consent and urls.logout at it.
// It launches the authenticator plugin named in the configuration.
//
//	biometric-passkey-provider --config config.yaml
//	biometric-passkey-provider --version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/biometric-passkey/biometric-passkey/internal/app"
	"github.com/biometric-passkey/biometric-passkey/internal/version"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "biometric-passkey-provider:", err)
		os.Exit(1)
	}
}

func run() error {
	configPath := flag.String("config", "", "path of the YAML configuration (see examples/config.yaml)")
	showVersion := flag.Bool("version", false, "print versions and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.String("biometric-passkey-provider"))
		return nil
	}
	cfg, err := app.Load(*configPath, os.Environ())
	if err != nil {
		return err
	}
	log := app.NewLogger(cfg.Log, os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p, err := app.StartProvider(ctx, cfg, *configPath, log)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-p.Done():
		if !errors.Is(err, http.ErrServerClosed) {
			return errors.Join(err, p.Close())
		}
	}
	return p.Close()
}
