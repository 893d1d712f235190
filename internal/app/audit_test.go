package app

import (
	"bytes"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/sqlite"
)

// seedAudit makes a SQLite store at a fresh path with n audit records and
// returns the configuration that opens it and the records.
func seedAudit(t *testing.T, n int) (Config, []authenticator.AuditRecord) {
	t.Helper()
	cfg := Defaults()
	cfg.Authenticator.Store.DSN = filepath.Join(t.TempDir(), "passkey.db")
	st, err := sqlite.OpenAndMigrate(t.Context(), cfg.Authenticator.Store.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	}()
	var recs []authenticator.AuditRecord
	for i := range n {
		r, err := st.AppendAudit(t.Context(), authenticator.AuditRecord{
			At: time.Date(2026, 11, 25, 12, 0, i, 0, time.UTC), Actor: fmt.Sprintf("op-%d", i), Action: authenticator.AuditUserRead,
			Target: "cust-1", Detail: map[string]string{"n": fmt.Sprint(i)},
		})
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	return cfg, recs
}

// tamper runs stmts on the store's file directly, as someone with write
// access to it would, after dropping the append-only triggers.
func tamper(t *testing.T, cfg Config, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", cfg.Authenticator.Store.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}()
	for _, s := range append([]string{
		`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`, `DROP TRIGGER audit_log_extends_head`,
	}, stmts...) {
		if _, err := db.ExecContext(t.Context(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestAuditVerifyCommand(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		n        int
		tamper   []string
		anchor   func(recs []authenticator.AuditRecord) string
		wantOut  string // the whole of stdout, %s for the head hash
		firstBad int64  // with ErrAuditBroken
		wantMsg  string
	}{
		"empty":  {n: 0, wantOut: "audit chain intact: 0 records, head " + strings.Repeat("0", 64) + "\n"},
		"intact": {n: 5, wantOut: "audit chain intact: 5 records, head %s\n"},
		"intact, anchored": {n: 5, wantOut: "audit chain intact: 5 records, head %s\n",
			anchor: func(recs []authenticator.AuditRecord) string { return fmt.Sprintf("3:%x", recs[2].Hash) }},
		"detail changed": {n: 5, tamper: []string{`UPDATE audit_log SET detail = '{"n":"9"}' WHERE seq = 2`},
			firstBad: 2, wantMsg: "broken at record 2: record 2 does not match its hash"},
		"middle deleted": {n: 5, tamper: []string{`DELETE FROM audit_log WHERE seq = 3`},
			firstBad: 3, wantMsg: "broken at record 3: record 3 is missing"},
		"reordered": {n: 5, tamper: []string{
			`UPDATE audit_log SET seq = 100 WHERE seq = 2`, `UPDATE audit_log SET seq = 2 WHERE seq = 3`, `UPDATE audit_log SET seq = 3 WHERE seq = 100`,
		}, firstBad: 2, wantMsg: "broken at record 2"},
		"hash changed": {n: 5, tamper: []string{`UPDATE audit_log SET hash = zeroblob(32) WHERE seq = 4`},
			firstBad: 4, wantMsg: "broken at record 4: record 4 does not match its hash"},
		"tail truncated, not anchored": {n: 5, tamper: []string{`DELETE FROM audit_log WHERE seq >= 4`},
			wantOut: "audit chain intact: 3 records, head %s\n"},
		"tail truncated, anchored": {n: 5, tamper: []string{`DELETE FROM audit_log WHERE seq >= 4`},
			anchor:   func(recs []authenticator.AuditRecord) string { return fmt.Sprintf("5:%x", recs[4].Hash) },
			firstBad: 4, wantMsg: "broken at record 4: the chain ends at record 3 but the anchor names record 5"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg, recs := seedAudit(t, tc.n)
			if tc.tamper != nil {
				tamper(t, cfg, tc.tamper...)
			}
			args := []string{"verify"}
			if tc.anchor != nil {
				args = append(args, "--anchor", tc.anchor(recs))
			}
			var out bytes.Buffer
			err := Audit(t.Context(), cfg, args, &out, slog.New(slog.DiscardHandler))
			if tc.firstBad != 0 {
				if !errors.Is(err, ErrAuditBroken) || !strings.Contains(err.Error(), tc.wantMsg) {
					t.Errorf("got error %v, want ErrAuditBroken saying %q", err, tc.wantMsg)
				}
				if out.Len() != 0 {
					t.Errorf("got output %q on a broken chain, want none", out.String())
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			want := tc.wantOut
			if strings.Contains(want, "%s") {
				left := len(recs)
				if tc.tamper != nil {
					left = 3
				}
				want = fmt.Sprintf(want, hex.EncodeToString(recs[left-1].Hash))
			}
			if out.String() != want {
				t.Errorf("got output %q, want %q", out.String(), want)
			}
		})
	}
}

func TestAuditExportCommand(t *testing.T) {
	t.Parallel()
	cfg, recs := seedAudit(t, 4)
	for name, tc := range map[string]struct {
		args     []string
		wantSeqs []int64
	}{
		"all":            {args: []string{"export"}, wantSeqs: []int64{1, 2, 3, 4}},
		"since 0":        {args: []string{"export", "--since", "0"}, wantSeqs: []int64{1, 2, 3, 4}},
		"since 2":        {args: []string{"export", "--since=2"}, wantSeqs: []int64{3, 4}},
		"since the head": {args: []string{"export", "--since", "4"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			if err := Audit(t.Context(), cfg, tc.args, &out, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			var got []authenticator.AuditRecord
			dec := json.NewDecoder(&out)
			for dec.More() {
				var r authenticator.AuditRecord
				if err := dec.Decode(&r); err != nil {
					t.Fatal(err)
				}
				got = append(got, r)
			}
			var seqs []int64
			for _, r := range got {
				seqs = append(seqs, r.Seq)
				if !bytes.Equal(r.Hash, recs[r.Seq-1].Hash) || !bytes.Equal(r.Hash, authenticator.AuditHash(r)) {
					t.Errorf("record %d: got hash %x, want the stored and recomputed %x", r.Seq, r.Hash, recs[r.Seq-1].Hash)
				}
			}
			if !slices.Equal(seqs, tc.wantSeqs) {
				t.Errorf("got records %v, want %v", seqs, tc.wantSeqs)
			}
		})
	}
}

func TestAuditCommandErrors(t *testing.T) {
	t.Parallel()
	cfg, _ := seedAudit(t, 1)
	for name, tc := range map[string]struct {
		args    []string
		wantMsg string
	}{
		"no subcommand":    {args: nil, wantMsg: "audit: want a subcommand, verify or export"},
		"unknown":          {args: []string{"frob"}, wantMsg: `audit: unknown subcommand "frob"`},
		"bad anchor":       {args: []string{"verify", "--anchor", "x"}, wantMsg: `audit verify: invalid value "x" for flag -anchor`},
		"extra argument":   {args: []string{"verify", "now"}, wantMsg: `audit verify: unexpected argument "now"`},
		"negative since":   {args: []string{"export", "--since", "-1"}, wantMsg: "--since must be 0 or more"},
		"since not number": {args: []string{"export", "--since", "x"}, wantMsg: `audit export: invalid value "x" for flag -since`},
		"unknown flag":     {args: []string{"export", "--until", "3"}, wantMsg: "flag provided but not defined: -until"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := Audit(t.Context(), cfg, tc.args, &out, slog.New(slog.DiscardHandler))
			if err == nil || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("got error %v, want one saying %q", err, tc.wantMsg)
			}
			if errors.Is(err, ErrAuditBroken) {
				t.Errorf("got %v, want no ErrAuditBroken (nothing was verified)", err)
			}
			if out.Len() != 0 {
				t.Errorf("got output %q, want none", out.String())
			}
		})
	}
}

// TestParseCommandAudit checks that the audit subcommand's own flags reach
// Audit rather than ParseCommand's flag set.
func TestParseCommandAudit(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	cmd, done, err := ParseCommand("x", []string{"--config", exampleConfig, "audit", "export", "--since", "3"}, nil, &out)
	if err != nil || done {
		t.Fatalf("ParseCommand: got done %t, error %v, want false, nil", done, err)
	}
	if want := []string{"audit", "export", "--since", "3"}; !slices.Equal(cmd.Args, want) {
		t.Errorf("got args %q, want %q", cmd.Args, want)
	}
}
