package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/internal/txstore"
)

// Store is an authenticator.Store on a PostgreSQL database, over a pgx
// connection pool. It is safe for concurrent use.
type Store struct {
	// Facade gives the Tx methods outside a transaction: reads and
	// single-statement writes on the pool, updaters and audit appends in a
	// transaction of their own.
	txstore.Facade
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
	s := &Store{pool: pool}
	read := func() authenticator.Tx { return s.reader() }
	s.Facade = txstore.New(read, func(_ context.Context, fn func(authenticator.Tx) error) error { return fn(read()) }, s.Atomic)
	return s, nil
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
