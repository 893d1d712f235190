// Command benchreport writes docs/benchmarks.md from the output of one
// `go test -bench` run of internal/perf (see package benchreport).
//
//	go test -run '^$' -bench . -benchmem -count=1 ./internal/perf/ | tee .bin/bench.txt
//	benchreport -in .bin/bench.txt -out docs/benchmarks.md
//
// Without -in it reads standard input; without -out it writes standard
// output. The output file is replaced only when the report is complete.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/biometric-passkey/biometric-passkey/internal/perf/benchreport"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

// run is main without the process: args are the command-line arguments.
func run(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("benchreport", flag.ContinueOnError)
	in := fs.String("in", "", "go test -bench output to read (default: standard input)")
	out := fs.String("out", "", "report to write (default: standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var (
		data []byte
		err  error
	)
	if *in == "" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(*in)
	}
	if err != nil {
		return fmt.Errorf("read the benchmark output: %w", err)
	}
	benchRun, err := benchreport.Parse(data)
	if err != nil {
		return fmt.Errorf("parse %s: %w", or(*in, "standard input"), err)
	}
	var report bytes.Buffer
	if err := benchreport.Write(&report, benchRun); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if *out == "" {
		_, err := stdout.Write(report.Bytes())
		return err
	}
	return writeFile(*out, report.Bytes())
}

// writeFile replaces path with data through a temporary file in the same
// directory, so a failed write leaves the old report in place.
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".benchreport-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // gone after a successful rename
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
