package benchreport_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/internal/perf/benchreport"
)

var update = flag.Bool("update", false, "rewrite testdata/report.md from testdata/run.txt")

// TestWriteGolden renders the report of a real run and compares it with
// testdata/report.md (regenerate with -update).
func TestWriteGolden(t *testing.T) {
	t.Parallel()
	run, err := benchreport.Parse(readRun(t))
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := benchreport.Write(&got, run); err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/report.md"
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got.String()); diff != "" {
		t.Errorf("report (-%s +got):\n%s", golden, diff)
	}
}

// TestWriteAims checks the verdicts on the aims at and around their thresholds.
func TestWriteAims(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		p50, rate float64
		numCPU    string
		want      []string
	}{
		"both met": {p50: 999999, rate: 3000, numCPU: "2", want: []string{
			"| p50 1000.0 µs (p99 2.89 ms), server-side | yes |", "client signing on the same cores | yes |"}},
		"both missed": {p50: 1000000, rate: 2999.4, numCPU: "2", want: []string{
			"| p50 1.00 ms (p99 2.89 ms), server-side | no |", "2,999 ceremonies/s through the plugin", "client signing on the same cores | no |"}},
		"other core count": {p50: 500000, rate: 9000, numCPU: "8", want: []string{
			"this machine has 8 cores, not 2, so the figure does not answer the aim as stated | yes |"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run, err := benchreport.Parse(readRun(t))
			if err != nil {
				t.Fatal(err)
			}
			setMetric(t, run, benchreport.BenchPlugin, "p50-ns", tc.p50)
			setMetric(t, run, benchreport.BenchPlugin, "p99-ns", 2894477)
			setMetric(t, run, benchreport.BenchPluginParallel, "ceremonies/s", tc.rate)
			run.Config = append(run.Config, benchreport.Config{Key: "numcpu", Value: tc.numCPU})
			var out bytes.Buffer
			if err := benchreport.Write(&out, run); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("report lacks %q; its aims section:\n%s", w, out.String()[strings.Index(out.String(), "## Aims"):])
				}
			}
		})
	}
}

// setMetric sets the value of unit in the one result of benchmark name.
func setMetric(t *testing.T, run benchreport.Run, name, unit string, v float64) {
	t.Helper()
	for _, r := range run.Results {
		if base, _ := r.Base(); base != name {
			continue
		}
		for i := range r.Metrics {
			if r.Metrics[i].Unit == unit {
				r.Metrics[i].Value = v
				return
			}
		}
	}
	t.Fatalf("no %s in %s", unit, name)
}

func TestWriteRefusesIncompleteRuns(t *testing.T) {
	t.Parallel()
	full := string(readRun(t))
	pluginLine := full[strings.Index(full, "BenchmarkCeremonyPlugin-2"):]
	pluginLine = pluginLine[:strings.IndexByte(pluginLine, '\n')+1]
	tests := map[string]struct {
		in      string
		wantErr error
		wantMsg string
	}{
		"benchmark missing": {
			in: strings.Replace(full, pluginLine, "", 1), wantErr: benchreport.ErrMissing, wantMsg: "BenchmarkCeremonyPlugin:",
		},
		"metric missing": {
			in: strings.Replace(full, pluginLine, strings.Replace(pluginLine, "allocs/op", "allocs/call", 1), 1), wantErr: benchreport.ErrMissing, wantMsg: "allocs/op",
		},
		"benchmark twice": {
			in: full + pluginLine, wantMsg: "ran 2 times",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run, err := benchreport.Parse([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			err = benchreport.Write(&out, run)
			if err == nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("got error %v, want one wrapping %v that mentions %q", err, tc.wantErr, tc.wantMsg)
			}
			if out.Len() != 0 {
				t.Errorf("wrote %d bytes for an incomplete run, want none", out.Len())
			}
		})
	}
}
