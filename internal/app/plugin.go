package app

import (
	"context"
	"fmt"
	"os"

	"github.com/biometric-passkey/biometric-passkey/plugin"
)

// RunPlugin is the plugin binary's main: it builds the authenticator from
// cfg and serves it to the host that launched the process, returning when
// the host ends it.
func RunPlugin(ctx context.Context, cfg Config) error {
	// The logger must write to the original stderr before Serve takes it
	// over, so the host re-emits these lines at their level.
	log := plugin.NewLogger(os.Stderr, level(cfg.Log.Level))
	svc, closeStores, err := OpenAuthenticator(ctx, cfg.Authenticator, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := closeStores(); err != nil {
			log.Error("close stores", "err", err)
		}
	}()
	plugin.Serve(svc, plugin.WithLogger(log))
	return nil
}

// Migrate runs the durable store's migrations and reports the version.
func Migrate(ctx context.Context, cfg Config) (int, error) {
	st, err := OpenStore(ctx, cfg.Authenticator.Store)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}
