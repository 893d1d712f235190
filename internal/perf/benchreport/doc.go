// Package benchreport turns the output of one `go test -bench` run of
// internal/perf into docs/benchmarks.md.
//
// Parse reads the Go benchmark format: configuration lines (`key: value`,
// the key lower-case without spaces, as go test prints goos, pkg and cpu
// and internal/perf's TestMain prints go, gomaxprocs, cpu-model and more)
// and result lines (`BenchmarkName-P  N  value unit  value unit …`). Every
// other line (PASS, ok, logs, a failed benchmark's report) is skipped; a
// line that starts like a result but whose metrics do not parse is an
// error, so a figure is never silently lost.
//
// Write renders the report: the machine, a table of every benchmark with
// ns/op, p50, p99 and allocations, the ratios against the bare-verification
// baseline and of the plugin against the in-process path, the throughput,
// and whether the project's aims were met in this run. Every figure comes
// from the one run it is given; nothing is asserted beyond what it measured.
package benchreport
