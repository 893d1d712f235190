package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// migrationFiles holds the schema migrations, migrations/NNNN_name.sql,
// numbered from 1 without gaps. They mirror authenticator/sqlite's one for
// one, version for version, so that a schema version means the same tables
// on either store. A migration is never edited once released: a change is a
// new file, here and in sqlite.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one schema version.
type migration struct {
	version int
	name    string // the file name
	sql     string
}

// migrations are the embedded migrations in version order; migrationsErr
// says why they could not be loaded (a build defect that Migrate reports).
var migrations, migrationsErr = loadMigrations(migrationFiles)

// loadMigrations reads migrations/*.sql from fsys and checks that their
// versions run 1, 2, 3, … without gaps.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	if len(names) == 0 {
		return nil, errors.New("no migrations found")
	}
	out := make([]migration, 0, len(names))
	for i, name := range names { // fs.Glob sorts; versions are zero-padded
		base := path.Base(name)
		prefix, _, ok := strings.Cut(base, "_")
		version, err := strconv.Atoi(prefix)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name is not NNNN_description.sql", base)
		}
		if version != i+1 {
			return nil, fmt.Errorf("migration %s: got version %d, want %d", base, version, i+1)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", base, err)
		}
		out = append(out, migration{version: version, name: base, sql: string(b)})
	}
	return out, nil
}

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
func apply(ctx context.Context, tx pgx.Tx, m migration) error {
	if err := lock(ctx, tx); err != nil {
		return err
	}
	var done bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.version).Scan(&done)
	if err != nil {
		return dbError(fmt.Sprintf("migrate: check %s", m.name), err)
	}
	if done {
		return nil
	}
	// No arguments: pgx sends it as a simple query, which may hold several
	// statements.
	if _, err := tx.Exec(ctx, m.sql); err != nil {
		return dbError(fmt.Sprintf("migrate: apply %s", m.name), err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
		return dbError(fmt.Sprintf("migrate: record %s", m.name), err)
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
