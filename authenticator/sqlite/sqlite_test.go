package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/sqlite"
	"github.com/biometric-passkey/biometric-passkey/authenticator/storetest"
)

// openFile opens and migrates a store on a file in a fresh temporary
// directory, closed when the test ends.
func openFile(t *testing.T) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := sqlite.OpenAndMigrate(t.Context(), path)
	if err != nil {
		t.Fatalf("OpenAndMigrate(%q): got error %v, want nil", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: got error %v, want nil", err)
		}
	})
	return s, path
}

func TestStoreFile(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) authenticator.Store {
		s, _ := openFile(t)
		return s
	})
}

func TestStoreInMemory(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) authenticator.Store {
		s, err := sqlite.OpenAndMigrate(t.Context(), ":memory:")
		if err != nil {
			t.Fatalf("OpenAndMigrate(:memory:): got error %v, want nil", err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: got error %v, want nil", err)
			}
		})
		return s
	})
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: got error %v, want nil", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: got error %v, want nil", err)
		}
	})

	if v, err := s.SchemaVersion(ctx); err != nil || v != 0 {
		t.Fatalf("SchemaVersion before Migrate: got %d, %v, want 0, nil", v, err)
	}
	// 0001_init.sql, 0002_idv.sql, 0003_approvals.sql, 0004_audit.sql,
	// 0005_credential_name.sql, 0006_event_deliveries.sql and
	// 0007_audit_subject.sql.
	const latest = 7
	if got := sqlite.LatestSchemaVersion(); got != latest {
		t.Fatalf("LatestSchemaVersion: got %d, want %d", got, latest)
	}
	for i := range 2 {
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate #%d: got error %v, want nil", i+1, err)
		}
		if v, err := s.SchemaVersion(ctx); err != nil || v != latest {
			t.Fatalf("SchemaVersion after Migrate #%d: got %d, %v, want %d, nil", i+1, v, err, latest)
		}
	}

	db := rawDB(t, path)
	var versions []int
	rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatalf("query schema_migrations: got error %v, want nil", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatalf("scan schema_migrations: got error %v, want nil", err)
		}
		versions = append(versions, v)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		t.Fatalf("read schema_migrations: got error %v, want nil", err)
	}
	want := make([]int, 0, latest)
	for v := range latest {
		want = append(want, v+1)
	}
	if !cmp.Equal(versions, want) {
		t.Errorf("schema_migrations versions after two Migrate calls: got %v, want %v", versions, want)
	}

	schema := map[string][]string{
		"table": {"users", "credentials", "events", "biometric_references", "idv_checks"},
		"index": {"credentials_by_user", "events_by_user", "biometric_references_by_user", "idv_checks_by_user"},
	}
	for typ, names := range schema {
		for _, name := range names {
			var n int
			err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = ? AND name = ?`, typ, name).Scan(&n)
			if err != nil || n != 1 {
				t.Errorf("%s %s: got count %d, error %v, want 1, nil", typ, name, n, err)
			}
		}
	}
	// The new tables refer to their users.
	for _, table := range []string{"biometric_references", "idv_checks"} {
		var parent, from, to string
		err := db.QueryRowContext(ctx, `SELECT "table", "from", "to" FROM pragma_foreign_key_list(?)`, table).Scan(&parent, &from, &to)
		if err != nil || parent != "users" || from != "user_external_id" || to != "external_id" {
			t.Errorf("foreign key of %s: got %s -> %s(%s), error %v, want user_external_id -> users(external_id), nil",
				table, from, parent, to, err)
		}
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, path := openFile(t)
	newer := sqlite.LatestSchemaVersion() + 1
	if _, err := rawDB(t, path).ExecContext(ctx,
		`INSERT INTO schema_migrations (version, name) VALUES (?, 'from the future')`, newer); err != nil {
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
	path := filepath.Join(t.TempDir(), "store.db")
	const n = 4
	errs := make(chan error, n)
	for range n {
		go func() { errs <- openMigrateClose(ctx, path) }()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("concurrent OpenAndMigrate: got error %v, want nil", err)
		}
	}
}

// openMigrateClose opens and migrates path, then closes it.
func openMigrateClose(ctx context.Context, path string) error {
	s, err := sqlite.OpenAndMigrate(ctx, path)
	if err != nil {
		return err
	}
	return s.Close()
}

func TestWriteLockTimeoutIsUnavailable(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	holder, path := openFile(t)
	waiter, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open(%q): got error %v, want nil", path, err)
	}
	t.Cleanup(func() {
		if err := waiter.Close(); err != nil {
			t.Errorf("Close: got error %v, want nil", err)
		}
	})
	// holder's transaction holds the write lock past waiter's busy timeout.
	err = holder.Atomic(ctx, func(authenticator.Tx) error {
		err := waiter.CreateUser(ctx, authenticator.User{ExternalID: "alice", Handle: []byte{1}})
		if !errors.Is(err, authenticator.ErrUnavailable) {
			t.Errorf("CreateUser while another store writes: got error %v, want errors.Is(err, %v)", err, authenticator.ErrUnavailable)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Atomic: got error %v, want nil", err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	if _, err := sqlite.Open(ctx, ""); !errors.Is(err, authenticator.ErrInvalidArgument) {
		t.Errorf(`Open(""): got error %v, want errors.Is(err, %v)`, err, authenticator.ErrInvalidArgument)
	}
	missing := filepath.Join(t.TempDir(), "no", "such", "dir", "store.db")
	if s, err := sqlite.Open(ctx, missing); err == nil {
		t.Errorf("Open(%q): got error nil, want an error", missing)
		if err := s.Close(); err != nil {
			t.Errorf("Close: got error %v, want nil", err)
		}
	}
}

// rawDB opens path with the driver alone, for checks below the Store.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatalf("sql.Open(%q): got error %v, want nil", path, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close raw database: got error %v, want nil", err)
		}
	})
	return db
}
