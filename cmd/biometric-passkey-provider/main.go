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
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/biometric-passkey/biometric-passkey/internal/app"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "biometric-passkey-provider:", err)
		os.Exit(1)
	}
}

func run() error {
	cmd, done, err := app.ParseCommand("biometric-passkey-provider", os.Args[1:], os.Environ(), os.Stdout)
	if err != nil || done {
		return err
	}
	log := app.NewLogger(cmd.Config.Log, os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p, err := app.StartProvider(ctx, cmd.Config, cmd.ConfigPath, log)
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
