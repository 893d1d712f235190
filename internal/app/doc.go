// Package app wires the project's parts into the two processes that
// operators run, keeping cmd/* thin:
//
//   - the provider (host): Hydra login-and-consent provider, launching the
//     plugin over go-plugin (RunProvider);
//   - the plugin: the authenticator service over its stores (RunPlugin).
//
// Both read one YAML file (Config), with environment overrides, validated at
// start with every problem reported at once (DESIGN.md §8).
package app
