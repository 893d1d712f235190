package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestPostgres(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var first string
	parent := t
	t.Run("database of its own", func(t *testing.T) {
		first = Postgres(t)
		second := Postgres(t)
		if first == second {
			t.Fatalf("two Postgres calls: got the same DSN %q twice, want two databases", first)
		}
		one, err := pgx.Connect(ctx, first)
		if err != nil {
			t.Fatalf("connect to %s: %v", first, err)
		}
		// Closed when the parent test ends, long after this one: the
		// server has to terminate it to empty the database. Close then
		// fails on a connection the server ended, which is expected.
		parent.Cleanup(func() { _ = one.Close(context.Background()) })
		// What a test may leave behind: tables, sequences, a schema of its
		// own, and the open connection one.
		for _, q := range []string{`CREATE TABLE t (x int)`, `CREATE SEQUENCE s`, `CREATE SCHEMA extra`, `CREATE TABLE extra.u (y int)`} {
			if _, err := one.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		two, err := pgx.Connect(ctx, second)
		if err != nil {
			t.Fatalf("connect to %s: %v", second, err)
		}
		defer two.Close(ctx)
		var exists bool
		if err := two.QueryRow(ctx, `SELECT to_regclass('t') IS NOT NULL`).Scan(&exists); err != nil || exists {
			t.Errorf("table of the first database in the second: got exists %t, error %v, want false, nil", exists, err)
		}
	})
	if t.Failed() || first == "" {
		return
	}
	cfg, err := pgx.ParseConfig(first)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if os.Getenv("POSTGRES_DSN") != "" {
		// The first database is gone with its test.
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_database WHERE datname = $1`, cfg.Database).Scan(&n); err != nil || n != 0 {
			t.Errorf("database %s after its test ended: got count %d, error %v, want 0, nil", cfg.Database, n, err)
		}
	} else {
		// The first database is emptied for a later test.
		waitRecycled(t, cfg.Database)
		again, err := pgx.Connect(ctx, first)
		if err != nil {
			t.Fatalf("connect to the recycled %s: %v", first, err)
		}
		defer again.Close(ctx)
		var left []string
		rows, err := again.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
			UNION ALL SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname NOT IN ('information_schema', 'public')`)
		if err == nil {
			left, err = pgx.CollectRows(rows, pgx.RowTo[string])
		}
		if err != nil || len(left) != 0 {
			t.Errorf("recycled database %s: got relations and schemas %q, error %v, want none, nil", cfg.Database, left, err)
		}
		// public is back as template0 has it, so a store can migrate into it.
		if _, err := again.Exec(ctx, `CREATE TABLE t (x int)`); err != nil {
			t.Errorf("recycled database %s: CREATE TABLE in public: %v", cfg.Database, err)
		}
	}
	if os.Getenv("POSTGRES_DSN") != "" {
		return // someone else's server: its settings are its own
	}
	var fsync, superuser string
	if err := conn.QueryRow(ctx, `SELECT current_setting('fsync'), current_setting('is_superuser')`).Scan(&fsync, &superuser); err != nil {
		t.Fatal(err)
	}
	if fsync != "off" || superuser != "on" {
		t.Errorf("throwaway server: got fsync %s, superuser %s, want off, on", fsync, superuser)
	}
	var data string
	if err := conn.QueryRow(ctx, `SELECT current_setting('data_directory')`).Scan(&data); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(data)
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || st.Uid == 0 {
		t.Errorf("data directory %s: got owner uid 0 (or unknown), want the unprivileged user the server runs as", data)
	}
}

// waitRecycled waits until the throwaway server has emptied the database
// name of an ended test.
func waitRecycled(t *testing.T, name string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		postgresShared.mu.Lock()
		done := slices.Contains(postgresShared.free, name)
		postgresShared.mu.Unlock()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("database %s: not recycled 10 s after its test ended", name)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPostgresGoneAfterBinaryExits runs a test binary that starts a server
// and exits, and checks that the server and its directory go with it.
func TestPostgresGoneAfterBinaryExits(t *testing.T) {
	t.Parallel()
	if os.Getenv("POSTGRES_DSN") != "" {
		t.Log("POSTGRES_DSN is set: no server is started, so none has to stop")
		return
	}
	_, err := findPostgres(postgresBinGlob)
	Require(t, "PostgreSQL", err)
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestPostgresHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TESTENV_POSTGRES_HELPER=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper binary: %v; output:\n%s", err, out)
	}
	var dir, addr string
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "data_directory="); ok {
			dir = filepath.Dir(v) // the temporary directory holds data/
		}
		if v, ok := strings.CutPrefix(line, "addr="); ok {
			addr = v
		}
	}
	if dir == "" || addr == "" {
		t.Fatalf("helper binary printed no data_directory= and addr= lines:\n%s", out)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, statErr := os.Stat(dir)
		conn, dialErr := net.DialTimeout("tcp", addr, time.Second)
		if dialErr == nil {
			_ = conn.Close()
		}
		if errors.Is(statErr, os.ErrNotExist) && dialErr != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("15 s after the binary exited: directory %s: stat error %v; %s: dial error %v; want both gone", dir, statErr, addr, dialErr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPostgresHelperProcess is the binary TestPostgresGoneAfterBinaryExits
// runs; on its own it does nothing.
func TestPostgresHelperProcess(t *testing.T) {
	if os.Getenv("TESTENV_POSTGRES_HELPER") != "1" {
		return
	}
	conn, err := pgx.Connect(t.Context(), Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var data string
	if err := conn.QueryRow(t.Context(), `SELECT current_setting('data_directory')`).Scan(&data); err != nil {
		t.Fatal(err)
	}
	cfg := conn.Config()
	fmt.Printf("data_directory=%s\naddr=%s\n", data, net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))))
}

func TestFindPostgres(t *testing.T) {
	onPath := t.TempDir()
	fakeIn := func(dir string, names ...string) {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	fakeIn(onPath, "initdb", "postgres")
	lib := t.TempDir() // stands for /usr/lib/postgresql
	fakeIn(filepath.Join(lib, "9", "bin"), "initdb", "postgres")
	fakeIn(filepath.Join(lib, "15", "bin"), "initdb", "postgres")
	fakeIn(filepath.Join(lib, "16", "bin"), "initdb") // incomplete: skipped
	glob := filepath.Join(lib, "*", "bin")
	empty := t.TempDir()

	tests := map[string]struct {
		path, glob string
		want       string // the directory; "" for an error
	}{
		"PATH first":                {path: onPath, glob: glob, want: onPath},
		"highest complete version":  {path: empty, glob: glob, want: filepath.Join(lib, "15", "bin")},
		"only initdb on PATH":       {path: filepath.Join(lib, "16", "bin"), glob: filepath.Join(empty, "*", "bin")},
		"nowhere":                   {path: empty, glob: filepath.Join(empty, "*", "bin")},
		"PATH half, glob completes": {path: filepath.Join(lib, "16", "bin"), glob: glob, want: filepath.Join(lib, "15", "bin")},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Setenv("PATH", tc.path)
			got, err := findPostgres(tc.glob)
			if tc.want == "" {
				if !errors.Is(err, exec.ErrNotFound) {
					t.Fatalf("findPostgres: got %+v, %v, want an error wrapping %v", got, err, exec.ErrNotFound)
				}
				return
			}
			want := postgresBins{initdb: filepath.Join(tc.want, "initdb"), postgres: filepath.Join(tc.want, "postgres")}
			if err != nil || got != want {
				t.Fatalf("findPostgres: got %+v, %v, want %+v, nil", got, err, want)
			}
		})
	}
}

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"postgres://u:p@h:5432/admin?sslmode=disable": "postgres://u:p@h:5432/db1?sslmode=disable",
		"postgresql://h/":            "postgresql://h/db1",
		"host=h user=u dbname=admin": "host=h user=u dbname=admin dbname=db1",
	}
	for in, want := range tests {
		if got := withDatabase(in, "db1"); got != want {
			t.Errorf("withDatabase(%q): got %q, want %q", in, got, want)
		}
	}
}
