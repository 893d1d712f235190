package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		args       []string
		wantStatus int
		wantOut    string // contained in stdout
		wantErr    string // contained in stderr
	}{
		"version":                 {args: []string{"--version"}, wantStatus: 0, wantOut: "plugin protocol"},
		"migrate":                 {args: []string{"migrate"}, wantStatus: 0, wantOut: "schema at version"},
		"unknown command":         {args: []string{"frobnicate"}, wantStatus: 1, wantErr: `biometric-passkey-plugin: unknown command "frobnicate"`},
		"verify-approval, no id":  {args: []string{"verify-approval"}, wantStatus: 1, wantErr: "want exactly one approval id, got 0 arguments"},
		"verify-approval, 2 ids":  {args: []string{"verify-approval", "a", "b"}, wantStatus: 1, wantErr: "want exactly one approval id, got 2 arguments"},
		"verify-approval unknown": {args: []string{"verify-approval", "no-such-approval"}, wantStatus: 1, wantErr: `biometric-passkey-plugin: verify-approval: no approval with id "no-such-approval"`},
		"bad flag":                {args: []string{"--nope"}, wantStatus: 1, wantErr: "flag provided but not defined"},
		"audit verify, empty":     {args: []string{"audit", "verify"}, wantStatus: 0, wantOut: "audit chain intact: 0 records, head " + strings.Repeat("0", 64) + "\n"},
		"audit export, empty":     {args: []string{"audit", "export", "--since", "0"}, wantStatus: 0},
		"audit, no subcommand":    {args: []string{"audit"}, wantStatus: 1, wantErr: "biometric-passkey-plugin: audit: want a subcommand, verify or export"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// The development defaults with a fresh database: a real service
			// that holds no approval.
			_, env := storeEnv(t)
			got, stdout, stderr := runCmd(t.Context(), env, tc.args...)
			if got != tc.wantStatus {
				t.Errorf("got exit status %d, want %d; stderr:\n%s", got, tc.wantStatus, stderr)
			}
			if !strings.Contains(stdout, tc.wantOut) {
				t.Errorf("got stdout %q, want it to contain %q", stdout, tc.wantOut)
			}
			if !strings.Contains(stderr, tc.wantErr) {
				t.Errorf("got stderr %q, want it to contain %q", stderr, tc.wantErr)
			}
			if tc.wantStatus != 0 && stdout != "" {
				t.Errorf("got stdout %q on failure, want none", stdout)
			}
		})
	}
}

// storeEnv returns the path of a fresh SQLite store and the environment
// that points the command at it (with the other development defaults).
func storeEnv(t *testing.T) (path string, env []string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "passkey.db")
	return path, []string{"BP_AUTHENTICATOR_STORE_DSN=" + path, "BP_LOG_LEVEL=warn"}
}

// runCmd runs the command with args and env, and returns its exit status,
// stdout and stderr.
func runCmd(ctx context.Context, env []string, args ...string) (status int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	status = run(ctx, args, env, &out, &errOut)
	return status, out.String(), errOut.String()
}
