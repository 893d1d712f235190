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
	"flag"
	"fmt"
	"os"

	"github.com/biometric-passkey/biometric-passkey/internal/app"
	"github.com/biometric-passkey/biometric-passkey/internal/version"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "biometric-passkey-plugin:", err)
		os.Exit(1)
	}
}

func run() error {
	configPath := flag.String("config", "", "path of the YAML configuration (see examples/config.yaml)")
	showVersion := flag.Bool("version", false, "print versions and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.String("biometric-passkey-plugin"))
		return nil
	}
	cfg, err := app.Load(*configPath, os.Environ())
	if err != nil {
		return err
	}
	ctx := context.Background()
	switch flag.Arg(0) {
	case "":
		return app.RunPlugin(ctx, cfg)
	case "migrate":
		v, err := app.Migrate(ctx, cfg)
		if err == nil {
			fmt.Printf("schema at version %d\n", v)
		}
		return err
	default:
		return fmt.Errorf("unknown command %q (want migrate or nothing)", flag.Arg(0))
	}
}
