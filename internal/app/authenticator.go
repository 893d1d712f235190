package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	goredis "github.com/redis/go-redis/v9"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/memory"
	"github.com/biometric-passkey/biometric-passkey/authenticator/redis"
	"github.com/biometric-passkey/biometric-passkey/authenticator/sqlite"
)

// OpenAuthenticator builds the authenticator service and its stores from
// cfg, running the store's migrations (automatic in the embedded default;
// `biometric-passkey-plugin migrate` runs them explicitly). The returned
// close function releases the stores.
func OpenAuthenticator(ctx context.Context, cfg AuthenticatorConfig, log *slog.Logger) (*authenticator.Service, func() error, error) {
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
		return nil, nil, fmt.Errorf("authenticator.levels / authenticator.amr: %w", err)
	}
	idv, referenceKey, err := openIDV(cfg.IDV, log)
	if err != nil {
		return nil, nil, err
	}
	store, err := OpenStore(ctx, cfg.Store)
	if err != nil {
		return nil, nil, err
	}
	eph, closeEph, err := openEphemeral(ctx, cfg.Ephemeral)
	if err != nil {
		return nil, nil, errors.Join(err, store.Close())
	}
	closeAll := func() error { return errors.Join(closeEph(), store.Close()) }
	svc, err := authenticator.New(authenticator.Config{
		RPID: cfg.RPID, RPDisplayName: cfg.RPDisplayName, RPOrigins: cfg.RPOrigins,
		Policy: authenticator.Policy{AllowSynced: cfg.Policy.AllowSynced, AAGUIDAllow: cfg.Policy.AAGUIDAllow,
			AAGUIDDeny: cfg.Policy.AAGUIDDeny, Attestation: cfg.Policy.Attestation},
		Ladder: ladder, ChallengeTTL: cfg.ChallengeTTL, EnrollmentTTL: cfg.EnrollmentTTL, SessionTTL: cfg.SessionTTL,
		IDV: idv, ReferenceKey: referenceKey,
	}, store, eph, authenticator.WithLogger(log))
	if err != nil {
		return nil, nil, errors.Join(err, closeAll())
	}
	return svc, closeAll, nil
}

// OpenStore opens and migrates the durable store.
func OpenStore(ctx context.Context, cfg StoreConfig) (*sqlite.Store, error) {
	st, err := sqlite.Open(ctx, cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("authenticator.store: %w", err)
	}
	if err := st.Migrate(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("authenticator.store: migrate: %w", err), st.Close())
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
