package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/sqlite"
)

// TestOperatorCommands runs `user` and `credential` against a real SQLite
// store: JSON on success, exit status 1 and a clear message on error.
func TestOperatorCommands(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path, env := storeEnv(t)
	st, err := sqlite.OpenAndMigrate(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := st.CreateUser(ctx, authenticator.User{ExternalID: "cust-1", Handle: []byte{1}, Username: "ada",
		Status: authenticator.UserBiometricPending, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateCredential(ctx, authenticator.Credential{ID: []byte{1, 2, 3}, UserExternalID: "cust-1",
		Status: authenticator.CredentialActive, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	status, out, errOut := runCmd(ctx, env, "user", "suspend", "cust-1", "--operator", "op-1", "--reason", "fraud")
	var u struct{ Status string }
	if err := json.Unmarshal([]byte(out), &u); status != 0 || err != nil || u.Status != "suspended" {
		t.Errorf("user suspend: got status %d, stdout %q, stderr %q; want 0 and a suspended user", status, out, errOut)
	}
	status, out, errOut = runCmd(ctx, env, "credential", "rename", "AQID", "Ada's key", "--operator", "op-1")
	var c struct{ ID, Name string }
	if err := json.Unmarshal([]byte(out), &c); status != 0 || err != nil || c.ID != "AQID" || c.Name != "Ada's key" {
		t.Errorf("credential rename: got status %d, stdout %q, stderr %q; want 0 and the renamed passkey", status, out, errOut)
	}
	status, out, errOut = runCmd(ctx, env, "user", "suspend", "cust-1", "--operator", "op-1")
	if want := "biometric-passkey-plugin: user suspend \"cust-1\": "; status != 1 || out != "" || !strings.HasPrefix(errOut, want) || !strings.Contains(errOut, "already suspended") {
		t.Errorf("user suspend again: got status %d, stdout %q, stderr %q; want 1 and %q… already suspended", status, out, errOut, want)
	}
	status, out, errOut = runCmd(ctx, env, "credential", "revoke", "AQID")
	if status != 1 || out != "" || !strings.Contains(errOut, "--operator is required") {
		t.Errorf("credential revoke without operator: got status %d, stdout %q, stderr %q; want 1 and --operator is required", status, out, errOut)
	}
}
