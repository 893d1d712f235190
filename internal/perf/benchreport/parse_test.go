package benchreport_test

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/internal/perf/benchreport"
)

func readRun(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/run.txt")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseRealRun(t *testing.T) {
	t.Parallel()
	run, err := benchreport.Parse(readRun(t))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range run.Results {
		names = append(names, r.Name)
	}
	want := []string{
		"BenchmarkVerifyBare-2", "BenchmarkClientAssert-2", "BenchmarkCeremonyInProcess-2",
		"BenchmarkCeremonyPlugin-2", "BenchmarkCeremonyInProcessParallel-2", "BenchmarkCeremonyPluginParallel-2",
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("result names (-want +got):\n%s", diff)
	}
	for key, want := range map[string]string{
		"go": "go1.26.8", "gomaxprocs": "2", "cpu": "AMD EPYC", "goos": "linux",
		"pkg": "github.com/biometric-passkey/biometric-passkey/internal/perf", "parallel-goroutines": "32",
	} {
		if got, ok := run.Get(key); !ok || got != want {
			t.Errorf("config %s: got %q (present %v), want %q", key, got, ok, want)
		}
	}
	plugin := run.Results[3]
	if name, procs := plugin.Base(); name != "BenchmarkCeremonyPlugin" || procs != 2 {
		t.Errorf("Base: got %q, %d, want BenchmarkCeremonyPlugin, 2", name, procs)
	}
	for _, unit := range []string{"ns/op", "p50-ns", "p99-ns", "server-ns/op", "B/op", "allocs/op"} {
		if v, ok := plugin.Metric(unit); !ok || v <= 0 {
			t.Errorf("%s %s: got %v (present %v), want a positive value", plugin.Name, unit, v, ok)
		}
	}
	if _, ok := run.Results[5].Metric("ceremonies/s"); !ok {
		t.Errorf("%s: no ceremonies/s", run.Results[5].Name)
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in      string
		want    benchreport.Run
		wantErr error
	}{
		"result with suffix": {
			in: "BenchmarkX-2   \t 300\t  65170 ns/op\t 9992 B/op\n",
			want: benchreport.Run{Results: []benchreport.Result{{Name: "BenchmarkX-2", Iterations: 300,
				Metrics: []benchreport.Metric{{Value: 65170, Unit: "ns/op"}, {Value: 9992, Unit: "B/op"}}}}},
		},
		"fractional metric": {
			in: "BenchmarkP-2 300 957.4 ceremonies/s",
			want: benchreport.Run{Results: []benchreport.Result{{Name: "BenchmarkP-2", Iterations: 300,
				Metrics: []benchreport.Metric{{Value: 957.4, Unit: "ceremonies/s"}}}}},
		},
		"config lines": {
			in:   "goos: linux\ncpu: AMD EPYC  \ndate:\n",
			want: benchreport.Run{Config: []benchreport.Config{{Key: "goos", Value: "linux"}, {Key: "cpu", Value: "AMD EPYC"}, {Key: "date"}}},
		},
		"noise is skipped": {
			in: "PASS\nok  \tpkg\t3.4s\n    perf_test.go:12: a log line\n--- FAIL: BenchmarkX-2\nBenchmarking is fun\nBenchmarkY-2 \t--- FAIL: BenchmarkY-2\nBenchmarkZ\nUpper: case key\nkey:value\n",
		},
		"odd metric fields":  {in: "BenchmarkX 10 5 ns/op 7\n", wantErr: benchreport.ErrSyntax},
		"value not a number": {in: "BenchmarkX 10 five ns/op\n", wantErr: benchreport.ErrSyntax},
		"NaN value":          {in: "BenchmarkX 10 NaN ns/op\n", wantErr: benchreport.ErrSyntax},
		"infinite value":     {in: "BenchmarkX 10 +Inf ns/op\n", wantErr: benchreport.ErrSyntax},
		"zero iterations":    {in: "BenchmarkX 0 5 ns/op\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := benchreport.Parse([]byte(tc.in))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error: got %v, want %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBase(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		name  string
		procs int
	}{
		"BenchmarkX-2":         {"BenchmarkX", 2},
		"BenchmarkX-16":        {"BenchmarkX", 16},
		"BenchmarkX":           {"BenchmarkX", 1},
		"BenchmarkX/sub-case":  {"BenchmarkX/sub-case", 1},
		"BenchmarkX/size-64-2": {"BenchmarkX/size-64", 2},
		"BenchmarkX-":          {"BenchmarkX-", 1},
		"BenchmarkX-+2":        {"BenchmarkX-+2", 1},
		"BenchmarkX-0":         {"BenchmarkX-0", 1},
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			name, procs := benchreport.Result{Name: in}.Base()
			if name != want.name || procs != want.procs {
				t.Errorf("got %q, %d, want %q, %d", name, procs, want.name, want.procs)
			}
		})
	}
}

// format writes run back in the benchmark format.
func format(run benchreport.Run) []byte {
	var b strings.Builder
	for _, c := range run.Config {
		b.WriteString(c.Key + ": " + c.Value + "\n")
	}
	for _, r := range run.Results {
		b.WriteString(r.String() + "\n")
	}
	return []byte(b.String())
}

// FuzzParse checks that Parse never panics, that what it accepts is well
// formed, and that formatting a parsed run and parsing it again gives the
// same run.
func FuzzParse(f *testing.F) {
	f.Add(readRun(f))
	f.Add([]byte("BenchmarkX-2 10 5 ns/op 7\n"))
	f.Add([]byte("key:\nBenchmarkX 1 0x1p-2 ns/op\nBenchmarkY-+1 +3 -0 B/op\n"))
	f.Add([]byte("é: \xff\nBenchmark\xff 2 1e308 x\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		run, err := benchreport.Parse(data)
		if err != nil {
			if !errors.Is(err, benchreport.ErrSyntax) {
				t.Fatalf("error %v does not wrap ErrSyntax", err)
			}
			if run.Config != nil || run.Results != nil {
				t.Fatalf("failed Parse returned %+v, want the zero Run", run)
			}
			return
		}
		for _, r := range run.Results {
			if !strings.HasPrefix(r.Name, "Benchmark") || r.Iterations <= 0 {
				t.Fatalf("accepted result %q with %d iterations", r.Name, r.Iterations)
			}
			for _, m := range r.Metrics {
				if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) || m.Unit == "" || strings.ContainsAny(m.Unit, " \t\n") {
					t.Fatalf("accepted metric %v %q", m.Value, m.Unit)
				}
			}
		}
		again, err := benchreport.Parse(format(run))
		if err != nil {
			t.Fatalf("parse of the formatted run: %v", err)
		}
		if diff := cmp.Diff(run, again); diff != "" {
			t.Fatalf("round trip (-parsed +reparsed):\n%s", diff)
		}
	})
}
