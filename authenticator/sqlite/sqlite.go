package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/internal/txstore"
)

// Store is an authenticator.Store on a SQLite database. It is safe for
// concurrent use.
//
// A Store on a file has two connection pools. SQLite lets one connection
// write at a time; the others wait in its busy handler, which sleeps 1, 2,
// 5, 10 … 100 ms between tries, so concurrent writers on a shared pool paid
// tens of milliseconds to wait for writes of tens of microseconds. Writes
// therefore queue in Go, first come first served, for the write pool's one
// connection, which finds the lock free; the busy timeout remains for
// writers in other processes (another replica, the migrate command). Reads
// have a pool of their own and, in WAL mode, never wait for the writer.
// Both pools keep their connections open for as long as the store, so the
// pragmas run once per connection and the prepared statements stay valid.
//
// A Store on an in-memory database has one connection, since each
// connection would have a database of its own: read and write are the same
// pool, and its reads queue with the writes.
type Store struct {
	// Facade gives the Tx methods outside a transaction: reads on the read
	// pool, every write in a transaction of its own (one writer).
	txstore.Facade
	write  *sql.DB       // one connection: every write transaction
	read   *sql.DB       // reads outside transactions; write itself in memory
	wstmts *stmtCache    // statements prepared on write
	rstmts *stmtCache    // statements prepared on read; wstmts in memory
	turn   chan struct{} // holds a token while no write transaction runs
	// writeWait bounds the wait for turn, as busy_timeout bounds SQLite's
	// wait for the lock; a field so that the package's tests can shorten it.
	writeWait time.Duration
}

var (
	_ authenticator.Store = (*Store)(nil)
	_ authenticator.Tx    = txn{}
)

// busyTimeout is how long a write waits for another's write lock before the
// store gives up with ErrUnavailable: in the store's queue for the store's
// own writes (Store.writeWait), in SQLite's busy handler for the writes of
// another Store or process on the same file.
const busyTimeout = 5 * time.Second

// dsnParams are the driver parameters Open adds to every DSN.
var dsnParams = strings.Join([]string{
	fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()),
	"_pragma=foreign_keys(1)",
	"_pragma=journal_mode(WAL)",
	"_pragma=synchronous(NORMAL)",
	"_txlock=immediate",
}, "&")

// readOnlyParam is added to the read pool's DSN: a write sent there by
// mistake fails at once instead of contending with the write pool for the
// lock in SQLite's busy handler, which the pools exist to avoid.
const readOnlyParam = "_query_only=1"

// readConns is the size of a file store's read pool. Reads are short and
// mostly CPU (the driver is Go, and the pages are cached), so connections
// beyond a couple per CPU would only queue inside the process; every one of
// them stays open (as many idle as open), since database/sql's default of
// two idle connections closed and reopened the others, pragmas and prepared
// statements included, under load.
func readConns() int { return min(max(2*runtime.GOMAXPROCS(0), 4), 8) }

// Open opens the SQLite database dsn names: a file path ("plugin.db"), a
// "file:" URI, or ":memory:" for a private in-memory database. It adds the
// parameters the store needs (see the package documentation) and checks
// that the database can be opened, but does not migrate it: call
// [Store.Migrate], or use [OpenAndMigrate].
func Open(ctx context.Context, dsn string) (*Store, error) {
	if dsn == "" {
		return nil, authenticator.Errorf(authenticator.CodeInvalidArgument, "sqlite: open: empty DSN")
	}
	mem := inMemory(dsn)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	dsn += sep + dsnParams
	// The write pool opens first, so that it is the one that puts a new
	// database in WAL mode.
	write, err := openPool(ctx, dsn, 1)
	if err != nil {
		return nil, err
	}
	read := write
	if !mem {
		if read, err = openPool(ctx, dsn+"&"+readOnlyParam, readConns()); err != nil {
			return nil, errors.Join(err, write.Close())
		}
	}
	s := &Store{
		write: write, read: read,
		wstmts: newStmtCache(write),
		turn:   make(chan struct{}, 1), writeWait: busyTimeout,
	}
	s.rstmts = s.wstmts
	if read != write {
		s.rstmts = newStmtCache(read)
	}
	s.turn <- struct{}{}
	s.Facade = txstore.New(func() authenticator.Tx { return s.reader() }, s.Atomic, s.Atomic)
	return s, nil
}

// openPool opens a pool of n connections on dsn, all kept open, and checks
// that one can be made.
func openPool(ctx context.Context, dsn string, n int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	// No lifetime or idle limit (the defaults, stated): a connection is a
	// file descriptor and a page cache, and reopening one costs its pragmas
	// and its prepared statements.
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := pingUntilFree(ctx, db); err != nil {
		return nil, errors.Join(fmt.Errorf("sqlite: open: %w", err), db.Close())
	}
	return db, nil
}

// pingUntilFree makes the first connection, retrying while the database is
// busy. Putting a new database into WAL mode needs an exclusive lock, and
// when several processes do it at once SQLite may answer SQLITE_BUSY at
// once, without its busy handler, to avoid a deadlock; so a store opened
// next to another one (a migrate command, a second process) waits here, up
// to the busy timeout, instead of failing.
func pingUntilFree(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(busyTimeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		err := db.PingContext(ctx)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
	}
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
	err := errors.Join(s.rstmts.close(), s.wstmts.close())
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	// The write pool closes last: the last connection to close checkpoints
	// the WAL into the database file.
	if err = errors.Join(err, s.write.Close()); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// Atomic runs fn in one immediate transaction and commits if fn returns nil;
// otherwise it rolls back and returns fn's error as it is. fn must use the
// Tx it is given, never s: a write through s would wait for fn's transaction
// to end and fail with ErrUnavailable after the busy timeout, and on an
// in-memory database a read through s would wait for fn's connection.
func (s *Store) Atomic(ctx context.Context, fn func(tx authenticator.Tx) error) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return fn(txn{c: s.wstmts, tx: tx}) })
}

// inTx runs fn in an immediate transaction on the write pool and commits if
// fn returns nil; fn's error is returned as it is. It waits for the store's
// write turn first (see [Store]).
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := s.takeTurn(ctx); err != nil {
		return err
	}
	defer func() { s.turn <- struct{}{} }()
	err := s.runTx(ctx, fn)
	// The transaction has given the connection back: prepare what it ran
	// unprepared, before the next transaction takes the connection again.
	s.wstmts.prepareWanted(ctx)
	return err
}

// runTx is inTx once the write turn is taken.
func (s *Store) runTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
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

// takeTurn waits until no other write transaction of s runs, ctx is done or
// s.writeWait has passed, whichever comes first. Waiters take their turns in
// the order they came (a channel's receivers queue in order, and a token
// released while some wait goes to the first), unlike database/sql's wait
// for a connection, which picks a waiter at random and so makes the slowest
// waits longer.
func (s *Store) takeTurn(ctx context.Context) error {
	select {
	case <-s.turn:
		return nil
	default:
	}
	timer := time.NewTimer(s.writeWait)
	defer timer.Stop()
	select {
	case <-s.turn:
		return nil
	case <-ctx.Done():
		return dbError("begin transaction", ctx.Err())
	case <-timer.C:
		return authenticator.Errorf(authenticator.CodeUnavailable,
			"sqlite: begin transaction: other writes of this store held the write lock for over %v", s.writeWait)
	}
}

// reader is the Tx for reads outside a transaction.
func (s *Store) reader() txn { return txn{c: s.rstmts} }
