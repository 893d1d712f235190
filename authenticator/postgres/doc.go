// Package postgres is the authenticator.Store on PostgreSQL, the durable
// store of production deployments, where replicas of the plugin share one
// database (DESIGN.md §6; docs/adr/0007-postgresql-store.md). It uses
// jackc/pgx v5 and its pool, pgxpool, without database/sql.
//
// It owns:
//
//   - Connecting ([Open], [OpenAndMigrate]) from a URL or key=value DSN, as
//     pgx parses it (PG* environment variables and ~/.pgpass fill the gaps;
//     pool_max_conns and the other pgxpool parameters size the pool), with
//     a password from the configuration's secret ([WithPassword]) and these
//     session defaults unless the DSN sets them: lock_timeout ([LockTimeout]),
//     TimeZone=UTC and application_name=biometric-passkey.
//   - The schema: versioned migrations embedded from migrations/NNNN_name.sql,
//     the PostgreSQL twins of authenticator/sqlite's, version for version
//     (a test holds them to the same file names), recorded in
//     schema_migrations and applied by [Store.Migrate], each in a
//     transaction of its own under an advisory lock, so that replicas
//     starting together apply each migration once.
//   - Mapping PostgreSQL's errors (SQLSTATE) onto the authenticator's typed
//     errors: no rows and foreign-key violations (23503) are ErrNotFound;
//     unique violations (23505) ErrConflict; check and not-null violations
//     and data exceptions (class 22: a NUL in text, invalid UTF-8)
//     ErrInvalidArgument; serialization failures, deadlocks, lock timeouts
//     (40001, 40P01, 55P03), cancelled statements, and connection,
//     resource and operator errors (classes 08, 53, 57) ErrUnavailable,
//     which callers may retry; everything else is ErrInternal with the
//     cause wrapped.
//
// # Isolation and locking
//
// Transactions run at READ COMMITTED, and every updater (UpdateUser,
// UpdateCredential, UpdateReference, UpdateCheck) reads its row with SELECT
// … FOR UPDATE before it calls the closure. A concurrent updater of the same
// row waits for the lock, and then reads the row as the first one committed
// it; so no write is lost, and each closure is called once, with the value
// its update replaces. That is what storetest's concurrency suite asks: of
// concurrent updaters completing a pending check, exactly one closure sees
// it pending. Creates need no lock: a unique or primary key decides between
// concurrent inserts, and the loser gets ErrConflict once the winner
// commits.
//
// The alternative, SERIALIZABLE (or REPEATABLE READ) with a retry on
// serialization failure, was rejected: a retry runs the closures again, the
// first time with a value that was already stale, and it would re-run the
// whole function given to [Store.Atomic], whose side effects outside the
// database (events, calls to an identity provider, counters) must happen
// once. Row locks also queue the hot case — sign-ins racing on one
// credential's sign count — instead of aborting all but one.
//
// What READ COMMITTED leaves open: plain reads (Get*, List*) in a
// transaction take no lock, and each statement sees what was committed when
// it began. A decision that must hold until commit goes through an updater,
// which locks. Two transactions that lock the same rows in opposite orders
// deadlock; PostgreSQL aborts one of them, which gets ErrUnavailable, as
// does a wait for a row lock longer than [LockTimeout]. PostgreSQL aborts a
// transaction at its first failed statement, so a function given to Atomic
// must return when a write fails (the service always does).
//
// Storage format: times are timestamptz in UTC, truncated to microseconds,
// NULL for the zero time; an empty username is NULL, so it is never
// unique-checked; transports are a text[] and event details a jsonb object;
// byte fields are bytea. User ids use the "C" collation, so ListUsers orders
// them byte-wise, as Go does. Credentials and references carry a seq
// identity column that orders those created at the same instant by when
// they were stored, as SQLite's rowid does. The database must use the UTF8
// encoding.
//
// Writes outside Atomic that are a single statement (the creates,
// AppendEvent) run on their own; the updaters and AppendAudit (which must
// lock the chain head) open a transaction each.
// Reads run on the pool. pgx prepares and caches every statement per
// connection; behind a transaction-pooling PgBouncer, add
// default_query_exec_mode=exec to the DSN.
//
// Tests get a throwaway server from internal/testenv.Postgres, a database
// of its own per test. The store passes authenticator/storetest.
package postgres
