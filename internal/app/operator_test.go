package app

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/sqlite"
)

// credID is the seeded passkey's id; credB64 is how the commands take it.
var (
	credID  = []byte{0xfb, 0xff, 0x01, 0x02}
	credB64 = base64.RawURLEncoding.EncodeToString(credID)
)

// seededSubject is the seeded user's audit pseudonym, the name audit
// records give the user (ADR 0010).
const seededSubject = "p-00112233445566778899aabbccddeeff"

// seedOperator makes a SQLite store at a fresh path holding one enrolled
// user, cust-1, with an active passkey and an active biometric reference,
// and returns the configuration that opens it.
func seedOperator(t *testing.T) Config {
	t.Helper()
	ctx := t.Context()
	cfg := Defaults()
	cfg.Authenticator.Store.DSN = filepath.Join(t.TempDir(), "passkey.db")
	st, err := sqlite.OpenAndMigrate(ctx, cfg.Authenticator.Store.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	}()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	if err := st.CreateUser(ctx, authenticator.User{ExternalID: "cust-1", Handle: []byte{1}, Username: "ada", DisplayName: "Ada",
		Status: authenticator.UserEnrolled, AuditSubject: seededSubject, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateCredential(ctx, authenticator.Credential{ID: credID, UserExternalID: "cust-1", PublicKey: []byte{0xa5},
		AAGUID: make([]byte, 16), Status: authenticator.CredentialActive, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateReference(ctx, authenticator.BiometricReference{ID: "ref-1", UserExternalID: "cust-1", Provider: "sandbox",
		SealedRef: []byte("sealed"), Status: authenticator.ReferenceActive, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// openSQLite opens cfg's store for a look after a command.
func openSQLite(t *testing.T, cfg Config) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), cfg.Authenticator.Store.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// operatorRun runs the user or credential command.
func operatorRun(t *testing.T, cfg Config, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	run := UserCommand
	if args[0] == "credential" {
		run = CredentialCommand
	}
	err := run(t.Context(), cfg, args[1:], &out, slog.New(slog.DiscardHandler))
	return out.String(), err
}

// lastAudit returns the newest audit record, or a zero one.
func lastAudit(t *testing.T, st *sqlite.Store) (authenticator.AuditRecord, int) {
	t.Helper()
	recs, err := st.ListAudit(t.Context(), 0, authenticator.MaxPageSize)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 {
		return authenticator.AuditRecord{}, 0
	}
	return recs[len(recs)-1], len(recs)
}

func TestUserShowCommand(t *testing.T) {
	t.Parallel()
	cfg := seedOperator(t)
	out, err := operatorRun(t, cfg, "user", "show", "cust-1", "--operator", "op-1@example.com")
	if err != nil {
		t.Fatal(err)
	}
	var d UserDetailJSON
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if d.User.ExternalID != "cust-1" || d.User.Status != "enrolled" || len(d.Credentials) != 1 || d.Credentials[0].ID != credB64 {
		t.Errorf("user show: got %+v, want cust-1 with its passkey %s", d, credB64)
	}
	if strings.Contains(out, "public_key") || strings.Contains(out, "sealed") {
		t.Errorf("user show printed key material: %s", out)
	}
	r, n := lastAudit(t, openSQLite(t, cfg))
	if n != 1 || r.Action != authenticator.AuditUserRead || r.Actor != "op-1@example.com" || r.Target != seededSubject {
		t.Errorf("audit: got %d records, last %+v, want one user.read by op-1", n, r)
	}
}

func TestUserActionCommands(t *testing.T) {
	t.Parallel()
	cfg := seedOperator(t)
	steps := []struct {
		args       []string
		wantStatus string
		wantAction string
	}{
		{[]string{"user", "suspend", "cust-1", "--operator", "op-1", "--reason", "fraud report"}, "suspended", authenticator.AuditUserSuspend},
		{[]string{"user", "unsuspend", "--operator", "op-2", "cust-1"}, "enrolled", authenticator.AuditUserUnsuspend},
		{[]string{"user", "reverify", "cust-1", "--operator", "op-3", "--reason", "document expired"}, "biometric_pending", authenticator.AuditUserReverify},
	}
	for i, s := range steps {
		out, err := operatorRun(t, cfg, s.args...)
		if err != nil {
			t.Fatalf("%v: %v", s.args, err)
		}
		var u UserJSON
		if err := json.Unmarshal([]byte(out), &u); err != nil || u.Status != s.wantStatus {
			t.Errorf("%v: got %q (%v), want status %s", s.args, out, err, s.wantStatus)
		}
		r, n := lastAudit(t, openSQLite(t, cfg))
		if n != i+1 || r.Action != s.wantAction || r.Target != seededSubject {
			t.Errorf("%v: audit got %d records, last %+v, want %s", s.args, n, r, s.wantAction)
		}
	}
	refs, err := openSQLite(t, cfg).ListReferences(t.Context(), "cust-1")
	if err != nil || len(refs) != 1 || refs[0].Status != authenticator.ReferenceRevoked {
		t.Errorf("references after reverify: got %+v, %v, want the one revoked", refs, err)
	}
}

func TestCredentialCommands(t *testing.T) {
	t.Parallel()
	cfg := seedOperator(t)
	steps := []struct {
		args       []string
		wantStatus string
		wantName   string
		wantAction string
	}{
		{[]string{"credential", "rename", credB64, "Ada's phone", "--operator", "op-1"}, "active", "Ada's phone", authenticator.AuditCredentialRename},
		{[]string{"credential", "suspend", credB64, "--operator", "op-1", "--reason", "stolen"}, "suspended", "Ada's phone", authenticator.AuditCredentialSuspend},
		{[]string{"credential", "unsuspend", credB64, "--operator", "op-2"}, "active", "Ada's phone", authenticator.AuditCredentialUnsuspend},
		{[]string{"credential", "revoke", "--operator", "op-2", "--reason", "lost", credB64}, "revoked", "Ada's phone", authenticator.AuditCredentialRevoke},
	}
	for i, s := range steps {
		out, err := operatorRun(t, cfg, s.args...)
		if err != nil {
			t.Fatalf("%v: %v", s.args, err)
		}
		var c CredentialJSON
		if err := json.Unmarshal([]byte(out), &c); err != nil || c.Status != s.wantStatus || c.Name != s.wantName || c.ID != credB64 {
			t.Errorf("%v: got %q (%v), want status %s, name %q", s.args, out, err, s.wantStatus, s.wantName)
		}
		r, n := lastAudit(t, openSQLite(t, cfg))
		if n != i+1 || r.Action != s.wantAction || r.Target != credB64 || r.Detail["user"] != seededSubject {
			t.Errorf("%v: audit got %d records, last %+v, want %s", s.args, n, r, s.wantAction)
		}
	}
}

func TestOperatorCommandErrors(t *testing.T) {
	t.Parallel()
	cfg := seedOperator(t)
	tests := map[string]struct {
		args []string
		want string
		code *authenticator.Error // nil: refused before the service
	}{
		"no operator":            {[]string{"user", "suspend", "cust-1"}, "--operator is required", nil},
		"show without operator":  {[]string{"user", "show", "cust-1"}, "--operator is required", nil},
		"no user id":             {[]string{"user", "suspend", "--operator", "op"}, "want exactly one external user id", nil},
		"unknown subcommand":     {[]string{"user", "forget", "cust-1", "--operator", "op"}, `unknown subcommand "forget"`, nil},
		"erase without reason":   {[]string{"user", "erase", "cust-1", "--operator", "op"}, "--reason is required", nil},
		"erase blank reason":     {[]string{"user", "erase", "cust-1", "--operator", "op", "--reason", " "}, "--reason is required", nil},
		"erase unknown user":     {[]string{"user", "erase", "nobody", "--operator", "op", "--reason", "r"}, `user erase "nobody"`, authenticator.ErrNotFound},
		"erase with sandbox ref": {[]string{"user", "erase", "cust-1", "--operator", "op", "--reason", "r"}, `provider "sandbox", which is not configured`, authenticator.ErrConflict},
		"unknown flag":           {[]string{"credential", "rename", credB64, "x", "--reason", "r", "--operator", "op"}, "flag provided but not defined: --reason", nil},
		"bad credential id":      {[]string{"credential", "revoke", "not base64!", "--operator", "op"}, "is not a credential id in base64url", nil},
		"unknown user":           {[]string{"user", "suspend", "nobody", "--operator", "op"}, `user suspend "nobody"`, authenticator.ErrNotFound},
		"unknown credential":     {[]string{"credential", "suspend", "AAAA", "--operator", "op"}, "credential suspend AAAA", authenticator.ErrNotFound},
		"unsuspend active user":  {[]string{"user", "unsuspend", "cust-1", "--operator", "op"}, "the user is not suspended", authenticator.ErrConflict},
		"unsuspend active cred":  {[]string{"credential", "unsuspend", credB64, "--operator", "op"}, "the passkey is active", authenticator.ErrConflict},
		"oversized reason":       {[]string{"user", "suspend", "cust-1", "--operator", "op", "--reason", strings.Repeat("r", 513)}, "reason must be at most 512", authenticator.ErrInvalidArgument},
		"oversized operator":     {[]string{"user", "suspend", "cust-1", "--operator", strings.Repeat("o", 257)}, "1 to 256 bytes", authenticator.ErrInvalidArgument},
		"name with control char": {[]string{"credential", "rename", credB64, "a\tb", "--operator", "op"}, "name must be 1 to 64 printable characters", authenticator.ErrInvalidArgument},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out, err := operatorRun(t, cfg, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one saying %q", err, tc.want)
			}
			if tc.code != nil && !errors.Is(err, tc.code) {
				t.Errorf("got error %v, want %s", err, tc.code.Code)
			}
			if out != "" {
				t.Errorf("got output %q, want none", out)
			}
		})
	}
	if _, n := lastAudit(t, openSQLite(t, cfg)); n != 0 {
		t.Errorf("audit records after refused commands: got %d, want 0", n)
	}
}

func TestUserEraseCommand(t *testing.T) {
	t.Parallel()
	cfg := seedOperator(t)
	ctx := t.Context()
	st := openSQLite(t, cfg)
	const subject = "p-ffeeddccbbaa99887766554433221100"
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	if err := st.CreateUser(ctx, authenticator.User{ExternalID: "cust-2", Handle: []byte{2}, Status: authenticator.UserBiometricPending,
		AuditSubject: subject, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateCredential(ctx, authenticator.Credential{ID: []byte{2, 2}, UserExternalID: "cust-2", PublicKey: []byte{0xa5},
		Status: authenticator.CredentialActive, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}

	out, err := operatorRun(t, cfg, "user", "erase", "cust-2", "--operator", "op-1", "--reason", "asked to be forgotten")
	if err != nil {
		t.Fatal(err)
	}
	var e ErasureJSON
	if err := json.Unmarshal([]byte(out), &e); err != nil || e.ExternalID != "cust-2" || e.AuditSubject != subject ||
		e.Credentials != 1 || e.References != 0 || e.At.IsZero() {
		t.Errorf("user erase: got %q (%v), want cust-2 erased with its passkey, pseudonym %s", out, err, subject)
	}
	r, n := lastAudit(t, st)
	if n != 1 || r.Action != authenticator.AuditUserErase || r.Actor != "op-1" || r.Target != subject ||
		r.Detail["reason"] != "asked to be forgotten" || r.Detail["credentials"] != "1" {
		t.Errorf("audit: got %d records, last %+v, want one user.erase by op-1 on %s", n, r, subject)
	}
	if _, err := st.GetUser(ctx, "cust-2"); !errors.Is(err, authenticator.ErrNotFound) {
		t.Errorf("GetUser after user erase: got %v, want not found", err)
	}
	if _, err := st.GetUser(ctx, "cust-1"); err != nil {
		t.Errorf("GetUser(cust-1) after erasing cust-2: %v", err)
	}
	if _, err := operatorRun(t, cfg, "user", "erase", "cust-2", "--operator", "op-1", "--reason", "again"); !errors.Is(err, authenticator.ErrNotFound) {
		t.Errorf("user erase again: got %v, want not found", err)
	}
}
