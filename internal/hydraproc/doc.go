// Package hydraproc starts and drives a real Ory Hydra v2.3.0 process for
// tests and for the local development stack (`make run`).
//
// The Hydra binary is built from the separate tools module in tools/hydra by
// `make hydra` (so Hydra's dependency graph never enters the project's
// go.mod) and found by [Binary]: the HYDRA_BIN environment variable, else
// .bin/hydra at the repository root.
//
// [Start] runs `hydra serve all --dev --sqa-opt-out` with an in-memory SQLite
// database (DSN=memory: every process starts empty and runs its migrations),
// loopback listeners on free ports unless told otherwise, and the login,
// consent and logout URLs of the login provider under test. It returns once
// GET {admin}/health/ready answers 200, or with an error carrying the tail of
// Hydra's output if the process exits or does not become ready in time.
// Tests use hydratest.Start, which also skips or fails (CI=true) without the
// binary and stops Hydra when the test ends.
//
// Decisions:
//
//   - OAUTH2_EXPOSE_INTERNAL_ERRORS is true by default: a failed flow then
//     carries Hydra's real reason in error_debug, which is what a failing
//     test needs to say. It is development only; Options.ExtraEnv can turn it
//     off ("OAUTH2_EXPOSE_INTERNAL_ERRORS=false").
//   - OAUTH2_ALLOWED_TOP_LEVEL_CLAIMS is acr,auth_time and the approval claims
//     (authorization_details, authorization_details_hash, approval_id) by default
//     ([AllowedTopLevelClaimsEnv]): JWT access tokens then carry the acr and
//     auth_time the login provider puts into the access token's session at
//     consent at their top level, as RFC 9470 resource servers expect;
//     introspection returns them under ext either way. Options.ExtraEnv can
//     change it.
//   - LOG_LEVEL is warn, and the tail of everything Hydra writes is kept
//     ([Hydra.Output]) so startup errors and failed tests can show it.
//   - The context given to [Start] bounds startup only; the process runs
//     until [Hydra.Stop] (SIGTERM, then SIGKILL after a grace period). On
//     Linux the child also gets SIGKILL if the thread that started it dies,
//     so a crashed test binary does not leave Hydra behind.
//   - Ports picked automatically (port 0) are probed free and then handed to
//     Hydra, which leaves a small window for another process to take them;
//     Start retries with new ports when Hydra reports the address in use.
//   - Every admin route of Hydra v2 is under /admin. The hydra-client-go
//     v2.2.1 client from [Hydra.Admin] already adds that prefix, so its base
//     URL is [Hydra.AdminURL] itself; plain HTTP callers must add /admin.
package hydraproc
