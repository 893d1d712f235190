package perf_test

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// pluginPackage is the plugin binary the plugin benchmarks launch.
const pluginPackage = "github.com/biometric-passkey/biometric-passkey/cmd/biometric-passkey-plugin"

// pluginBuild is the lazily built plugin binary: only a benchmark that
// launches the plugin pays for the build, so `go test ./...` does not.
var pluginBuild struct {
	once sync.Once
	dir  string // removed by TestMain
	path string
	err  error
}

func TestMain(m *testing.M) {
	flag.Parse()
	bench := flag.Lookup("test.bench")
	benchmarking := bench != nil && bench.Value.String() != ""
	if benchmarking {
		printConfig(os.Stdout)
	}
	code := m.Run()
	if benchmarking {
		fmt.Printf("loadavg-end: %s\n", loadavg())
	}
	if pluginBuild.dir != "" {
		if err := os.RemoveAll(pluginBuild.dir); err != nil {
			fmt.Fprintln(os.Stderr, "perf: remove the plugin build:", err)
		}
	}
	os.Exit(code)
}

// pluginBinary returns the path of the plugin binary, building it with
// `go build` the first time it is asked for.
func pluginBinary(b *testing.B) string {
	b.Helper()
	pluginBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "bp-perf-")
		if err != nil {
			pluginBuild.err = fmt.Errorf("temp dir for the plugin: %w", err)
			return
		}
		pluginBuild.dir = dir
		path := filepath.Join(dir, "biometric-passkey-plugin")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "go", "build", "-o", path, pluginPackage).CombinedOutput()
		if err != nil {
			pluginBuild.err = fmt.Errorf("go build %s: %w\n%s", pluginPackage, err, out)
			return
		}
		pluginBuild.path = path
	})
	if pluginBuild.err != nil {
		b.Fatal(pluginBuild.err)
	}
	return pluginBuild.path
}

// printConfig writes what describes this run, as configuration lines of
// the Go benchmark format (`key: value`), which the report generator reads.
// go test itself adds goos, goarch, pkg and cpu.
func printConfig(w io.Writer) {
	fmt.Fprintf(w, "go: %s\n", runtime.Version())
	fmt.Fprintf(w, "gomaxprocs: %d\n", runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "numcpu: %d\n", runtime.NumCPU())
	if model := cpuModel(); model != "" {
		fmt.Fprintf(w, "cpu-model: %s\n", model)
	}
	fmt.Fprintf(w, "redis: %s\n", redisVersion())
	if mods := moduleVersions(); mods != "" {
		fmt.Fprintf(w, "modules: %s\n", mods)
	}
	fmt.Fprintf(w, "parallel-goroutines: %d\n", parallelism*runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "date: %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "loadavg-start: %s\n", loadavg())
}

// loadavg returns /proc/loadavg without its line end, or "unknown".
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// cpuModel returns the first "model name" of /proc/cpuinfo, or "".
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// redisVersion describes the Redis server the benchmarks will use.
func redisVersion() string {
	if addr := os.Getenv("REDIS_ADDR"); addr != "" {
		return "the server at REDIS_ADDR=" + addr
	}
	out, err := exec.Command("redis-server", "--version").Output()
	if err != nil {
		return "redis-server not found"
	}
	for _, f := range strings.Fields(string(out)) {
		if v, ok := strings.CutPrefix(f, "v="); ok {
			return "redis-server " + v + " (local, loopback TCP)"
		}
	}
	return strings.TrimSpace(string(out))
}

// moduleVersions lists the versions of the dependencies on the measured
// path, as go list reports them for this module (test binaries carry no
// dependency versions of their own).
func moduleVersions() string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Path}}@{{.Version}}",
		"github.com/go-webauthn/webauthn", "github.com/hashicorp/go-plugin", "google.golang.org/grpc",
		"github.com/redis/go-redis/v9", "modernc.org/sqlite").Output()
	if err != nil {
		return ""
	}
	return strings.Join(strings.Fields(string(out)), " ")
}
