package sqlite

import (
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"
)

func TestOpenSetsPragmas(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatalf("Open: got error %v, want nil", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: got error %v, want nil", err)
		}
	})
	want := map[string]string{
		"journal_mode": "wal",
		"foreign_keys": "1",
		"synchronous":  "1", // NORMAL
		"busy_timeout": "5000",
	}
	for pragma, w := range want {
		var got string
		if err := s.db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Errorf("PRAGMA %s: got error %v, want nil", pragma, err)
			continue
		}
		if got != w {
			t.Errorf("PRAGMA %s: got %q, want %q", pragma, got, w)
		}
	}
}

func TestOpenInMemoryUsesOneConnection(t *testing.T) {
	t.Parallel()
	for _, dsn := range []string{":memory:", "file::memory:", "file:store?mode=memory"} {
		s, err := Open(t.Context(), dsn)
		if err != nil {
			t.Fatalf("Open(%q): got error %v, want nil", dsn, err)
		}
		if got := s.db.Stats().MaxOpenConnections; got != 1 {
			t.Errorf("Open(%q): got MaxOpenConnections %d, want 1", dsn, got)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: got error %v, want nil", err)
		}
	}
}

func TestLoadMigrations(t *testing.T) {
	t.Parallel()
	file := func(sql string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(sql)} }
	tests := map[string]struct {
		fsys    fstest.MapFS
		want    []int
		wantErr bool
	}{
		"in order": {
			fsys: fstest.MapFS{
				"migrations/0002_more.sql": file("SELECT 2"),
				"migrations/0001_init.sql": file("SELECT 1"),
				"migrations/README":        file("not a migration"),
			},
			want: []int{1, 2},
		},
		"none":          {fsys: fstest.MapFS{}, wantErr: true},
		"gap":           {fsys: fstest.MapFS{"migrations/0001_a.sql": file(""), "migrations/0003_c.sql": file("")}, wantErr: true},
		"not from 1":    {fsys: fstest.MapFS{"migrations/0002_b.sql": file("")}, wantErr: true},
		"duplicate":     {fsys: fstest.MapFS{"migrations/0001_a.sql": file(""), "migrations/0001_b.sql": file("")}, wantErr: true},
		"no underscore": {fsys: fstest.MapFS{"migrations/0001.sql": file("")}, wantErr: true},
		"not a number":  {fsys: fstest.MapFS{"migrations/init_0001.sql": file("")}, wantErr: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := loadMigrations(tt.fsys)
			if (err != nil) != tt.wantErr {
				t.Fatalf("loadMigrations: got error %v, want error %t", err, tt.wantErr)
			}
			var versions []int
			for _, m := range got {
				versions = append(versions, m.version)
			}
			if !slices.Equal(versions, tt.want) {
				t.Errorf("loadMigrations: got versions %v, want %v", versions, tt.want)
			}
		})
	}
}

func TestEmbeddedMigrationsLoad(t *testing.T) {
	t.Parallel()
	if migrationsErr != nil {
		t.Fatalf("embedded migrations: got error %v, want nil", migrationsErr)
	}
	if len(migrations) == 0 || migrations[0].name != "0001_init.sql" {
		t.Errorf("embedded migrations: got %d, want 0001_init.sql first", len(migrations))
	}
}
