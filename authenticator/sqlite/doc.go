// Package sqlite is the authenticator.Store on SQLite, the durable store of
// the embedded default (DESIGN.md §2, §6). It uses modernc.org/sqlite, a pure
// Go driver, so the plugin builds without cgo.
//
// It owns:
//
//   - Opening a database ([Open], [OpenAndMigrate]) from a file path or an
//     in-memory DSN, with the settings the store relies on: WAL journal,
//     synchronous=NORMAL, foreign keys on, a busy timeout, and immediate
//     write transactions (BEGIN IMMEDIATE), so that concurrent updaters queue
//     for the write lock up front instead of deadlocking on a lock upgrade.
//   - The schema: versioned migrations embedded from migrations/NNNN_name.sql,
//     recorded in the schema_migrations table and applied by [Store.Migrate],
//     which an operator runs explicitly and the embedded default runs at start.
//   - Mapping SQLite's errors onto the authenticator's typed errors: no rows
//     and foreign-key violations are ErrNotFound, unique violations are
//     ErrConflict, a write lock still held after the busy timeout is
//     ErrUnavailable; everything else is ErrInternal with the cause wrapped.
//
// Storage format: times are INTEGER Unix microseconds in UTC (NULL for the
// zero time), so they round-trip exactly once normalised; an empty username
// is NULL, so it is never unique-checked; transports and event details are
// JSON; a biometric reference's sealed reference is a BLOB the store never
// interprets (NULL when nil), and a check's key is (provider, run_id).
// ListUsers orders by external_id with SQLite's BINARY collation, which is
// Go's byte-wise string order.
//
// Every write, including the updaters, runs in its own immediate transaction
// unless it is part of [Store.Atomic]. Reads run outside transactions and, in
// WAL mode, never wait for writers. The function given to Atomic must use
// the Tx it is given and never the Store itself (see [Store.Atomic]).
//
// Connections: a Store on a file keeps two pools open for its lifetime. The
// write pool has one connection, and writes queue for it in Go, in arrival
// order, rather than in SQLite's busy handler, whose sleeps of up to 100 ms
// made the slowest concurrent sign-ins wait far longer than the writes
// took; the busy timeout still bounds both waits, and still covers writers
// in other processes. The read pool has a few connections (4 to 8, by
// GOMAXPROCS), all kept idle rather than closed, and is query-only. Every
// statement is prepared once per connection and reused (database/sql's
// Stmt; the driver has no statement cache of its own). An in-memory
// database is private to its connection, so a Store on one has a single
// connection that reads and writes share; a shared-cache URI would let two
// pools see one in-memory database, but with table-level locks instead of
// WAL, which would make the in-memory store behave unlike the file one.
//
// The store passes authenticator/storetest.
package sqlite
