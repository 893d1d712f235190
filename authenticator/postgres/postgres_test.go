package postgres_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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

// withParam returns dsn, a URL or key=value pairs, with key set to value.
func withParam(dsn, key, value string) string {
	if !strings.Contains(dsn, "://") {
		return dsn + " " + key + "=" + value
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + key + "=" + value
}

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) authenticator.Store {
		return open(t, testenv.Postgres(t), true)
	})
}

// TestMigrateAuditSubject checks migration 0007 on a database with users:
// each gets a random pseudonym of its own ("p-" and 32 hex digits), the
// column is then required and unique, and it cannot change.
func TestMigrateAuditSubject(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := testenv.Postgres(t)
	conn := rawConn(t, dsn)
	// Version 6, applied as Migrate would have applied it.
	if _, err := conn.Exec(ctx, `CREATE TABLE schema_migrations (version integer NOT NULL PRIMARY KEY, name text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		t.Fatalf("create schema_migrations: got error %v, want nil", err)
	}
	for i, name := range migrationNames(t, "migrations")[:6] {
		b, err := os.ReadFile("migrations/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, string(b)); err != nil {
			t.Fatalf("apply %s: got error %v, want nil", name, err)
		}
		if _, err := conn.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, i+1, name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.Exec(ctx, `INSERT INTO users (external_id, handle, display_name, status) VALUES
		('alice', '\x01', '', 'enrolled'), ('bob', '\x02', '', 'invited')`); err != nil {
		t.Fatalf("insert users at version 6: got error %v, want nil", err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO credentials (id, user_external_id, attestation_type, attestation_format,
		sign_count, backup_eligible, backup_state, transports, status, status_reason)
		VALUES ('\x0a', 'alice', 'none', 'none', 0, false, false, '{}', 'active', '')`); err != nil {
		t.Fatalf("insert a credential at version 6: got error %v, want nil", err)
	}
	s := open(t, dsn, true)
	subjects := map[string]bool{}
	for _, id := range []string{"alice", "bob"} {
		u, err := s.GetUser(ctx, id)
		if err != nil || len(u.AuditSubject) != 34 || !strings.HasPrefix(u.AuditSubject, "p-") ||
			strings.Trim(u.AuditSubject[2:], "0123456789abcdef") != "" || subjects[u.AuditSubject] {
			t.Errorf("GetUser(%s) after 0007: got AuditSubject %q, %v, want a new p- and 32 hex digits, nil", id, u.AuditSubject, err)
		}
		subjects[u.AuditSubject] = true
	}
	for _, stmt := range []string{
		`INSERT INTO users (external_id, handle, display_name, status) VALUES ('carol', '\x03', '', 'invited')`,
		`INSERT INTO users (external_id, handle, display_name, status, audit_subject) VALUES ('carol', '\x03', '', 'invited', '')`,
		`UPDATE users SET audit_subject = 'p-another' WHERE external_id = 'alice'`,
	} {
		if _, err := conn.Exec(ctx, stmt); err == nil {
			t.Errorf("%s after 0007: got nil error, want a refusal", stmt)
		}
	}
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
		"events_by_at",
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
	own := open(t, withParam(dsn, "lock_timeout", "250ms"), false)
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
	waiter := open(t, withParam(dsn, "lock_timeout", "100ms"), false)
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
	if err == nil || strings.Contains(err.Error(), "hunter2-secret") {
		t.Errorf("Open(DSN with password): got error %v, want one without the password", err)
	}
}

func TestWithPassword(t *testing.T) {
	t.Parallel()
	dsn := testenv.Postgres(t) // trust authentication: any password is accepted
	s, err := postgres.Open(t.Context(), dsn, postgres.WithPassword("from the secret"))
	if err != nil {
		t.Fatalf("Open(WithPassword): got error %v, want nil", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if got := postgres.Password(s); got != "from the secret" {
		t.Errorf("password of the pool's connections: got %q, want the one WithPassword gave", got)
	}
}

// TestConcurrentUpdatesAcrossStores runs storetest's lost-update and
// complete-once checks with the updaters spread over two stores on one
// database, as two replicas would be.
func TestConcurrentUpdatesAcrossStores(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := testenv.Postgres(t)
	stores := []*postgres.Store{open(t, dsn, true), open(t, dsn, false)}
	if err := stores[0].CreateUser(ctx, authenticator.User{ExternalID: "alice", Handle: []byte{1}}); err != nil {
		t.Fatal(err)
	}
	cred := authenticator.Credential{ID: []byte{2}, UserExternalID: "alice", Status: authenticator.CredentialActive}
	if err := stores[0].CreateCredential(ctx, cred); err != nil {
		t.Fatal(err)
	}
	check := authenticator.IDVCheck{Provider: "sandbox", RunID: "run", UserExternalID: "alice", Status: authenticator.CheckPending}
	if err := stores[0].CreateCheck(ctx, check); err != nil {
		t.Fatal(err)
	}

	const n = 20
	var (
		wg         sync.WaitGroup
		sawPending atomic.Int32
	)
	errNotPending := errors.New("not pending")
	for i := range n {
		s := stores[i%len(stores)]
		wg.Go(func() {
			_, err := s.UpdateCredential(ctx, cred.ID, func(c authenticator.Credential) (authenticator.Credential, error) {
				c.SignCount++
				return c, nil
			})
			if err != nil {
				t.Errorf("UpdateCredential(goroutine %d): got error %v, want nil", i, err)
			}
			_, err = s.UpdateCheck(ctx, check.Provider, check.RunID, func(c authenticator.IDVCheck) (authenticator.IDVCheck, error) {
				if c.Status != authenticator.CheckPending {
					return c, errNotPending
				}
				sawPending.Add(1)
				c.Status = authenticator.CheckPassed
				return c, nil
			})
			if err != nil && !errors.Is(err, errNotPending) {
				t.Errorf("UpdateCheck(goroutine %d): got error %v, want nil or %v", i, err, errNotPending)
			}
		})
	}
	wg.Wait()
	got, err := stores[1].GetCredential(ctx, cred.ID)
	if err != nil || got.SignCount != n {
		t.Errorf("SignCount after %d increments over two stores: got %d, %v, want %d, nil", n, got.SignCount, err, n)
	}
	if k := sawPending.Load(); k != 1 {
		t.Errorf("closures that saw the check pending, over two stores: got %d, want 1", k)
	}
}

// TestDeadlockIsUnavailable makes two transactions lock two users in
// opposite orders; PostgreSQL aborts one, which must be retryable.
func TestDeadlockIsUnavailable(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t, testenv.Postgres(t), true)
	for i, id := range []string{"alice", "bob"} {
		if err := s.CreateUser(ctx, authenticator.User{ExternalID: id, Handle: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	touch := func(tx authenticator.Tx, id string) error {
		_, err := tx.UpdateUser(ctx, id, func(u authenticator.User) (authenticator.User, error) { return u, nil })
		return err
	}
	var locked sync.WaitGroup // both hold their first lock before either asks for its second
	locked.Add(2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, order := range [][2]string{{"alice", "bob"}, {"bob", "alice"}} {
		wg.Go(func() {
			errs[i] = s.Atomic(ctx, func(tx authenticator.Tx) error {
				err := touch(tx, order[0])
				locked.Done()
				if err != nil {
					return err
				}
				locked.Wait()
				return touch(tx, order[1])
			})
		})
	}
	wg.Wait()
	failed := 0
	for i, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, authenticator.ErrUnavailable):
			failed++
		default:
			t.Errorf("transaction %d: got error %v, want nil or errors.Is(err, %v)", i, err, authenticator.ErrUnavailable)
		}
	}
	if failed != 1 {
		t.Errorf("deadlocked transactions: got %d aborted, want 1 (errors %v)", failed, errs)
	}
}

// TestTextTheDatabaseCannotHold checks that a NUL in a text column, which
// PostgreSQL refuses, is the caller's error, not an internal one.
func TestTextTheDatabaseCannotHold(t *testing.T) {
	t.Parallel()
	s := open(t, testenv.Postgres(t), true)
	err := s.CreateUser(t.Context(), authenticator.User{ExternalID: "al\x00ice", Handle: []byte{1}})
	if !errors.Is(err, authenticator.ErrInvalidArgument) {
		t.Errorf("CreateUser(ExternalID with a NUL): got error %v, want errors.Is(err, %v)", err, authenticator.ErrInvalidArgument)
	}
}
