package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"

	goredis "github.com/redis/go-redis/v9"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/memory"
	"github.com/biometric-passkey/biometric-passkey/authenticator/postgres"
	"github.com/biometric-passkey/biometric-passkey/authenticator/redis"
	"github.com/biometric-passkey/biometric-passkey/authenticator/sqlite"
	"github.com/biometric-passkey/biometric-passkey/authenticator/webhook"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/sandbox"
)

// OpenAuthenticator builds the authenticator service and its stores from
// cfg, running the store's migrations when authenticator.store.auto_migrate
// is on (the default; `biometric-passkey-plugin migrate` runs them
// explicitly) and otherwise refusing a schema that is not this build's.
// The returned close function releases the stores. It serves nothing, so
// it cannot build the sandbox provider, whose capture pages must be served
// by the process that holds it: StartAuthenticator does that.
func OpenAuthenticator(ctx context.Context, cfg AuthenticatorConfig, log *slog.Logger) (*authenticator.Service, func() error, error) {
	idv, referenceKey, err := openIDV(cfg.IDV, log)
	if err != nil {
		return nil, nil, err
	}
	svc, _, closeStores, err := openService(ctx, cfg, idv, referenceKey, log)
	return svc, closeStores, err
}

// Authenticator is the authenticator as a process runs it: the service over
// its stores and, with the sandbox provider, the sandbox's capture pages
// served on authenticator.idv.sandbox.listen (ADR 6).
type Authenticator struct {
	// Service is the authenticator service; the plugin serves it to the host.
	Service *authenticator.Service

	sandbox     *sandboxServer     // nil unless the provider is the sandbox
	deliverer   *webhook.Deliverer // nil without authenticator.events.endpoints
	closeStores func() error
}

// StartAuthenticator builds the service from cfg as OpenAuthenticator does
// and, when authenticator.idv.provider is sandbox, builds the sandbox in
// cfg.Mode (so production refuses it), wires its notifications straight
// into the service's webhook intake, and serves its capture pages on
// authenticator.idv.sandbox.listen. One process per deployment calls it —
// the plugin (RunPlugin), or the provider when the authenticator runs
// in-process (StartProvider) — so the sandbox has one listener, in the
// process that holds its state. With authenticator.events.endpoints it
// also runs the webhook deliverer (ADR 0009), which sends the events every
// process queues. Close stops them all.
func StartAuthenticator(ctx context.Context, cfg Config, log *slog.Logger) (*Authenticator, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	svc, store, sb, closeStores, err := openAuthenticator(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	a := &Authenticator{Service: svc, closeStores: closeStores}
	if ev := cfg.Authenticator.Events; len(ev.Endpoints) > 0 {
		eps := make([]webhook.Endpoint, len(ev.Endpoints))
		for i, ep := range ev.Endpoints {
			eps[i] = webhook.Endpoint{URL: ep.URL, Secret: []byte(ep.Secret.Reveal())}
		}
		a.deliverer, err = webhook.New(webhook.Config{Endpoints: eps, MaxAttempts: ev.MaxAttempts, MaxAge: ev.MaxAge}, store,
			webhook.WithLogger(log.With("component", "webhook")))
		if err != nil {
			return nil, errors.Join(fmt.Errorf("authenticator.events: %w", err), closeStores())
		}
		a.deliverer.Start(ctx)
	}
	if sb != nil {
		if a.sandbox, err = serveSandbox(sb, cfg.Authenticator.IDV.Sandbox, log); err != nil {
			return nil, errors.Join(err, a.closeDeliverer(), closeStores())
		}
	}
	return a, nil
}

// closeDeliverer stops the webhook deliverer, if any.
func (a *Authenticator) closeDeliverer() error {
	if a.deliverer == nil {
		return nil
	}
	return a.deliverer.Close()
}

// SandboxAddr is the address the sandbox's capture pages are served on, or
// nil without the sandbox.
func (a *Authenticator) SandboxAddr() net.Addr {
	if a.sandbox == nil {
		return nil
	}
	return a.sandbox.ln.Addr()
}

// Close stops the webhook deliverer (a delivery in flight is settled, or
// sent again after its lease), stops serving the sandbox (letting requests
// in flight finish for a few seconds) and releases the stores.
func (a *Authenticator) Close() error {
	errs := []error{a.closeDeliverer()}
	if a.sandbox != nil {
		errs = append(errs, a.sandbox.close())
	}
	return errors.Join(append(errs, a.closeStores())...)
}

// openAuthenticator builds the service over its durable store (returned
// too, for the webhook deliverer) and, with provider sandbox, the sandbox
// provider (not yet served), whose notifications go to the service's
// webhook intake.
func openAuthenticator(ctx context.Context, cfg Config, log *slog.Logger) (*authenticator.Service, authenticator.Store, *sandbox.Provider, func() error, error) {
	if cfg.Authenticator.IDV.Provider != IDVProviderSandbox {
		idv, referenceKey, err := openIDV(cfg.Authenticator.IDV, log)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		svc, store, closeStores, err := openService(ctx, cfg.Authenticator, idv, referenceKey, log)
		return svc, store, nil, closeStores, err
	}
	key, err := cfg.Authenticator.IDV.referenceKey()
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("authenticator.idv.reference_key: %w", err)
	}
	if key == nil {
		return nil, nil, nil, nil, fmt.Errorf("authenticator.idv.reference_key: required with provider %q", IDVProviderSandbox)
	}
	// The service is built after the provider it is given, so Notify finds
	// it through this pointer, set once the service exists.
	var intake atomic.Pointer[authenticator.Service]
	sb, err := openSandbox(cfg.Mode, cfg.Authenticator.IDV.Sandbox, log, func(ctx context.Context, header http.Header, body []byte) error {
		svc := intake.Load()
		if svc == nil {
			return errors.New("the authenticator service is not ready yet")
		}
		// The capture form's request may end (the browser leaves) before the
		// outcome is recorded: the intake runs on a context of its own.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), notifyTimeout)
		defer cancel()
		chk, err := svc.ApplyIDVWebhook(ctx, header, body)
		if err != nil {
			return fmt.Errorf("webhook intake: %w", err) // logged by the sandbox with the run id
		}
		log.InfoContext(ctx, "sandbox outcome applied", "run_id", chk.RunID, "journey", chk.Journey, "status", chk.Status)
		return nil
	})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	svc, store, closeStores, err := openService(ctx, cfg.Authenticator, sb, key, log)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	intake.Store(svc)
	return svc, store, sb, closeStores, nil
}

// openService builds the service over its stores with the given provider.
// Every process's service queues its events for the configured webhook
// endpoints (an operator's CLI action included); only StartAuthenticator's
// process sends them.
func openService(ctx context.Context, cfg AuthenticatorConfig, idv idvbridge.Provider, referenceKey []byte, log *slog.Logger) (*authenticator.Service, authenticator.Store, func() error, error) {
	levels := make([]acr.Level, 0, len(cfg.Levels))
	for _, lc := range cfg.Levels {
		lv := acr.Level{Name: lc.Name, ACR: lc.ACR}
		for _, r := range lc.Requires {
			lv.Requires = append(lv.Requires, acr.Requirement(r))
		}
		levels = append(levels, lv)
	}
	ladder, err := acr.NewLadder(levels, acr.AMRMapping{
		DeviceBound: cfg.AMR.DeviceBound, Synced: cfg.AMR.Synced,
		UserVerified: cfg.AMR.UserVerified, BiometricMatch: cfg.AMR.BiometricMatch,
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("authenticator.levels / authenticator.amr: %w", err)
	}
	store, err := openStore(ctx, cfg.Store, cfg.Store.AutoMigrate)
	if err != nil {
		return nil, nil, nil, err
	}
	eph, closeEph, err := openEphemeral(ctx, cfg.Ephemeral)
	if err != nil {
		return nil, nil, nil, errors.Join(err, store.Close())
	}
	endpoints := make([]string, len(cfg.Events.Endpoints))
	for i, ep := range cfg.Events.Endpoints {
		endpoints[i] = ep.URL
	}
	closeAll := func() error { return errors.Join(closeEph(), store.Close()) }
	svc, err := authenticator.New(authenticator.Config{
		RPID: cfg.RPID, RPDisplayName: cfg.RPDisplayName, RPOrigins: cfg.RPOrigins,
		Policy: authenticator.Policy{AllowSynced: cfg.Policy.AllowSynced, AAGUIDAllow: cfg.Policy.AAGUIDAllow,
			AAGUIDDeny: cfg.Policy.AAGUIDDeny, Attestation: cfg.Policy.Attestation},
		Ladder: ladder, ChallengeTTL: cfg.ChallengeTTL, EnrollmentTTL: cfg.EnrollmentTTL, SessionTTL: cfg.SessionTTL,
		IDV: idv, ReferenceKey: referenceKey,
		IDVTimeout: cfg.IDV.Timeout, IDVAttemptsPerHour: cfg.IDV.AttemptsPerHour,
		KeepCredentialsOnRecovery: cfg.Recovery.KeepCredentials,
	}, store, eph, authenticator.WithLogger(log), authenticator.WithEventEndpoints(endpoints...))
	if err != nil {
		return nil, nil, nil, errors.Join(err, closeAll())
	}
	return svc, store, closeAll, nil
}

// DurableStore is the durable store as the app opens it: an
// authenticator.Store whose schema the app can migrate and check.
type DurableStore interface {
	authenticator.Store
	// Migrate brings the schema to the build's latest version.
	Migrate(ctx context.Context) error
	// SchemaVersion returns the highest migration applied.
	SchemaVersion(ctx context.Context) (int, error)
}

var (
	_ DurableStore = (*sqlite.Store)(nil)
	_ DurableStore = (*postgres.Store)(nil)
)

// storeDrivers open a store of each authenticator.store.driver, without
// migrating it, and say which schema version the build's migrations reach.
var storeDrivers = map[string]struct {
	open   func(ctx context.Context, cfg StoreConfig) (DurableStore, error)
	latest func() int
}{
	StoreSQLite: {
		open:   func(ctx context.Context, cfg StoreConfig) (DurableStore, error) { return sqlite.Open(ctx, cfg.DSN) },
		latest: sqlite.LatestSchemaVersion,
	},
	StorePostgres: {
		open: func(ctx context.Context, cfg StoreConfig) (DurableStore, error) {
			var opts []postgres.Option
			if cfg.Password != "" {
				opts = append(opts, postgres.WithPassword(cfg.Password.Reveal()))
			}
			return postgres.Open(ctx, cfg.DSN, opts...)
		},
		latest: postgres.LatestSchemaVersion,
	},
}

// OpenStore opens the durable store cfg.Driver names and migrates it,
// whatever cfg.AutoMigrate says: it is what `biometric-passkey-plugin
// migrate` runs.
func OpenStore(ctx context.Context, cfg StoreConfig) (DurableStore, error) {
	return openStore(ctx, cfg, true)
}

// openStore opens the durable store and, with migrate, brings its schema
// up to date; without, it refuses a schema that is not the build's, older
// (run the migrate command) or newer (a newer release migrated it).
func openStore(ctx context.Context, cfg StoreConfig, migrate bool) (DurableStore, error) {
	driver, ok := storeDrivers[cfg.Driver]
	if !ok {
		return nil, fmt.Errorf("authenticator.store.driver: unknown driver %q", cfg.Driver)
	}
	st, err := driver.open(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("authenticator.store: %w", err)
	}
	if migrate {
		if err := st.Migrate(ctx); err != nil {
			return nil, errors.Join(fmt.Errorf("authenticator.store: migrate: %w", err), st.Close())
		}
		return st, nil
	}
	v, err := st.SchemaVersion(ctx)
	switch latest := driver.latest(); {
	case err != nil:
	case v < latest:
		err = fmt.Errorf("the schema is at version %d and this build needs %d; with authenticator.store.auto_migrate off, run `biometric-passkey-plugin migrate` with this build first",
			v, latest)
	case v > latest:
		err = fmt.Errorf("the schema is at version %d, newer than this build's %d: run the release that migrated it", v, latest)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("authenticator.store: %w", err), st.Close())
	}
	return st, nil
}

func openEphemeral(ctx context.Context, cfg EphemeralConfig) (authenticator.EphemeralStore, func() error, error) {
	if cfg.Driver == "memory" {
		return memory.New(), func() error { return nil }, nil
	}
	client := goredis.NewUniversalClient(&goredis.UniversalOptions{
		Addrs: cfg.Redis.Addrs, MasterName: cfg.Redis.MasterName, Username: cfg.Redis.Username,
		Password: cfg.Redis.Password.Reveal(), DB: cfg.Redis.DB,
	})
	if err := client.Ping(ctx).Err(); err != nil {
		return nil, nil, errors.Join(fmt.Errorf("authenticator.ephemeral.redis: ping %v: %w", cfg.Redis.Addrs, err), client.Close())
	}
	return redis.New(client, cfg.Redis.Prefix), client.Close, nil
}
