package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = "../../benchreport/testdata/run.txt"

func TestRunWritesTheReport(t *testing.T) {
	t.Parallel()
	want, err := os.ReadFile("../../benchreport/testdata/report.md")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "benchmarks.md")
	if err := run([]string{"-in", sample, "-out", out}, nil, nil); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("-out file differs from testdata/report.md")
	}
	in, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	if err := run(nil, bytes.NewReader(in), &stdout); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stdout.Bytes(), want) {
		t.Errorf("standard output differs from testdata/report.md")
	}
}

func TestRunKeepsTheOldReportOnFailure(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "benchmarks.md")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run([]string{"-out", out}, strings.NewReader("BenchmarkVerifyBare-2 10 1 ns/op\nPASS\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "BenchmarkClientAssert") {
		t.Fatalf("got error %v, want one naming the missing BenchmarkClientAssert", err)
	}
	if got, _ := os.ReadFile(out); string(got) != "old" {
		t.Errorf("report after a failed run: got %q, want the old one", got)
	}
	entries, err := os.ReadDir(filepath.Dir(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("left %d files behind, want only the report", len(entries))
	}
}

func TestRunRejectsArguments(t *testing.T) {
	t.Parallel()
	if err := run([]string{"extra"}, strings.NewReader(""), nil); err == nil {
		t.Error("got no error for a stray argument")
	}
}
