package app

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/postgres"
	"github.com/biometric-passkey/biometric-passkey/authenticator/sqlite"
	"github.com/biometric-passkey/biometric-passkey/internal/testenv"
)

// storeDriverTests are a fresh, empty store of each driver, and the schema
// version the build's migrations reach on it.
func storeDriverTests(t *testing.T) map[string]struct {
	store  func(t *testing.T) StoreConfig
	latest int
} {
	t.Helper()
	return map[string]struct {
		store  func(t *testing.T) StoreConfig
		latest int
	}{
		StoreSQLite: {
			store: func(t *testing.T) StoreConfig {
				return StoreConfig{Driver: StoreSQLite, DSN: filepath.Join(t.TempDir(), "passkey.db")}
			},
			latest: sqlite.LatestSchemaVersion(),
		},
		StorePostgres: {
			store: func(t *testing.T) StoreConfig {
				return StoreConfig{Driver: StorePostgres, DSN: testenv.Postgres(t)}
			},
			latest: postgres.LatestSchemaVersion(),
		},
	}
}

// TestOpenAuthenticatorOnEachStore builds the service on each driver with
// auto_migrate on, and has it write and read a user.
func TestOpenAuthenticatorOnEachStore(t *testing.T) {
	t.Parallel()
	for driver, tc := range storeDriverTests(t) {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			cfg := Defaults()
			cfg.Authenticator.Store = tc.store(t)
			cfg.Authenticator.Store.AutoMigrate = true
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			svc, closeAll, err := OpenAuthenticator(ctx, cfg.Authenticator, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatalf("OpenAuthenticator(driver %s): got error %v, want nil", driver, err)
			}
			t.Cleanup(func() {
				if err := closeAll(); err != nil {
					t.Errorf("close: %v", err)
				}
			})
			if _, err := svc.CreateEnrollment(ctx, authenticator.CreateEnrollmentRequest{ExternalUserID: "alice", ClientID: "rp"}); err != nil {
				t.Fatalf("CreateEnrollment: got error %v, want nil", err)
			}
			if u, err := svc.GetUser(ctx, "alice"); err != nil || u.User.ExternalID != "alice" {
				t.Errorf("GetUser(alice): got %+v, %v, want alice, nil", u.User, err)
			}
		})
	}
}

// TestAutoMigrateOff checks that with auto_migrate off the service refuses
// a schema the migrate command has not brought up to date, and starts once
// it has.
func TestAutoMigrateOff(t *testing.T) {
	t.Parallel()
	for driver, tc := range storeDriverTests(t) {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			cfg := Defaults()
			cfg.Authenticator.Store = tc.store(t)
			cfg.Authenticator.Store.AutoMigrate = false
			_, _, err := OpenAuthenticator(ctx, cfg.Authenticator, nil)
			if err == nil || !strings.Contains(err.Error(), "biometric-passkey-plugin migrate") {
				t.Fatalf("OpenAuthenticator on an empty %s store with auto_migrate off: got error %v, want one that says to run the migrate command", driver, err)
			}
			v, err := Migrate(ctx, cfg) // `biometric-passkey-plugin migrate`, whatever auto_migrate says
			if err != nil || v != tc.latest {
				t.Fatalf("Migrate: got version %d, error %v, want %d, nil", v, err, tc.latest)
			}
			_, closeAll, err := OpenAuthenticator(ctx, cfg.Authenticator, nil)
			if err != nil {
				t.Fatalf("OpenAuthenticator after Migrate: got error %v, want nil", err)
			}
			if err := closeAll(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
	}
}

func TestOpenStoreUnknownDriver(t *testing.T) {
	t.Parallel()
	if _, err := OpenStore(t.Context(), StoreConfig{Driver: "mysql", DSN: "x"}); err == nil || !strings.Contains(err.Error(), "authenticator.store.driver") {
		t.Errorf("OpenStore(driver mysql): got error %v, want one naming authenticator.store.driver", err)
	}
}
