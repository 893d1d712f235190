package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"github.com/biometric-passkey/biometric-passkey/authenticator/internal/schema"
)

// migrationFiles holds the schema migrations, migrations/NNNN_name.sql,
// numbered from 1 without gaps. A migration is never edited once released:
// a change is a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are the embedded migrations in version order; migrationsErr
// says why they could not be loaded (a build defect that Migrate reports).
var migrations, migrationsErr = schema.Load(migrationFiles)

// LatestSchemaVersion is the schema version this build's migrations reach.
func LatestSchemaVersion() int { return len(migrations) }

const createSchemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER NOT NULL PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT`

// Migrate brings the schema to [LatestSchemaVersion], applying each missing
// migration in a transaction of its own and recording it in
// schema_migrations. It is idempotent, and safe to run from several
// processes at once. It refuses a database whose schema is newer than this
// build knows.
func (s *Store) Migrate(ctx context.Context) error {
	if migrationsErr != nil {
		return fmt.Errorf("sqlite: migrate: %w", migrationsErr)
	}
	// Through inTx, like every write, so that it takes its turn with the
	// store's other writes.
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, createSchemaMigrations); err != nil {
			return dbError("migrate: create schema_migrations", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	current, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if current > LatestSchemaVersion() {
		return fmt.Errorf("sqlite: migrate: the database schema is at version %d, newer than this build's %d",
			current, LatestSchemaVersion())
	}
	for _, m := range migrations {
		if err := s.inTx(ctx, func(tx *sql.Tx) error { return apply(ctx, tx, m) }); err != nil {
			return err
		}
	}
	return nil
}

// apply runs m in tx unless schema_migrations says it already ran, which
// another process may have done since Migrate looked.
func apply(ctx context.Context, tx *sql.Tx, m schema.Migration) error {
	var done bool
	err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)`, m.Version).
		Scan(&done)
	if err != nil {
		return dbError(fmt.Sprintf("migrate: check %s", m.Name), err)
	}
	if done {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return dbError(fmt.Sprintf("migrate: apply %s", m.Name), err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, m.Version, m.Name); err != nil {
		return dbError(fmt.Sprintf("migrate: record %s", m.Name), err)
	}
	return nil
}

// SchemaVersion returns the highest migration applied to the database, 0 for
// a database that was never migrated.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var exists bool
	err := s.read.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations')`).
		Scan(&exists)
	if err != nil {
		return 0, dbError("schema version", err)
	}
	if !exists {
		return 0, nil
	}
	var version int
	if err := s.read.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return 0, dbError("schema version", err)
	}
	return version, nil
}
