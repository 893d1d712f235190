package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// Store is an authenticator.Store on a PostgreSQL database, over a pgx
// connection pool. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

var (
	_ authenticator.Store = (*Store)(nil)
	_ authenticator.Tx    = txn{}
)

// LockTimeout is how long a statement waits for a row lock another
// transaction holds before it fails with ErrUnavailable, as SQLite's busy
// timeout bounds the wait for its write lock. A DSN that sets lock_timeout
// itself keeps its own value.
const LockTimeout = 5 * time.Second

// sessionDefaults are the run-time parameters Open sets on every connection
// unless the DSN sets them.
var sessionDefaults = map[string]string{
	"application_name": "biometric-passkey",
	"lock_timeout":     fmt.Sprintf("%dms", LockTimeout.Milliseconds()),
	// Times cross the wire as UTC instants either way (timestamptz); the
	// session zone only shows in ad-hoc queries and server logs.
	"TimeZone": "UTC",
}

// Open connects to the PostgreSQL database dsn names, a URL
// ("postgres://user@host:5432/db?sslmode=verify-full") or key=value
// connection string ("host=db dbname=passkey sslmode=verify-full"), as pgx
// parses it: the libpq variables (PGHOST, PGPASSWORD, PGSSLMODE …) and
// ~/.pgpass fill what dsn leaves out, and pool_max_conns and the other
// pgxpool parameters size the pool. It checks that a connection can be
// made, but does not migrate: call [Store.Migrate], or use
// [OpenAndMigrate].
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	if dsn == "" {
		return nil, authenticator.Errorf(authenticator.CodeInvalidArgument, "postgres: open: empty DSN")
	}
	cfg, err := pgxpool.ParseConfig(dsn) // its errors redact the password
	if err != nil {
		return nil, authenticator.Errorf(authenticator.CodeInvalidArgument, "postgres: open: %w", err)
	}
	for _, o := range opts {
		o(cfg)
	}
	for k, v := range sessionDefaults {
		if _, ok := cfg.ConnConfig.RuntimeParams[k]; !ok {
			cfg.ConnConfig.RuntimeParams[k] = v
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, dbError("open", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, dbError("open", err)
	}
	return &Store{pool: pool}, nil
}

// Option adjusts how [Open] connects.
type Option func(*pgxpool.Config)

// WithPassword sets the password to authenticate with, over any in the
// DSN, the environment or a password file, so that a password kept apart
// from the DSN (a secret in the configuration) never has to be written
// into a connection string.
func WithPassword(password string) Option {
	return func(cfg *pgxpool.Config) { cfg.ConnConfig.Password = password }
}

// OpenAndMigrate opens the database like [Open] and brings its schema to
// [LatestSchemaVersion].
func OpenAndMigrate(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	s, err := Open(ctx, dsn, opts...)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// Close closes the pool, waiting for connections in use to be returned.
// Calling it again does nothing; a closed Store fails every call.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Atomic runs fn in one READ COMMITTED transaction and commits if fn
// returns nil; otherwise it rolls back and returns fn's error as it is.
// Nothing is retried, so fn and the updater closures in it run once.
//
// fn must use the Tx it is given, never s: s works on other connections,
// outside the transaction, and would wait for the rows fn has locked until
// LockTimeout. As PostgreSQL aborts a transaction at its first failed
// statement, fn must return when a write fails; every later statement
// would fail too.
func (s *Store) Atomic(ctx context.Context, fn func(tx authenticator.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return dbError("begin transaction", err)
	}
	// After Commit this is a no-op; after a failure, fn's error is the one
	// to report, and pgx closes a connection whose rollback failed.
	defer func() { _ = tx.Rollback(ctx) }()
	if err := fn(txn{q: tx}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return dbError("commit", err)
	}
	return nil
}

// reader is the Tx for reads outside a transaction.
func (s *Store) reader() txn { return txn{q: s.pool} }

// CreateUser stores a new user; see authenticator.Tx.
func (s *Store) CreateUser(ctx context.Context, u authenticator.User) error {
	return s.reader().CreateUser(ctx, u) // one statement: atomic on its own
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
	return s.reader().CreateCredential(ctx, c)
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

// CreateReference stores a new biometric reference; see authenticator.Tx.
func (s *Store) CreateReference(ctx context.Context, r authenticator.BiometricReference) error {
	return s.reader().CreateReference(ctx, r)
}

// ListReferences returns the user's references, oldest first; see
// authenticator.Tx.
func (s *Store) ListReferences(ctx context.Context, externalID string) ([]authenticator.BiometricReference, error) {
	return s.reader().ListReferences(ctx, externalID)
}

// UpdateReference applies fn to the stored reference in a transaction of
// its own; see authenticator.Tx.
func (s *Store) UpdateReference(ctx context.Context, id string, fn func(authenticator.BiometricReference) (authenticator.BiometricReference, error)) (authenticator.BiometricReference, error) {
	var r authenticator.BiometricReference
	err := s.Atomic(ctx, func(tx authenticator.Tx) error {
		var err error
		r, err = tx.UpdateReference(ctx, id, fn)
		return err
	})
	return r, err
}

// CreateCheck stores a new identity-verification check; see
// authenticator.Tx.
func (s *Store) CreateCheck(ctx context.Context, c authenticator.IDVCheck) error {
	return s.reader().CreateCheck(ctx, c)
}

// GetCheck returns the check provider ran as runID; see authenticator.Tx.
func (s *Store) GetCheck(ctx context.Context, provider, runID string) (authenticator.IDVCheck, error) {
	return s.reader().GetCheck(ctx, provider, runID)
}

// UpdateCheck applies fn to the stored check in a transaction of its own;
// see authenticator.Tx.
func (s *Store) UpdateCheck(ctx context.Context, provider, runID string, fn func(authenticator.IDVCheck) (authenticator.IDVCheck, error)) (authenticator.IDVCheck, error) {
	var c authenticator.IDVCheck
	err := s.Atomic(ctx, func(tx authenticator.Tx) error {
		var err error
		c, err = tx.UpdateCheck(ctx, provider, runID, fn)
		return err
	})
	return c, err
}

// CreateApproval stores a transaction approval; see authenticator.Tx.
func (s *Store) CreateApproval(ctx context.Context, a authenticator.Approval) error {
	return s.reader().CreateApproval(ctx, a)
}

// GetApproval returns the approval with id or ErrNotFound; see authenticator.Tx.
func (s *Store) GetApproval(ctx context.Context, id string) (authenticator.Approval, error) {
	return s.reader().GetApproval(ctx, id)
}

// AppendEvent stores e and returns it with its ID set; see authenticator.Tx.
func (s *Store) AppendEvent(ctx context.Context, e authenticator.Event) (authenticator.Event, error) {
	return s.reader().AppendEvent(ctx, e)
}

// ListEvents returns the user's most recent events, newest first; see
// authenticator.Tx.
func (s *Store) ListEvents(ctx context.Context, externalID string, limit int) ([]authenticator.Event, error) {
	return s.reader().ListEvents(ctx, externalID, limit)
}
