// Package e2e holds the end-to-end tests: real Ory Hydra, real Redis, the
// provider in this process launching the real plugin binary as a
// subprocess, a software authenticator, and go-oidc as the relying party.
// The browser tests drive the same stack `make run` starts through headless
// Chromium with the DevTools virtual authenticator.
package e2e
