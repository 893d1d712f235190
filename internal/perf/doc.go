// Package perf holds the project's benchmarks; it has no production code.
// They measure one routine sign-in ceremony (BeginAuthentication, the
// client's assertion, FinishAuthentication) three ways, in one run:
//
//   - BenchmarkVerifyBare: go-webauthn's bare verification
//     (protocol.ParseCredentialRequestResponseBytes + WebAuthn.ValidateLogin)
//     of one assertion, re-verified in the loop (ValidateLogin is stateless).
//     This is the baseline.
//   - BenchmarkClientAssert: the software authenticator answering the
//     options of a ceremony (parse, ES256 sign, JSON). Challenges are made
//     by the server, so a ceremony's assertion cannot be signed ahead of
//     time: the ceremony benchmarks sign inside the loop, and this is that
//     client cost, measured on its own.
//   - BenchmarkCeremonyInProcess: begin + finish through
//     *authenticator.Service, with the Redis ephemeral store (a throwaway
//     redis-server, see internal/testenv) and SQLite in a temporary file.
//   - BenchmarkCeremonyPlugin: the same through plugin.Launch of the real
//     cmd/biometric-passkey-plugin binary, configured like the embedded
//     default but with Redis, over go-plugin's gRPC.
//   - BenchmarkCallPlugin: one bare call (Capabilities, no Redis or SQLite)
//     through the plugin, launched as for BenchmarkCeremonyPlugin: what the
//     boundary itself costs a call. A ceremony makes two calls. Its
//     latencies are of the call; the report does not use it.
//   - BenchmarkCeremonyPluginParallel and BenchmarkCeremonyInProcessParallel:
//     the same under 16 × GOMAXPROCS concurrent ceremonies, for throughput
//     (ceremonies/s). Each goroutine signs in with a passkey of its own, as
//     concurrent ceremonies of one passkey would race on its counter.
//
// The ceremony benchmarks time the server calls of every iteration apart
// from the client's signing and report that server-side time as
// server-ns/op (mean), p50-ns and p99-ns; ns/op includes the client.
// Allocations are those of the benchmark process only, so for the plugin
// path they leave out the plugin process.
//
// Performance is measured here, never asserted: nothing in this package
// fails on a slow result. `go test ./...` runs no benchmark and builds
// nothing extra; the plugin binary is built with `go build` only when a
// plugin benchmark first runs. When benchmarks run, TestMain first prints
// configuration lines (go, gomaxprocs, numcpu, cpu-model, redis, modules,
// date) in the `key: value` form of the Go benchmark format, so that the
// output of one run describes its own machine.
//
// `make bench` runs them all and writes docs/benchmarks.md with the report
// generator in ./cmd/benchreport (parser and renderer in ./benchreport).
// By hand:
//
//	go test -run '^$' -bench . -benchmem -count=1 -benchtime=2000x ./internal/perf/ | tee .bin/bench.txt
//	go run ./internal/perf/cmd/benchreport -in .bin/bench.txt -out docs/benchmarks.md
//
// The benchmarks need redis-server in PATH (or REDIS_ADDR); without it the
// Redis-backed ones skip, and fail when CI=true.
package perf
