package benchreport

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Run is the parsed output of one `go test -bench` run.
type Run struct {
	Config  []Config // in order of appearance
	Results []Result // in order of appearance
}

// Config is a configuration line, `key: value`.
type Config struct {
	Key   string
	Value string // without surrounding white space
}

// Result is a benchmark result line.
type Result struct {
	// Name is the name as printed, with the -GOMAXPROCS suffix go test adds
	// when GOMAXPROCS is not 1 (see Base).
	Name       string
	Iterations int64 // > 0
	Metrics    []Metric
}

// Metric is one value and its unit, such as 1234 ns/op.
type Metric struct {
	Value float64 // finite
	Unit  string  // no white space
}

// ErrSyntax is wrapped by the error for a result line that does not parse.
var ErrSyntax = errors.New("malformed benchmark result")

// Parse reads go test -bench output. Lines are separated by "\n"; white
// space around fields is ignored.
func Parse(data []byte) (Run, error) {
	var run Run
	for i, line := range bytes.Split(data, []byte("\n")) {
		s := string(line)
		if c, ok := parseConfig(s); ok {
			run.Config = append(run.Config, c)
			continue
		}
		r, ok, err := parseResult(s)
		if err != nil {
			return Run{}, fmt.Errorf("line %d: %w", i+1, err)
		}
		if ok {
			run.Results = append(run.Results, r)
		}
	}
	return run, nil
}

// parseConfig reports whether s is a configuration line: a key that starts
// with a lower-case letter and has no upper-case letters, white space or
// colons, then ":" and either the end of the line or white space.
func parseConfig(s string) (Config, bool) {
	key, value, ok := strings.Cut(s, ":")
	if !ok || key == "" {
		return Config{}, false
	}
	if r, _ := utf8.DecodeRuneInString(key); !unicode.IsLower(r) {
		return Config{}, false
	}
	if strings.IndexFunc(key, func(r rune) bool { return unicode.IsUpper(r) || unicode.IsSpace(r) }) >= 0 {
		return Config{}, false
	}
	if value != "" {
		if r, _ := utf8.DecodeRuneInString(value); !unicode.IsSpace(r) {
			return Config{}, false
		}
	}
	return Config{Key: key, Value: strings.TrimSpace(value)}, true
}

// parseResult reports whether s is a result line: a benchmark name and a
// positive iteration count. Its metrics must then parse, or it is an error.
func parseResult(s string) (Result, bool, error) {
	f := strings.Fields(s)
	if len(f) < 2 || !isBenchmarkName(f[0]) {
		return Result{}, false, nil
	}
	n, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || n <= 0 {
		return Result{}, false, nil // e.g. "BenchmarkX-2  --- FAIL: …"
	}
	r := Result{Name: f[0], Iterations: n}
	rest := f[2:]
	if len(rest)%2 != 0 {
		return Result{}, false, fmt.Errorf("%w: %s: metric %q without a unit", ErrSyntax, r.Name, rest[len(rest)-1])
	}
	for i := 0; i < len(rest); i += 2 {
		v, err := strconv.ParseFloat(rest[i], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return Result{}, false, fmt.Errorf("%w: %s: value %q of %s is not a finite number", ErrSyntax, r.Name, rest[i], rest[i+1])
		}
		r.Metrics = append(r.Metrics, Metric{Value: v, Unit: rest[i+1]})
	}
	return r, true, nil
}

// isBenchmarkName reports whether s looks like a benchmark's name:
// "Benchmark" and then a character that is not a lower-case letter, as
// go test requires of benchmark functions.
func isBenchmarkName(s string) bool {
	rest, ok := strings.CutPrefix(s, "Benchmark")
	if !ok || rest == "" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return !unicode.IsLower(r)
}

// Base splits the name into the benchmark's own name and GOMAXPROCS: 1
// when the name has no -N suffix, as go test prints no suffix then.
func (r Result) Base() (name string, procs int) {
	i := strings.LastIndexByte(r.Name, '-')
	if i < 0 {
		return r.Name, 1
	}
	digits := r.Name[i+1:]
	if digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return r.Name, 1
	}
	p, err := strconv.Atoi(digits)
	if err != nil || p <= 0 {
		return r.Name, 1
	}
	return r.Name[:i], p
}

// Metric returns the value of the first metric with unit.
func (r Result) Metric(unit string) (float64, bool) {
	for _, m := range r.Metrics {
		if m.Unit == unit {
			return m.Value, true
		}
	}
	return 0, false
}

// String formats r as a result line, which Parse reads back as r.
func (r Result) String() string {
	var b strings.Builder
	b.WriteString(r.Name)
	b.WriteByte('\t')
	b.WriteString(strconv.FormatInt(r.Iterations, 10))
	for _, m := range r.Metrics {
		b.WriteByte('\t')
		b.WriteString(strconv.FormatFloat(m.Value, 'g', -1, 64))
		b.WriteByte(' ')
		b.WriteString(m.Unit)
	}
	return b.String()
}

// Get returns the value of the last configuration line with key, as later
// lines override earlier ones in the benchmark format.
func (run Run) Get(key string) (string, bool) {
	for i := len(run.Config) - 1; i >= 0; i-- {
		if run.Config[i].Key == key {
			return run.Config[i].Value, true
		}
	}
	return "", false
}
