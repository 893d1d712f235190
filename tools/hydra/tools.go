//go:build tools

// Package tools pins the Ory Hydra server that `make run` and the end-to-end
// tests start. It lives in its own module so Hydra's dependency graph never
// enters the project's go.mod.
package tools

import _ "github.com/ory/hydra/v2"
