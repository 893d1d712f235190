package perf_test

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/plugin"
)

// BenchmarkVerifyBare is the baseline: go-webauthn's bare verification of
// one ES256 assertion (parse + ValidateLogin), which is stateless, so the
// same assertion is verified again in every iteration.
func BenchmarkVerifyBare(b *testing.B) {
	f := newBare(b)
	lat := make(latencies, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		if err := f.verify(); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	lat.report(b)
}

// BenchmarkClientAssert is the client's share of a ceremony: the software
// authenticator answering a usernameless ceremony's options. The ceremony
// benchmarks include it in ns/op and leave it out of their server-side
// figures.
func BenchmarkClientAssert(b *testing.B) {
	f := newBare(b)
	lat := make(latencies, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		if _, err := f.auth.Assert(f.options); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	lat.report(b)
}

// BenchmarkCeremonyInProcess runs routine sign-ins (begin + client +
// finish) through *authenticator.Service with Redis and SQLite.
func BenchmarkCeremonyInProcess(b *testing.B) {
	benchmarkCeremony(b, inProcess(b))
}

// BenchmarkCeremonyPlugin runs the same sign-ins through the plugin binary
// in a subprocess, over go-plugin's gRPC.
func BenchmarkCeremonyPlugin(b *testing.B) {
	benchmarkCeremony(b, throughPlugin(b))
}

// BenchmarkCallPlugin is one bare call, Capabilities, through the plugin
// binary in a subprocess: what the plugin boundary costs a call, without
// Redis or SQLite. A ceremony makes two calls.
func BenchmarkCallPlugin(b *testing.B) {
	host := throughPlugin(b)
	ctx := b.Context()
	lat := make(latencies, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		if _, err := host.Capabilities(ctx); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	lat.report(b)
}

// BenchmarkCeremonyInProcessParallel is BenchmarkCeremonyInProcess under
// 16 × GOMAXPROCS concurrent ceremonies.
func BenchmarkCeremonyInProcessParallel(b *testing.B) {
	benchmarkCeremonyParallel(b, inProcess(b))
}

// BenchmarkCeremonyPluginParallel is BenchmarkCeremonyPlugin under 16 ×
// GOMAXPROCS concurrent ceremonies: the throughput of the plugin path.
func BenchmarkCeremonyPluginParallel(b *testing.B) {
	benchmarkCeremonyParallel(b, throughPlugin(b))
}

// benchmarkCeremony signs one user in again and again, one ceremony at a time.
func benchmarkCeremony(b *testing.B, svc plugin.Authenticator) {
	c := newCeremonies(b, svc)
	pk := c.enroll(b, 1)[0]
	ctx := b.Context()
	lat := make(latencies, 0, 4096)
	var n int64
	b.ReportAllocs()
	for b.Loop() {
		n++
		d, err := c.run(ctx, pk, n)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, d)
	}
	lat.report(b)
}

// benchmarkCeremonyParallel runs ceremonies from 16 × GOMAXPROCS goroutines,
// each with a passkey of its own (one passkey's concurrent ceremonies would
// race on its signature counter and get it flagged), and reports the
// throughput in ceremonies/s besides the server-side latencies under load.
func benchmarkCeremonyParallel(b *testing.B, svc plugin.Authenticator) {
	c := newCeremonies(b, svc)
	pks := c.enroll(b, parallelism*runtime.GOMAXPROCS(0))
	ctx := b.Context()
	var (
		next, seq atomic.Int64
		mu        sync.Mutex
		lat       = make(latencies, 0, 4096)
	)
	b.SetParallelism(parallelism)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		pk := pks[next.Add(1)-1]
		local := make(latencies, 0, 256)
		defer func() {
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
		for pb.Next() {
			d, err := c.run(ctx, pk, seq.Add(1))
			if err != nil {
				b.Error(err)
				return
			}
			local = append(local, d)
		}
	})
	b.StopTimer()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "ceremonies/s")
	}
	lat.report(b)
}
