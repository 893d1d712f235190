package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/sqlite"
)

// TestAuditCommands runs `audit verify` and `audit export` against a real
// SQLite store, then tampers with it through raw SQL (the append-only
// triggers dropped, as someone with write access to the file could) and
// checks that verify exits 1 naming the first bad record.
func TestAuditCommands(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path, env := storeEnv(t)
	st, err := sqlite.OpenAndMigrate(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var head authenticator.AuditRecord
	for i := range 3 {
		if head, err = st.AppendAudit(ctx, authenticator.AuditRecord{At: time.Now(), Actor: fmt.Sprintf("op-%d", i),
			Action: authenticator.AuditCredentialRevoke, Target: "AQID", Detail: map[string]string{"user": "cust-1"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	status, out, errOut := runCmd(ctx, env, "audit", "verify")
	if want := fmt.Sprintf("audit chain intact: 3 records, head %x\n", head.Hash); status != 0 || out != want {
		t.Errorf("audit verify: got status %d, stdout %q, stderr %q; want 0, %q", status, out, errOut, want)
	}
	status, out, errOut = runCmd(ctx, env, "audit", "export", "--since", "1")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if status != 0 || len(lines) != 2 {
		t.Fatalf("audit export --since 1: got status %d, %d lines %q, stderr %q; want 0, 2 lines", status, len(lines), out, errOut)
	}
	var last authenticator.AuditRecord
	if err := json.Unmarshal([]byte(lines[1]), &last); err != nil || last.Seq != 3 || !bytes.Equal(last.Hash, head.Hash) {
		t.Errorf("audit export --since 1: last line %s (%v), want record 3 with hash %x", lines[1], err, head.Hash)
	}

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`DROP TRIGGER audit_log_no_update`, `UPDATE audit_log SET actor = 'someone else' WHERE seq = 2`} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	status, out, errOut = runCmd(ctx, env, "audit", "verify")
	if want := "biometric-passkey-plugin: audit verify: the audit chain is broken at record 2: record 2 does not match its hash"; status != 1 || out != "" || !strings.Contains(errOut, want) {
		t.Errorf("audit verify of a tampered store: got status %d, stdout %q, stderr %q; want 1, none, %q", status, out, errOut, want)
	}
}
