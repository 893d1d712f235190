package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/internal/txstore"
)

func TestOpenSetsPragmas(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatalf("Open: got error %v, want nil", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: got error %v, want nil", err)
		}
	})
	want := map[string]string{
		"journal_mode": "wal",
		"foreign_keys": "1",
		"synchronous":  "1", // NORMAL
		"busy_timeout": "5000",
	}
	for pool, db := range map[string]*sql.DB{"write": s.write, "read": s.read} {
		wantPool := maps.Clone(want)
		wantPool["query_only"] = map[string]string{"write": "0", "read": "1"}[pool]
		for pragma, w := range wantPool {
			var got string
			if err := db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Errorf("%s pool: PRAGMA %s: got error %v, want nil", pool, pragma, err)
				continue
			}
			if got != w {
				t.Errorf("%s pool: PRAGMA %s: got %q, want %q", pool, pragma, got, w)
			}
		}
	}
}

func TestOpenFilePools(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatalf("Open: got error %v, want nil", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: got error %v, want nil", err)
		}
	})
	if s.read == s.write {
		t.Fatalf("Open(file): read and write are the same pool, want two")
	}
	if got := s.write.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("write pool: got MaxOpenConnections %d, want 1", got)
	}
	if got, want := s.read.Stats().MaxOpenConnections, readConns(); got != want {
		t.Errorf("read pool: got MaxOpenConnections %d, want %d", got, want)
	}
	if n := readConns(); n < 4 || n > 8 {
		t.Errorf("readConns: got %d, want 4..8", n)
	}
}

func TestOpenInMemoryUsesOneConnection(t *testing.T) {
	t.Parallel()
	for _, dsn := range []string{":memory:", "file::memory:", "file:store?mode=memory"} {
		s, err := Open(t.Context(), dsn)
		if err != nil {
			t.Fatalf("Open(%q): got error %v, want nil", dsn, err)
		}
		if s.read != s.write || s.rstmts != s.wstmts {
			t.Errorf("Open(%q): got separate read and write pools, want one", dsn)
		}
		if got := s.write.Stats().MaxOpenConnections; got != 1 {
			t.Errorf("Open(%q): got MaxOpenConnections %d, want 1", dsn, got)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: got error %v, want nil", err)
		}
	}
}

// openMigrated opens and migrates a store on a file in a fresh temporary
// directory, closed when the test ends.
func openMigrated(t *testing.T) *Store {
	t.Helper()
	s, err := OpenAndMigrate(t.Context(), filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatalf("OpenAndMigrate: got error %v, want nil", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: got error %v, want nil", err)
		}
	})
	return s
}

func TestReadPoolRefusesWrites(t *testing.T) {
	t.Parallel()
	s := openMigrated(t)
	_, err := s.read.ExecContext(t.Context(), `INSERT INTO users (external_id, handle, status) VALUES ('a', x'01', 'active')`)
	if err == nil {
		t.Errorf("INSERT on the read pool: got error nil, want an error (query_only)")
	}
}

// TestConnectionsAndStatementsAreReused checks the three costs the pools and
// the statement caches exist to remove: no connection is closed and reopened
// under concurrent load, and the sign-in path's statements are prepared once
// per connection, in and out of transactions.
func TestConnectionsAndStatementsAreReused(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openMigrated(t)
	u := authenticator.User{ExternalID: "alice", Handle: []byte{1}, Status: authenticator.UserEnrolled}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatalf("CreateUser: got error %v, want nil", err)
	}
	if err := s.CreateCredential(ctx, authenticator.Credential{ID: []byte{2}, UserExternalID: "alice",
		Status: authenticator.CredentialActive}); err != nil {
		t.Fatalf("CreateCredential: got error %v, want nil", err)
	}

	const workers, rounds = 32, 20
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range rounds {
				if _, err := s.GetUserByHandle(ctx, []byte{1}); err != nil {
					t.Errorf("GetUserByHandle: got error %v, want nil", err)
				}
				if _, err := s.ListCredentials(ctx, "alice"); err != nil {
					t.Errorf("ListCredentials: got error %v, want nil", err)
				}
				err := s.Atomic(ctx, func(tx authenticator.Tx) error {
					if _, err := tx.UpdateCredential(ctx, []byte{2}, func(c authenticator.Credential) (authenticator.Credential, error) {
						c.SignCount++
						return c, nil
					}); err != nil {
						return err
					}
					_, err := tx.AppendEvent(ctx, authenticator.Event{Type: authenticator.EventAuthenticationSuccess,
						UserExternalID: "alice", Actor: "user"})
					return err
				})
				if err != nil {
					t.Errorf("Atomic: got error %v, want nil", err)
				}
			}
		})
	}
	wg.Wait()

	c, err := s.GetCredential(ctx, []byte{2})
	if err != nil || c.SignCount != workers*rounds {
		t.Errorf("GetCredential: got sign count %d, error %v, want %d, nil", c.SignCount, err, workers*rounds)
	}
	for pool, db := range map[string]*sql.DB{"write": s.write, "read": s.read} {
		st := db.Stats()
		if st.MaxIdleClosed != 0 || st.MaxLifetimeClosed != 0 || st.MaxIdleTimeClosed != 0 {
			t.Errorf("%s pool: connections closed under load: %+v, want none", pool, st)
		}
	}
	wantWrite := []string{
		`SELECT ` + txstore.CredentialColumns + ` FROM credentials WHERE id = ?`,
		`INSERT INTO events (type, user_external_id, credential_id, actor, detail, at) VALUES (?, ?, ?, ?, ?, ?)`,
	}
	for _, q := range wantWrite {
		if s.wstmts.lookup(q) == nil {
			t.Errorf("write statements: %q not prepared after %d transactions", q, workers*rounds)
		}
	}
	wantRead := []string{
		selectUserByHandle,
		`SELECT ` + txstore.CredentialColumns + ` FROM credentials WHERE user_external_id = ? ORDER BY created_at, rowid`,
	}
	for _, q := range wantRead {
		if s.rstmts.lookup(q) == nil {
			t.Errorf("read statements: %q not prepared after %d reads", q, workers*rounds)
		}
	}
}

func TestWriteWaitsInTurnThenUnavailable(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openMigrated(t)
	s.writeWait = 50 * time.Millisecond
	// fn misuses the store: a write through s waits for fn's own turn.
	err := s.Atomic(ctx, func(authenticator.Tx) error {
		err := s.CreateUser(ctx, authenticator.User{ExternalID: "alice", Handle: []byte{1}})
		if !errors.Is(err, authenticator.ErrUnavailable) {
			t.Errorf("CreateUser inside Atomic: got error %v, want errors.Is(err, %v)", err, authenticator.ErrUnavailable)
		}
		waitCtx, cancel := context.WithCancel(ctx)
		cancel()
		err = s.CreateUser(waitCtx, authenticator.User{ExternalID: "bob", Handle: []byte{2}})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("CreateUser with a canceled context while another writes: got error %v, want errors.Is(err, %v)", err, context.Canceled)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Atomic: got error %v, want nil", err)
	}
	// The turn is free again.
	if err := s.CreateUser(ctx, authenticator.User{ExternalID: "carol", Handle: []byte{3}}); err != nil {
		t.Errorf("CreateUser after Atomic: got error %v, want nil", err)
	}
}

func TestEmbeddedMigrationsLoad(t *testing.T) {
	t.Parallel()
	if migrationsErr != nil {
		t.Fatalf("embedded migrations: got error %v, want nil", migrationsErr)
	}
	var names []string
	for _, m := range migrations {
		names = append(names, m.Name)
	}
	if want := []string{"0001_init.sql", "0002_idv.sql", "0003_approvals.sql", "0004_audit.sql", "0005_credential_name.sql", "0006_event_deliveries.sql", "0007_audit_subject.sql"}; !slices.Equal(names, want) {
		t.Errorf("embedded migrations: got %q, want %q", names, want)
	}
}

// queryPlan returns the details of EXPLAIN QUERY PLAN query, joined.
func queryPlan(t *testing.T, db *sql.DB, query string) string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+query)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN: got error %v, want nil", err)
	}
	defer rows.Close()
	var details []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatalf("EXPLAIN QUERY PLAN: got error %v, want nil", err)
		}
		details = append(details, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN: got error %v, want nil", err)
	}
	return strings.Join(details, "; ")
}

// TestMigrateFromVersion1 checks the upgrade a released database takes:
// one at version 1 with data in it reaches the latest version with its data
// intact, the new tables work and refer to its users, and every user has a
// random audit pseudonym of their own (0007).
func TestMigrateFromVersion1(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatalf("Open: got error %v, want nil", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: got error %v, want nil", err)
		}
	})
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, createSchemaMigrations); err != nil {
			return err
		}
		return apply(ctx, tx, migrations[0])
	})
	if err != nil {
		t.Fatalf("apply %s: got error %v, want nil", migrations[0].Name, err)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != 1 {
		t.Fatalf("SchemaVersion before Migrate: got %d, %v, want 1, nil", v, err)
	}
	// Stored the way version 1 stored users: CreateUser writes audit_subject now.
	alice := authenticator.User{ExternalID: "alice", Handle: []byte{1}, Status: authenticator.UserBiometricPending}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (external_id, handle, display_name, status) VALUES
			('alice', x'01', '', 'biometric_pending'), ('bob', x'02', '', 'invited')`)
		return err
	})
	if err != nil {
		t.Fatalf("insert users at version 1: got error %v, want nil", err)
	}

	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: got error %v, want nil", err)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != LatestSchemaVersion() {
		t.Fatalf("SchemaVersion after Migrate: got %d, %v, want %d, nil", v, err, LatestSchemaVersion())
	}
	if got, err := s.GetUser(ctx, "alice"); err != nil || got.Status != alice.Status {
		t.Errorf("GetUser after Migrate: got %+v, %v, want alice, nil", got, err)
	}
	subjects := map[string]bool{}
	for _, id := range []string{"alice", "bob"} {
		got, err := s.GetUser(ctx, id)
		if err != nil || !regexp.MustCompile(`^p-[0-9a-f]{32}$`).MatchString(got.AuditSubject) || subjects[got.AuditSubject] {
			t.Errorf("GetUser(%s) after Migrate: got AuditSubject %q, %v, want a new p- and 32 hex digits, nil", id, got.AuditSubject, err)
		}
		subjects[got.AuditSubject] = true
	}
	for _, stmt := range []string{
		`INSERT INTO users (external_id, handle, display_name, status) VALUES ('carol', x'03', '', 'invited')`,
		`UPDATE users SET audit_subject = 'p-another' WHERE external_id = 'alice'`,
	} {
		if err := s.inTx(ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, stmt); return err }); err == nil {
			t.Errorf("%s after Migrate: got nil error, want the trigger's refusal", stmt)
		}
	}
	if plan := queryPlan(t, s.read, `SELECT count(*) FROM events WHERE at >= 1 AND at < 2`); !strings.Contains(plan, "events_by_at") {
		t.Errorf("query plan of a count by time after Migrate: got %q, want it to use events_by_at", plan)
	}
	ref := authenticator.BiometricReference{ID: "r", UserExternalID: "alice", Provider: "sandbox",
		SealedRef: []byte{0, 0xff}, Status: authenticator.ReferenceActive}
	if err := s.CreateReference(ctx, ref); err != nil {
		t.Errorf("CreateReference after Migrate: got error %v, want nil", err)
	}
	check := authenticator.IDVCheck{Provider: "sandbox", RunID: "run", UserExternalID: "alice", Status: authenticator.CheckPending}
	if err := s.CreateCheck(ctx, check); err != nil {
		t.Errorf("CreateCheck after Migrate: got error %v, want nil", err)
	}
	check.UserExternalID = "nobody"
	check.RunID = "run-of-nobody"
	if err := s.CreateCheck(ctx, check); !errors.Is(err, authenticator.ErrNotFound) {
		t.Errorf("CreateCheck(unknown user) after Migrate: got error %v, want errors.Is(err, %v)", err, authenticator.ErrNotFound)
	}
	var violations int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM pragma_foreign_key_check`).Scan(&violations); err != nil || violations != 0 {
		t.Errorf("foreign key check after Migrate: got %d violations, error %v, want 0, nil", violations, err)
	}
}
