package postgres_test

import (
	"strings"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/internal/testenv"
)

// TestAuditAppendOnly checks that the schema itself refuses to change or
// remove an audit record (TRUNCATE included), or to insert one that does
// not extend the head, even for a writer that bypasses the store.
func TestAuditAppendOnly(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := testenv.Postgres(t)
	s := open(t, dsn, true)
	for i := range 2 {
		if _, err := s.AppendAudit(ctx, authenticator.AuditRecord{At: time.Now(), Actor: "op", Action: "user.read", Target: "alice"}); err != nil {
			t.Fatalf("AppendAudit #%d: got error %v, want nil", i+1, err)
		}
	}
	conn := rawConn(t, dsn)
	for name, stmt := range map[string]string{
		"update":            `UPDATE audit_log SET actor = 'someone else' WHERE seq = 1`,
		"delete":            `DELETE FROM audit_log WHERE seq = 2`,
		"truncate":          `TRUNCATE audit_log`,
		"insert a gap":      `INSERT INTO audit_log SELECT 4, at, actor, action, target, detail, hash, hash FROM audit_log WHERE seq = 2`,
		"insert a bad link": `INSERT INTO audit_log SELECT 3, at, actor, action, target, detail, prev_hash, hash FROM audit_log WHERE seq = 2`,
	} {
		if _, err := conn.Exec(ctx, stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: got error %v, want the append-only trigger's", name, err)
		}
	}
	got, err := s.ListAudit(ctx, 0, 0)
	if err != nil || len(got) != 2 {
		t.Fatalf("ListAudit: got %d records, error %v, want 2, nil", len(got), err)
	}
	if v, err := authenticator.VerifyAuditChain(got); err != nil || !v.Intact() {
		t.Errorf("VerifyAuditChain: got %+v, %v, want intact", v, err)
	}
}
