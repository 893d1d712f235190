package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestEventsCommands checks that the events subcommands are dispatched:
// an empty store has no dead letters, and redelivering an unknown delivery
// fails (internal/app's tests cover the listing itself).
func TestEventsCommands(t *testing.T) {
	t.Parallel()
	env := []string{"BP_AUTHENTICATOR_STORE_DSN=" + filepath.Join(t.TempDir(), "passkey.db"), "BP_LOG_LEVEL=warn"}
	var stdout, stderr bytes.Buffer
	if status := run(t.Context(), []string{"events", "dead-letters"}, env, &stdout, &stderr); status != 0 || stdout.Len() != 0 {
		t.Errorf("events dead-letters: status %d, stdout %q, stderr %q; want 0 and nothing", status, stdout.String(), stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	if status := run(t.Context(), []string{"events", "redeliver", "7", "--operator", "op-ann"}, env, &stdout, &stderr); status != 1 || !strings.Contains(stderr.String(), "no dead delivery 7") {
		t.Errorf("events redeliver 7: status %d, stderr %q; want 1 naming the missing dead letter", status, stderr.String())
	}
}
