package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PostgreSQL for tests.
//
// Postgres gives each test a database of its own, on a server that the
// test binary shares: POSTGRES_DSN's when set, otherwise one the binary
// starts the first time a test asks for it. Starting one takes about a
// second (initdb included). A new database takes 50 to 300 ms, so on the
// started server the database of an ended test is emptied in the
// background and handed to the next test, which then waits for nothing.
//
// The started server lives as long as the test binary, not as long as the
// test that started it, since other tests, parallel ones included, keep
// using it. Its lifetime is tied to the binary's by a pipe: a small shell
// process (the reaper) reads its standard input, whose write end only the
// test binary holds, and when that reads end of file — the binary exited,
// however it ended: returned, panicked, was killed by -timeout — it stops
// the server (SIGQUIT, an immediate shutdown) and removes its directory.
// So no TestMain is needed, and a crashed binary leaves nothing behind.
//
// PostgreSQL refuses to run as root. When the tests run as root, as CI
// does, initdb, the server and the reaper run as the "postgres" user that
// Debian's postgresql package creates, or as "nobody" when there is none,
// through the process credentials of os/exec (setuid and setgid in the
// child, before exec), and the server's directory is handed to that user.

// postgresStartTimeout bounds how long a server may take to accept
// connections after initdb.
const postgresStartTimeout = 30 * time.Second

// postgresBinGlob is where Debian's postgresql package installs initdb and
// postgres, one directory per major version, off PATH.
const postgresBinGlob = "/usr/lib/postgresql/*/bin"

// postgresServer is a server tests make databases on.
type postgresServer struct {
	admin *pgxpool.Pool          // to the maintenance database, as a superuser
	dsn   func(db string) string // the DSN of database db on this server
	// reaper's standard input; kept referenced so that it stays open (an
	// unreferenced *os.File is closed by its finalizer) until the binary
	// exits. Nil for a POSTGRES_DSN server.
	reaper *os.File
	// recycles says whether the databases of ended tests are emptied and
	// handed to later tests (see recycle) rather than dropped: on a
	// throwaway server, not on POSTGRES_DSN's, whose databases must not
	// outlive the binary.
	recycles bool
	// strategy is " STRATEGY FILE_COPY" on PostgreSQL 15 and later, which
	// copies the template's files whole: faster here than the default,
	// which copies them page by page through the write-ahead log.
	strategy string
	// publicOwner owns a new database's public schema: pg_database_owner
	// since PostgreSQL 14.
	publicOwner string

	mu   sync.Mutex
	free []string // emptied databases, ready for the next tests
}

// newPostgresServer returns the server admin is connected to.
func newPostgresServer(ctx context.Context, admin *pgxpool.Pool, dsn func(db string) string) (*postgresServer, error) {
	var version int
	if err := admin.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&version); err != nil {
		return nil, fmt.Errorf("server version: %w", err)
	}
	srv := &postgresServer{admin: admin, dsn: dsn, publicOwner: "postgres"}
	if version >= 140000 {
		srv.publicOwner = "pg_database_owner"
	}
	if version >= 150000 {
		srv.strategy = " STRATEGY FILE_COPY"
	}
	return srv, nil
}

var (
	postgresMu sync.Mutex // guards the two below and the start
	// postgresShared is the server once started, and postgresErr why it
	// could not be; a failed start is not tried again.
	postgresShared *postgresServer
	postgresErr    error
)

// Postgres returns the DSN of an empty database for this test, which no
// other test uses while this one runs. The database is on POSTGRES_DSN's
// server when that is set (a superuser's, or a user's with CREATEDB, on
// any database of the server): a new one, dropped when the test ends,
// connections still open to it terminated. Otherwise it is on a throwaway
// server the test binary starts from the initdb and postgres found on PATH
// or in /usr/lib/postgresql/*/bin, listening on a free loopback port with
// trust authentication, fsync off, and its socket and data in a temporary
// directory; there, once the test has ended, its database is emptied and
// handed to a later test (see recycle). When there is no such server to
// start, the test goes through Require.
func Postgres(t testing.TB) string {
	t.Helper()
	srv := sharedPostgres(t)
	name, err := srv.take(t.Context())
	if err != nil {
		t.Fatalf("create a PostgreSQL database: %v", err)
	}
	t.Cleanup(func() {
		if srv.recycles {
			go srv.recycle(name)
			return
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 30*time.Second)
		defer cancel()
		if _, err := srv.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("drop PostgreSQL database %s: %v", name, err)
		}
	})
	return srv.dsn(name)
}

// take returns an emptied database if there is one, or else a new one
// with a random name.
func (srv *postgresServer) take(ctx context.Context) (string, error) {
	srv.mu.Lock()
	if n := len(srv.free); n > 0 {
		name := srv.free[n-1]
		srv.free = srv.free[:n-1]
		srv.mu.Unlock()
		return name, nil
	}
	srv.mu.Unlock()
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	name := "test_" + hex.EncodeToString(b[:])
	// template0 rather than the default template1: nothing a test does to
	// template1 can leak into the next database.
	_, err := srv.admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0 ENCODING 'UTF8'"+srv.strategy)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return name, nil
}

// recycle empties the database of a test that has ended and adds it to
// srv.free. A new database costs a copy of template0, about 8 MB of files,
// and PostgreSQL's DROP DATABASE then stalls the next CREATE DATABASE;
// on a busy disk that made storetest's suite, a database per subtest, take
// 18 s instead of 3. Emptying one is a few catalog changes: it terminates
// the connections left to it, then drops every schema but the system
// ones, cascading to whatever is in them, and creates public again as
// template0 has it. Settings made with ALTER DATABASE would survive, so
// tests leave those alone. A database that cannot be emptied is left out,
// to go with the server.
func (srv *postgresServer) recycle(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := srv.admin.Exec(ctx,
		`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, name); err != nil {
		return
	}
	conn, err := pgx.Connect(ctx, srv.dsn(name))
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `DO $$
DECLARE s name;
BEGIN
	FOR s IN SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' LOOP
		EXECUTE format('DROP SCHEMA %I CASCADE', s);
	END LOOP;
END $$;
CREATE SCHEMA public AUTHORIZATION `+srv.publicOwner+`;
GRANT USAGE ON SCHEMA public TO PUBLIC;`)
	if err != nil {
		return
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	srv.free = append(srv.free, name)
}

// sharedPostgres returns the binary's server, starting it if need be.
func sharedPostgres(t testing.TB) *postgresServer {
	t.Helper()
	postgresMu.Lock()
	defer postgresMu.Unlock()
	if postgresShared == nil && postgresErr == nil {
		if dsn := os.Getenv("POSTGRES_DSN"); dsn != "" {
			postgresShared, postgresErr = externalPostgres(dsn)
			if postgresErr != nil {
				postgresErr = fmt.Errorf("POSTGRES_DSN: %w", postgresErr)
			}
		} else {
			bins, err := findPostgres(postgresBinGlob)
			Require(t, "PostgreSQL", err) // nothing is recorded: a skip is per test
			postgresShared, postgresErr = startPostgres(bins)
		}
	}
	if postgresErr != nil {
		t.Fatalf("PostgreSQL for tests: %v", postgresErr)
	}
	return postgresShared
}

// externalPostgres uses the server dsn names.
func externalPostgres(dsn string) (*postgresServer, error) {
	ctx, cancel := context.WithTimeout(context.Background(), postgresStartTimeout)
	defer cancel()
	admin, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := admin.Ping(ctx); err != nil {
		admin.Close()
		return nil, err
	}
	srv, err := newPostgresServer(ctx, admin, func(db string) string { return withDatabase(dsn, db) })
	if err != nil {
		admin.Close()
		return nil, err
	}
	return srv, nil
}

// withDatabase returns dsn, a URL or a key=value connection string, naming
// database db instead of its own.
func withDatabase(dsn, db string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + db
		u.RawPath = ""
		return u.String()
	}
	return dsn + " dbname=" + db // a later keyword wins
}

// postgresBins are the programs a throwaway server needs. pg_ctl is not
// one of them: the server runs as a child of the test binary, which knows
// when it exits and why.
type postgresBins struct {
	initdb, postgres string
}

// findPostgres looks for initdb and postgres on PATH, then in the
// directories glob matches, the highest major version first.
func findPostgres(glob string) (postgresBins, error) {
	initdb, err1 := exec.LookPath("initdb")
	postgres, err2 := exec.LookPath("postgres")
	if err1 == nil && err2 == nil {
		return postgresBins{initdb: initdb, postgres: postgres}, nil
	}
	dirs, _ := filepath.Glob(glob) // the pattern is well formed
	version := func(dir string) int {
		n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir))) // .../15/bin; anything else sorts last
		return n
	}
	slices.SortFunc(dirs, func(a, b string) int { return version(b) - version(a) })
	for _, dir := range dirs {
		bins := postgresBins{initdb: filepath.Join(dir, "initdb"), postgres: filepath.Join(dir, "postgres")}
		if isExecutable(bins.initdb) && isExecutable(bins.postgres) {
			return bins, nil
		}
	}
	return postgresBins{}, fmt.Errorf("initdb and postgres are neither on PATH nor in %s; install them (apt-get install postgresql) or set POSTGRES_DSN to a server's: %w",
		glob, exec.ErrNotFound)
}

// isExecutable reports whether path is a file someone may execute.
func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// serverUser returns the credentials to run PostgreSQL with: nil, the
// current user's, unless that is root, which PostgreSQL refuses; then the
// "postgres" user, or "nobody".
func serverUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	var errs []error
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err := errors.Join(err1, err2); err != nil {
			errs = append(errs, fmt.Errorf("user %s: %w", name, err))
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
	}
	return nil, fmt.Errorf("running as root, which PostgreSQL refuses, and no user to run it as: %w", errors.Join(errs...))
}

// startPostgres initialises a cluster in a new temporary directory and
// starts a server on it for the rest of the binary's life.
func startPostgres(bins postgresBins) (_ *postgresServer, err error) {
	cred, err := serverUser()
	if err != nil {
		return nil, err
	}
	base, err := os.MkdirTemp("", "testenv-postgres-")
	if err != nil {
		return nil, err
	}
	reaper, err := startReaper(base, cred)
	if err != nil {
		return nil, errors.Join(err, os.RemoveAll(base))
	}
	// From here on, closing reaper stops whatever runs and removes base.
	defer func() {
		if err != nil {
			_ = reaper.Close() // the reaper's cleanup is all that is left to do
		}
	}()
	if cred != nil {
		if err := os.Chown(base, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(base, "data")
	// Trust authentication on loopback only; no fsync of the new cluster.
	initdb := exec.Command(bins.initdb, "--pgdata", data, "--username", "postgres", "--auth", "trust",
		"--encoding", "UTF8", "--locale", "C", "--no-sync")
	initdb.Dir = base // the caller's directory may be closed to the server's user
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s: %w; its output:\n%s", bins.initdb, err, out)
	}
	const attempts = 3 // a port found free may be taken before the server binds it
	for range attempts {
		var srv *postgresServer
		srv, err = runPostgres(bins.postgres, base, data, cred)
		if err == nil {
			srv.reaper = reaper
			srv.recycles = true
			return srv, nil
		}
		if !errors.Is(err, errPostgresExited) {
			break
		}
	}
	return nil, err
}

// reaperScript waits for end of file on its standard input, then stops the
// server whose postmaster.pid is in $1/data, waits up to ten seconds for it
// to exit, and removes $1.
const reaperScript = `read -r _ || :
pidfile="$1/data/postmaster.pid"
if [ -f "$pidfile" ]; then
	pid=$(head -n 1 "$pidfile")
	if [ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null; then
		i=0
		while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	fi
fi
rm -rf "$1"
`

// startReaper starts the process that cleans base up once the binary exits
// (see the comment at the top of this file) and returns the write end of
// its standard input.
func startReaper(base string, cred *syscall.Credential) (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("/bin/sh", "-c", reaperScript, "sh", base)
	cmd.Stdin = r
	cmd.Dir = os.TempDir()
	// A process group of its own: a ^C meant for go test must not stop it
	// before the binary has exited.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, errors.Join(err, r.Close(), w.Close())
	}
	go func() { _ = cmd.Wait() }()    // reaps it, if it ever exits while the binary runs
	if err := r.Close(); err != nil { // the child has its copy
		return nil, errors.Join(err, w.Close())
	}
	return w, nil
}

// errPostgresExited reports a server that stopped before it accepted
// connections, most often because another process took its port first.
var errPostgresExited = errors.New("postgres exited before accepting connections")

// runPostgres starts the server on data, on a free port, and waits until it
// accepts connections.
func runPostgres(path, base, data string, cred *syscall.Credential) (*postgresServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(base, fmt.Sprintf("server-%d.log", port))
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor
	sockets := base
	if len(sockets) > 80 { // a socket path is limited to about 100 bytes: TCP only then
		sockets = ""
	}
	args := []string{"-D", data}
	for _, s := range []string{
		"listen_addresses=127.0.0.1",
		"port=" + strconv.Itoa(port),
		"unix_socket_directories=" + sockets,
		// Durability is worth nothing to a throwaway server.
		"fsync=off", "synchronous_commit=off", "full_page_writes=off",
		"max_connections=200", // many test binaries' pools, each a few connections
		"shared_buffers=32MB",
		"log_min_messages=warning", "log_statement=none",
	} {
		args = append(args, "-c", s)
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = base
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()

	dsn := func(db string) string {
		return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", port, db)
	}
	ctx, cancel := context.WithTimeout(context.Background(), postgresStartTimeout)
	defer cancel()
	admin, err := waitForPostgres(ctx, dsn("postgres"), exited)
	if err != nil {
		_ = cmd.Process.Kill() // fails only when it has exited already
		<-exited
		out, _ := os.ReadFile(logPath)
		if errors.Is(err, errPostgresExited) && !bytes.Contains(out, []byte("could not bind")) {
			err = errors.New("postgres exited before accepting connections") // not a port clash: not retried
		}
		return nil, fmt.Errorf("%s: %w (exit: %v); its log:\n%s", path, err, waitErr, out)
	}
	srv, err := newPostgresServer(ctx, admin, dsn)
	if err != nil {
		admin.Close()
		_ = cmd.Process.Kill() // fails only when it has exited already
		<-exited
		return nil, err
	}
	return srv, nil
}

// waitForPostgres connects to dsn until a connection succeeds, ctx ends or
// exited is closed, and returns a pool on dsn.
func waitForPostgres(ctx context.Context, dsn string, exited <-chan struct{}) (*pgxpool.Pool, error) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		attempt, cancel := context.WithTimeout(ctx, time.Second)
		conn, err := pgx.Connect(attempt, dsn)
		cancel()
		if err == nil {
			_ = conn.Close(ctx) // a probe; the pool makes its own connections
			return pgxpool.New(ctx, dsn)
		}
		select {
		case <-exited:
			return nil, errPostgresExited
		case <-ctx.Done():
			return nil, fmt.Errorf("no connection within %v: %w", postgresStartTimeout, err)
		case <-tick.C:
		}
	}
}
