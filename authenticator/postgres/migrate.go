package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/biometric-passkey/biometric-passkey/authenticator/internal/schema"
)

// migrationFiles holds the schema migrations, migrations/NNNN_name.sql,
// numbered from 1 without gaps. They mirror authenticator/sqlite's one for
// one, version for version, so that a schema version means the same tables
// on either store. A migration is never edited once released: a change is a
// new file, here and in sqlite.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are the embedded migrations in version order; migrationsErr
// says why they could not be loaded (a build defect that Migrate reports).
var migrations, migrationsErr = schema.Load(migrationFiles)

// LatestSchemaVersion is the schema version this build's migrations reach.
func LatestSchemaVersion() int { return len(migrations) }

const createSchemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer NOT NULL PRIMARY KEY,
	name       text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`

// migrateLock is the key of the transaction-level advisory lock every
// migration step takes, so that replicas starting together, or a migrate
// command beside them, apply each migration once, one after another.
// Advisory locks are per database: stores on other databases of the server
// do not wait for each other.
const migrateLock int64 = 0x62705f736368656d // "bp_schem"

// Migrate brings the schema to [LatestSchemaVersion], applying each missing
// migration in a transaction of its own (PostgreSQL's DDL is
// transactional: a migration lands whole or not at all) and recording it in
// schema_migrations, in the schema the connection's search_path puts first.
// It is idempotent, and safe to run from several processes at once. It
// refuses a database whose schema is newer than this build knows.
func (s *Store) Migrate(ctx context.Context) error {
	if migrationsErr != nil {
		return fmt.Errorf("postgres: migrate: %w", migrationsErr)
	}
	if err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return prepare(ctx, tx) }); err != nil {
		return err
	}
	for _, m := range migrations {
		if err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return apply(ctx, tx, m) }); err != nil {
			return err
		}
	}
	return nil
}

// lock takes the migration lock until tx ends.
func lock(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
		return dbError("migrate: lock", err)
	}
	return nil
}

// prepare creates schema_migrations in tx, under the migration lock, and
// refuses a schema newer than this build's.
func prepare(ctx context.Context, tx pgx.Tx) error {
	if err := lock(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, createSchemaMigrations); err != nil {
		return dbError("migrate: create schema_migrations", err)
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return dbError("migrate: schema version", err)
	}
	if current > LatestSchemaVersion() {
		return fmt.Errorf("postgres: migrate: the database schema is at version %d, newer than this build's %d",
			current, LatestSchemaVersion())
	}
	return nil
}

// apply runs m in tx, under the migration lock, unless schema_migrations
// says it already ran, which another process may have done since Migrate
// began.
func apply(ctx context.Context, tx pgx.Tx, m schema.Migration) error {
	if err := lock(ctx, tx); err != nil {
		return err
	}
	var done bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.Version).Scan(&done)
	if err != nil {
		return dbError(fmt.Sprintf("migrate: check %s", m.Name), err)
	}
	if done {
		return nil
	}
	// No arguments: pgx sends it as a simple query, which may hold several
	// statements.
	if _, err := tx.Exec(ctx, m.SQL); err != nil {
		return dbError(fmt.Sprintf("migrate: apply %s", m.Name), err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
		return dbError(fmt.Sprintf("migrate: record %s", m.Name), err)
	}
	return nil
}

// SchemaVersion returns the highest migration applied to the database, 0 for
// a database that was never migrated.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, dbError("schema version", err)
	}
	if !exists {
		return 0, nil
	}
	var version int
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return 0, dbError("schema version", err)
	}
	return version, nil
}
