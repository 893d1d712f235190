// Command biometric-passkey-plugin is the authenticator plugin. The
// provider launches it over hashicorp/go-plugin; run by hand it only
// migrates the store or prints its version.
//
//	biometric-passkey-plugin --config config.yaml           (launched by the provider)
//	biometric-passkey-plugin --config config.yaml migrate   (run migrations and exit)
//	biometric-passkey-plugin --version
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/biometric-passkey/biometric-passkey/internal/app"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "biometric-passkey-plugin:", err)
		os.Exit(1)
	}
}

func run() error {
	cmd, done, err := app.ParseCommand("biometric-passkey-plugin", os.Args[1:], os.Environ(), os.Stdout)
	if err != nil || done {
		return err
	}
	ctx := context.Background()
	switch {
	case len(cmd.Args) == 0:
		return app.RunPlugin(ctx, cmd.Config)
	case cmd.Args[0] == "migrate":
		v, err := app.Migrate(ctx, cmd.Config)
		if err == nil {
			fmt.Printf("schema at version %d\n", v)
		}
		return err
	default:
		return fmt.Errorf("unknown command %q (want migrate or nothing)", cmd.Args[0])
	}
}
