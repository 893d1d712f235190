package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// Store is an authenticator.Store on a SQLite database. It is safe for
// concurrent use.
type Store struct {
	db *sql.DB
}

var (
	_ authenticator.Store = (*Store)(nil)
	_ authenticator.Tx    = txn{}
)

// busyTimeout is how long a connection waits for another's write lock before
// the store gives up with ErrUnavailable.
const busyTimeout = 5 * time.Second

// dsnParams are the driver parameters Open adds to every DSN.
var dsnParams = strings.Join([]string{
	fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()),
	"_pragma=foreign_keys(1)",
	"_pragma=journal_mode(WAL)",
	"_pragma=synchronous(NORMAL)",
	"_txlock=immediate",
}, "&")

// Open opens the SQLite database dsn names: a file path ("plugin.db"), a
// "file:" URI, or ":memory:" for a private in-memory database. It adds the
// parameters the store needs (see the package documentation) and checks
// that the database can be opened, but does not migrate it: call
// [Store.Migrate], or use [OpenAndMigrate].
func Open(ctx context.Context, dsn string) (*Store, error) {
	if dsn == "" {
		return nil, authenticator.Errorf(authenticator.CodeInvalidArgument, "sqlite: open: empty DSN")
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	db, err := sql.Open("sqlite", dsn+sep+dsnParams)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	if inMemory(dsn) {
		// Each connection to an in-memory database has a database of its
		// own, so the store must never use a second one.
		db.SetMaxOpenConns(1)
	}
	if err := db.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("sqlite: open: %w", err), db.Close())
	}
	return &Store{db: db}, nil
}

// OpenAndMigrate opens the database like [Open] and brings its schema to
// [LatestSchemaVersion], as the embedded default does at start.
func OpenAndMigrate(ctx context.Context, dsn string) (*Store, error) {
	s, err := Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// inMemory reports whether dsn names an in-memory database.
func inMemory(dsn string) bool {
	return strings.HasPrefix(dsn, ":memory:") ||
		strings.HasPrefix(dsn, "file::memory:") ||
		strings.Contains(dsn, "mode=memory")
}

// Close closes the database. Calling it again does nothing.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// Atomic runs fn in one immediate transaction and commits if fn returns nil;
// otherwise it rolls back and returns fn's error as it is. fn must use the
// Tx it is given, never s: s would wait for the lock fn's transaction holds.
func (s *Store) Atomic(ctx context.Context, fn func(tx authenticator.Tx) error) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return fn(txn{q: tx}) })
}

// inTx runs fn in an immediate transaction and commits if fn returns nil;
// fn's error is returned as it is.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return dbError("begin transaction", err)
	}
	// After Commit this is a no-op; after a failure, fn's error is the one
	// to report, and a failed rollback leaves nothing behind in SQLite.
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return dbError("commit", err)
	}
	return nil
}

// reader is the Tx for reads outside a transaction.
func (s *Store) reader() txn { return txn{q: s.db} }

// CreateUser stores a new user; see authenticator.Tx.
func (s *Store) CreateUser(ctx context.Context, u authenticator.User) error {
	return s.Atomic(ctx, func(tx authenticator.Tx) error { return tx.CreateUser(ctx, u) })
}

// GetUser returns the user with externalID; see authenticator.Tx.
func (s *Store) GetUser(ctx context.Context, externalID string) (authenticator.User, error) {
	return s.reader().GetUser(ctx, externalID)
}

// GetUserByHandle returns the user with the WebAuthn user handle; see
// authenticator.Tx.
func (s *Store) GetUserByHandle(ctx context.Context, handle []byte) (authenticator.User, error) {
	return s.reader().GetUserByHandle(ctx, handle)
}

// GetUserByUsername returns the user with username; see authenticator.Tx.
func (s *Store) GetUserByUsername(ctx context.Context, username string) (authenticator.User, error) {
	return s.reader().GetUserByUsername(ctx, username)
}

// UpdateUser applies fn to the stored user in a transaction of its own; see
// authenticator.Tx.
func (s *Store) UpdateUser(ctx context.Context, externalID string, fn func(authenticator.User) (authenticator.User, error)) (authenticator.User, error) {
	var u authenticator.User
	err := s.Atomic(ctx, func(tx authenticator.Tx) error {
		var err error
		u, err = tx.UpdateUser(ctx, externalID, fn)
		return err
	})
	return u, err
}

// ListUsers returns a page of users; see authenticator.Tx.
func (s *Store) ListUsers(ctx context.Context, q authenticator.UserQuery) ([]authenticator.User, error) {
	return s.reader().ListUsers(ctx, q)
}

// CreateCredential stores a new credential; see authenticator.Tx.
func (s *Store) CreateCredential(ctx context.Context, c authenticator.Credential) error {
	return s.Atomic(ctx, func(tx authenticator.Tx) error { return tx.CreateCredential(ctx, c) })
}

// GetCredential returns the credential with id; see authenticator.Tx.
func (s *Store) GetCredential(ctx context.Context, id []byte) (authenticator.Credential, error) {
	return s.reader().GetCredential(ctx, id)
}

// ListCredentials returns the user's credentials, oldest first; see
// authenticator.Tx.
func (s *Store) ListCredentials(ctx context.Context, externalID string) ([]authenticator.Credential, error) {
	return s.reader().ListCredentials(ctx, externalID)
}

// UpdateCredential applies fn to the stored credential in a transaction of
// its own; see authenticator.Tx.
func (s *Store) UpdateCredential(ctx context.Context, id []byte, fn func(authenticator.Credential) (authenticator.Credential, error)) (authenticator.Credential, error) {
	var c authenticator.Credential
	err := s.Atomic(ctx, func(tx authenticator.Tx) error {
		var err error
		c, err = tx.UpdateCredential(ctx, id, fn)
		return err
	})
	return c, err
}

// AppendEvent stores e and returns it with its ID set; see authenticator.Tx.
func (s *Store) AppendEvent(ctx context.Context, e authenticator.Event) (authenticator.Event, error) {
	var out authenticator.Event
	err := s.Atomic(ctx, func(tx authenticator.Tx) error {
		var err error
		out, err = tx.AppendEvent(ctx, e)
		return err
	})
	return out, err
}

// ListEvents returns the user's most recent events, newest first; see
// authenticator.Tx.
func (s *Store) ListEvents(ctx context.Context, externalID string, limit int) ([]authenticator.Event, error) {
	return s.reader().ListEvents(ctx, externalID, limit)
}
