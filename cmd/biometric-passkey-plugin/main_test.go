package main

import (
	"bytes"
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
			env := []string{"BP_AUTHENTICATOR_STORE_DSN=" + filepath.Join(t.TempDir(), "passkey.db"), "BP_LOG_LEVEL=warn"}
			var stdout, stderr bytes.Buffer
			if got := run(t.Context(), tc.args, env, &stdout, &stderr); got != tc.wantStatus {
				t.Errorf("got exit status %d, want %d; stderr:\n%s", got, tc.wantStatus, stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.wantOut) {
				t.Errorf("got stdout %q, want it to contain %q", stdout.String(), tc.wantOut)
			}
			if !strings.Contains(stderr.String(), tc.wantErr) {
				t.Errorf("got stderr %q, want it to contain %q", stderr.String(), tc.wantErr)
			}
			if tc.wantStatus != 0 && stdout.Len() != 0 {
				t.Errorf("got stdout %q on failure, want none", stdout.String())
			}
		})
	}
}
