package postgres_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/postgres"
	"github.com/biometric-passkey/biometric-passkey/authenticator/sqlite"
	"github.com/biometric-passkey/biometric-passkey/authenticator/storetest"
	"github.com/biometric-passkey/biometric-passkey/internal/testenv"
)

// open opens dsn, closed when the test ends.
func open(t *testing.T, dsn string, migrate bool) *postgres.Store {
	t.Helper()
	openFn := postgres.Open
	if migrate {
		openFn = postgres.OpenAndMigrate
	}
	s, err := openFn(t.Context(), dsn)
	if err != nil {
		t.Fatalf("open a PostgreSQL store (migrate %t): got error %v, want nil", migrate, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: got error %v, want nil", err)
		}
	})
	return s
}

// rawConn connects to dsn with pgx alone, for checks below the Store.
func rawConn(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatalf("pgx.Connect: got error %v, want nil", err)
	}
	t.Cleanup(func() {
		if err := conn.Close(context.WithoutCancel(t.Context())); err != nil {
			t.Errorf("close raw connection: got error %v, want nil", err)
		}
	})
	return conn
}

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) authenticator.Store {
		return open(t, testenv.Postgres(t), true)
	})
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := testenv.Postgres(t)
	s := open(t, dsn, false)
	if v, err := s.SchemaVersion(ctx); err != nil || v != 0 {
		t.Fatalf("SchemaVersion before Migrate: got %d, %v, want 0, nil", v, err)
	}
	// The same versions as the SQLite store's: a version names one schema.
	latest := sqlite.LatestSchemaVersion()
	if got := postgres.LatestSchemaVersion(); got != latest {
		t.Fatalf("LatestSchemaVersion: got %d, want sqlite's %d", got, latest)
	}
	for i := range 2 {
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate #%d: got error %v, want nil", i+1, err)
		}
		if v, err := s.SchemaVersion(ctx); err != nil || v != latest {
			t.Fatalf("SchemaVersion after Migrate #%d: got %d, %v, want %d, nil", i+1, v, err, latest)
		}
	}

	conn := rawConn(t, dsn)
	rows, err := conn.Query(ctx, `SELECT name FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatalf("query schema_migrations: got error %v, want nil", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("read schema_migrations: got error %v, want nil", err)
	}
	if want := migrationNames(t, "../sqlite/migrations"); !cmp.Equal(names, want) {
		t.Errorf("schema_migrations after two Migrate calls: got %q, want sqlite's migrations %q", names, want)
	}
	if want := migrationNames(t, "migrations"); !cmp.Equal(names, want) {
		t.Errorf("schema_migrations after two Migrate calls: got %q, want the embedded migrations %q", names, want)
	}

	for _, name := range []string{
		"users", "credentials", "events", "biometric_references", "idv_checks", "approvals",
		"credentials_by_user", "events_by_user", "biometric_references_by_user", "idv_checks_by_user", "approvals_by_user",
	} {
		var exists bool
		if err := conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists); err != nil || !exists {
			t.Errorf("relation %s: got exists %t, error %v, want true, nil", name, exists, err)
		}
	}
	// The tables that name a user refer to it.
	for _, table := range []string{"credentials", "biometric_references", "idv_checks", "approvals"} {
		var n int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_constraint
			WHERE contype = 'f' AND conrelid = to_regclass($1) AND confrelid = 'users'::regclass`, table).Scan(&n)
		if err != nil || n != 1 {
			t.Errorf("foreign keys from %s to users: got %d, error %v, want 1, nil", table, n, err)
		}
	}
}

// migrationNames lists the migration files in dir.
func migrationNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := testenv.Postgres(t)
	s := open(t, dsn, true)
	newer := postgres.LatestSchemaVersion() + 1
	if _, err := rawConn(t, dsn).Exec(ctx,
		`INSERT INTO schema_migrations (version, name) VALUES ($1, 'from the future')`, newer); err != nil {
		t.Fatalf("insert newer version: got error %v, want nil", err)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != newer {
		t.Fatalf("SchemaVersion: got %d, %v, want %d, nil", v, err, newer)
	}
	if err := s.Migrate(ctx); err == nil {
		t.Errorf("Migrate on a newer schema: got error nil, want an error")
	}
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := testenv.Postgres(t)
	const n = 4
	errs := make(chan error, n)
	for range n {
		go func() {
			s, err := postgres.OpenAndMigrate(ctx, dsn)
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("concurrent OpenAndMigrate: got error %v, want nil", err)
		}
	}
	s := open(t, dsn, false)
	if v, err := s.SchemaVersion(ctx); err != nil || v != postgres.LatestSchemaVersion() {
		t.Errorf("SchemaVersion: got %d, %v, want %d, nil", v, err, postgres.LatestSchemaVersion())
	}
}

func TestSessionSettings(t *testing.T) {
	t.Parallel()
	dsn := testenv.Postgres(t)
	s := open(t, dsn, true)
	want := map[string]string{"lock_timeout": "5s", "TimeZone": "UTC", "application_name": "biometric-passkey"}
	err := s.Atomic(t.Context(), func(authenticator.Tx) error { return nil }) // the pool has a connection now
	if err != nil {
		t.Fatalf("Atomic: got error %v, want nil", err)
	}
	// A second store whose DSN sets lock_timeout keeps it.
	own := open(t, dsn+"&lock_timeout=250ms", false)
	for name, st := range map[string]*postgres.Store{"default": s, "own lock_timeout": own} {
		for setting, w := range want {
			if name == "own lock_timeout" && setting == "lock_timeout" {
				w = "250ms"
			}
			got, err := postgres.Setting(t.Context(), st, setting)
			if err != nil || got != w {
				t.Errorf("%s store: SHOW %s: got %q, %v, want %q, nil", name, setting, got, err, w)
			}
		}
	}
}

func TestLockTimeoutIsUnavailable(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := testenv.Postgres(t)
	holder := open(t, dsn, true)
	waiter := open(t, dsn+"&lock_timeout=100ms", false)
	if err := holder.CreateUser(ctx, authenticator.User{ExternalID: "alice", Handle: []byte{1}}); err != nil {
		t.Fatalf("CreateUser: got error %v, want nil", err)
	}
	// holder's updater holds alice's row past waiter's lock timeout.
	_, err := holder.UpdateUser(ctx, "alice", func(u authenticator.User) (authenticator.User, error) {
		_, err := waiter.UpdateUser(ctx, "alice", func(u authenticator.User) (authenticator.User, error) {
			t.Error("waiter's closure ran while holder held the row, want no call")
			return u, nil
		})
		if !errors.Is(err, authenticator.ErrUnavailable) {
			t.Errorf("UpdateUser while another store holds the row: got error %v, want errors.Is(err, %v)", err, authenticator.ErrUnavailable)
		}
		return u, nil
	})
	if err != nil {
		t.Fatalf("UpdateUser(holder): got error %v, want nil", err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	for _, dsn := range []string{"", "postgres://host:notaport/db", "host=localhost port=notaport"} {
		if s, err := postgres.Open(ctx, dsn); !errors.Is(err, authenticator.ErrInvalidArgument) {
			t.Errorf("Open(%q): got error %v, want errors.Is(err, %v)", dsn, err, authenticator.ErrInvalidArgument)
			if err == nil {
				_ = s.Close()
			}
		}
	}
	// Nothing listens on port 1.
	dsn := "postgres://nobody@127.0.0.1:1/db?sslmode=disable&connect_timeout=2"
	if s, err := postgres.Open(ctx, dsn); !errors.Is(err, authenticator.ErrUnavailable) {
		t.Errorf("Open(%q): got error %v, want errors.Is(err, %v)", dsn, err, authenticator.ErrUnavailable)
		if err == nil {
			_ = s.Close()
		}
	}
	// A password in the DSN stays out of the error.
	secret := "postgres://u:hunter2-secret@127.0.0.1:1/db?sslmode=disable&connect_timeout=2"
	_, err := postgres.Open(ctx, secret)
	if err == nil || containsAny(err.Error(), "hunter2-secret") {
		t.Errorf("Open(DSN with password): got error %v, want one without the password", err)
	}
}

func containsAny(s string, subs ...string) bool {
	return slices.ContainsFunc(subs, func(sub string) bool { return len(sub) > 0 && contains(s, sub) })
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
