// Package testenv gives tests the real services they need: a Redis server,
// a PostgreSQL server (Postgres: one throwaway server per test binary, run
// as an unprivileged user, a database per test), a free loopback port, a
// Chromium binary.
//
// A test that cannot get its service calls Require, which is the project's
// one place that decides between skipping and failing: on a developer's
// machine the test skips with a hint on how to get the service; when the
// environment variable CI is "true" it fails, because CI installs every
// service and a skip there would land untested work (DESIGN.md §9, STYLE.md
// §2.14). Tests never call t.Skip themselves.
//
// Environment variables:
//
//   - CI=true turns every missing service into a failure.
//   - REDIS_ADDR=host:port makes Redis and RedisAddr use that server instead
//     of starting redis-server. Tests share it, so they namespace their keys
//     (the Redis store takes a prefix) and never flush it.
//   - POSTGRES_DSN=postgres://… makes Postgres use that server instead of
//     starting one; each test then gets a database created and dropped for it.
//   - CHROMIUM_BIN=/path/to/chromium overrides the search for Chromium.
package testenv
