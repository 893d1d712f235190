// Package schema loads a store's embedded schema migrations. The SQLite and
// PostgreSQL stores keep the same versions, one file per version,
// migrations/NNNN_description.sql numbered from 1 without gaps; each store
// applies them with its own SQL.
package schema

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// Migration is one schema version.
type Migration struct {
	Version int
	Name    string // the file name, recorded in schema_migrations
	SQL     string
}

// Load reads migrations/*.sql from fsys and checks that their versions run
// 1, 2, 3, … without gaps, so a missing or doubled file is a build defect
// reported before any database is touched.
func Load(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	if len(names) == 0 {
		return nil, errors.New("no migrations found")
	}
	out := make([]Migration, 0, len(names))
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
		out = append(out, Migration{Version: version, Name: base, SQL: string(b)})
	}
	return out, nil
}
