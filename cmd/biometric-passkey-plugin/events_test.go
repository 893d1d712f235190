package main

import (
	"strings"
	"testing"
)

// TestEventsCommands checks that the events subcommands are dispatched:
// an empty store has no dead letters, and redelivering an unknown delivery
// fails (internal/app's tests cover the listing itself).
func TestEventsCommands(t *testing.T) {
	t.Parallel()
	_, env := storeEnv(t)
	if status, stdout, stderr := runCmd(t.Context(), env, "events", "dead-letters"); status != 0 || stdout != "" {
		t.Errorf("events dead-letters: status %d, stdout %q, stderr %q; want 0 and nothing", status, stdout, stderr)
	}
	if status, _, stderr := runCmd(t.Context(), env, "events", "redeliver", "7", "--operator", "op-ann"); status != 1 || !strings.Contains(stderr, "no dead delivery 7") {
		t.Errorf("events redeliver 7: status %d, stderr %q; want 1 naming the missing dead letter", status, stderr)
	}
}
