// Package version reports the versions an operator needs to match parts
// (DESIGN.md §8): the binary's release, the plugin protocol it speaks and
// the schema it migrates to.
package version

import (
	"fmt"

	"github.com/biometric-passkey/biometric-passkey/authenticator/sqlite"
	"github.com/biometric-passkey/biometric-passkey/plugin"
)

// Version is the release, set at build time with
// -ldflags "-X github.com/biometric-passkey/biometric-passkey/internal/version.Version=v1.2.3".
var Version = "v0.1.0-dev"

// String renders the versions for --version.
func String(binary string) string {
	return fmt.Sprintf("%s %s (plugin protocol %d, schema %d)", binary, Version, plugin.ProtocolVersion, sqlite.LatestSchemaVersion())
}
