// Package app wires the project's parts into the two processes that
// operators run, keeping cmd/* thin:
//
//   - the provider (host): Hydra login-and-consent provider, launching the
//     plugin over go-plugin (StartProvider);
//   - the plugin: the authenticator service over its stores (RunPlugin),
//     and the operator commands that open the same service (Migrate,
//     VerifyApproval).
//
// Both read one YAML file (Config), with environment overrides, validated at
// start with every problem reported at once (DESIGN.md §8).
//
// StartAuthenticator builds the service as a process runs it. With the
// sandbox identity-verification provider it also serves the sandbox's
// capture pages on authenticator.idv.sandbox.listen and hands each finished
// run's notification straight to the service's webhook intake (ADR 6). It
// is called by exactly one process: the plugin, or the provider when the
// authenticator runs in-process (plugin.path empty), so the sandbox has one
// listener, in the process that holds its state. OpenAuthenticator builds
// the service alone and serves nothing (tests, benchmarks, fosite hosts).
package app
