package authenticator_test

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/sandbox"
	"github.com/biometric-passkey/biometric-passkey/internal/softauthn"
)

// auditCount is how many audit records the store holds.
func auditCount(t *testing.T, h *harness) int {
	t.Helper()
	return len(auditLog(t, h.store))
}

// userStatus reads user's status from the store.
func (h *harness) userStatus(t *testing.T, user string) authenticator.UserStatus {
	t.Helper()
	u, err := h.store.GetUser(t.Context(), user)
	if err != nil {
		t.Fatal(err)
	}
	return u.Status
}

// errUserCount is the failure of failingUserCounts.
var errUserCount = errors.New("users cannot be counted")

// failingUserCounts is a store that cannot count its users.
type failingUserCounts struct{ authenticator.Store }

func (failingUserCounts) CountUsersByStatus(context.Context) (map[authenticator.UserStatus]int, error) {
	return nil, errUserCount
}

// TestCountUsersByStatus checks the overview's counts: none in an empty
// store, each status's users, and a store's failure passed on.
func TestCountUsersByStatus(t *testing.T) {
	t.Parallel()
	svc, st := newOutboxService(t, nil)
	ctx := t.Context()
	if got, err := svc.CountUsersByStatus(ctx); err != nil || len(got) != 0 {
		t.Errorf("CountUsersByStatus of an empty store: got %v, %v, want none", got, err)
	}
	for i, status := range []authenticator.UserStatus{
		authenticator.UserInvited, authenticator.UserEnrolled, authenticator.UserEnrolled, authenticator.UserSuspended,
	} {
		id := "cust-" + strconv.Itoa(i)
		u := authenticator.User{ExternalID: id, Handle: []byte(id), Status: status, AuditSubject: "p-" + id}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	got, err := svc.CountUsersByStatus(ctx)
	if err != nil {
		t.Fatalf("CountUsersByStatus: got %v, want nil", err)
	}
	want := map[authenticator.UserStatus]int{authenticator.UserInvited: 1, authenticator.UserEnrolled: 2, authenticator.UserSuspended: 1}
	if !maps.Equal(got, want) {
		t.Errorf("CountUsersByStatus: got %v, want %v", got, want)
	}

	failing, _ := newOutboxService(t, func(s authenticator.Store) authenticator.Store { return failingUserCounts{s} })
	if _, err := failing.CountUsersByStatus(ctx); !errors.Is(err, errUserCount) {
		t.Errorf("CountUsersByStatus over a failing store: got %v, want the store's error", err)
	}
}

// TestOperatorActionsNegative checks every refused operator action: it
// fails with the right code, changes nothing, and leaves no audit record.
func TestOperatorActionsNegative(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	_, reg := h.enroll(t, "cust-1", softauthn.Options{}) // biometric_pending, active passkey
	id := reg.Credential.ID
	long := strings.Repeat("x", 513)
	user := func(ext, op, reason string) authenticator.UserActionRequest {
		return authenticator.UserActionRequest{ExternalID: ext, Operator: op, Reason: reason}
	}
	cred := func(id []byte, op, reason string) authenticator.CredentialActionRequest {
		return authenticator.CredentialActionRequest{CredentialID: id, Operator: op, Reason: reason}
	}
	svc := h.svc
	tests := map[string]struct {
		call func() error
		want *authenticator.Error
	}{
		"suspend user: unknown":     {func() error { _, err := svc.SuspendUser(t.Context(), user("nobody", "op", "")); return err }, authenticator.ErrNotFound},
		"suspend user: no operator": {func() error { _, err := svc.SuspendUser(t.Context(), user("cust-1", "", "")); return err }, authenticator.ErrInvalidArgument},
		"suspend user: long operator": {func() error {
			_, err := svc.SuspendUser(t.Context(), user("cust-1", strings.Repeat("o", 257), ""))
			return err
		}, authenticator.ErrInvalidArgument},
		"suspend user: invalid UTF-8":     {func() error { _, err := svc.SuspendUser(t.Context(), user("cust-1", "op\xff", "")); return err }, authenticator.ErrInvalidArgument},
		"suspend user: long reason":       {func() error { _, err := svc.SuspendUser(t.Context(), user("cust-1", "op", long)); return err }, authenticator.ErrInvalidArgument},
		"unsuspend user: not suspended":   {func() error { _, err := svc.UnsuspendUser(t.Context(), user("cust-1", "op", "")); return err }, authenticator.ErrConflict},
		"unsuspend user: unknown":         {func() error { _, err := svc.UnsuspendUser(t.Context(), user("nobody", "op", "")); return err }, authenticator.ErrNotFound},
		"unsuspend user: no operator":     {func() error { _, err := svc.UnsuspendUser(t.Context(), user("cust-1", " ", "")); return err }, authenticator.ErrInvalidArgument},
		"reverify: not enrolled":          {func() error { _, err := svc.RequireReverification(t.Context(), user("cust-1", "op", "")); return err }, authenticator.ErrConflict},
		"reverify: unknown":               {func() error { _, err := svc.RequireReverification(t.Context(), user("nobody", "op", "")); return err }, authenticator.ErrNotFound},
		"reverify: no operator":           {func() error { _, err := svc.RequireReverification(t.Context(), user("cust-1", "", "")); return err }, authenticator.ErrInvalidArgument},
		"reverify: long reason":           {func() error { _, err := svc.RequireReverification(t.Context(), user("cust-1", "op", long)); return err }, authenticator.ErrInvalidArgument},
		"suspend credential: unknown":     {func() error { _, err := svc.SuspendCredential(t.Context(), cred([]byte("nope"), "op", "")); return err }, authenticator.ErrNotFound},
		"suspend credential: no id":       {func() error { _, err := svc.SuspendCredential(t.Context(), cred(nil, "op", "")); return err }, authenticator.ErrInvalidArgument},
		"suspend credential: no operator": {func() error { _, err := svc.SuspendCredential(t.Context(), cred(id, "", "")); return err }, authenticator.ErrInvalidArgument},
		"suspend credential: long reason": {func() error { _, err := svc.SuspendCredential(t.Context(), cred(id, "op", long)); return err }, authenticator.ErrInvalidArgument},
		"unsuspend credential: active":    {func() error { _, err := svc.UnsuspendCredential(t.Context(), cred(id, "op", "")); return err }, authenticator.ErrConflict},
		"unsuspend credential: unknown": {func() error {
			_, err := svc.UnsuspendCredential(t.Context(), cred([]byte("nope"), "op", ""))
			return err
		}, authenticator.ErrNotFound},
		"unsuspend credential: no operator": {func() error { _, err := svc.UnsuspendCredential(t.Context(), cred(id, "", "")); return err }, authenticator.ErrInvalidArgument},
		"rename: unknown": {func() error {
			_, err := svc.RenameCredential(t.Context(), authenticator.RenameCredentialRequest{CredentialID: []byte("nope"), Name: "phone", Operator: "op"})
			return err
		}, authenticator.ErrNotFound},
		"rename: no operator": {func() error {
			_, err := svc.RenameCredential(t.Context(), authenticator.RenameCredentialRequest{CredentialID: id, Name: "phone"})
			return err
		}, authenticator.ErrInvalidArgument},
		"rename: blank name": {func() error {
			_, err := svc.RenameCredential(t.Context(), authenticator.RenameCredentialRequest{CredentialID: id, Name: "  ", Operator: "op"})
			return err
		}, authenticator.ErrInvalidArgument},
		"rename: long name": {func() error {
			_, err := svc.RenameCredential(t.Context(), authenticator.RenameCredentialRequest{CredentialID: id, Name: strings.Repeat("é", 65), Operator: "op"})
			return err
		}, authenticator.ErrInvalidArgument},
		"rename: control character": {func() error {
			_, err := svc.RenameCredential(t.Context(), authenticator.RenameCredentialRequest{CredentialID: id, Name: "a\nb", Operator: "op"})
			return err
		}, authenticator.ErrInvalidArgument},
		"read user: unknown": {func() error {
			_, err := svc.ReadUser(t.Context(), authenticator.ReadUserRequest{ExternalID: "nobody", Operator: "op"})
			return err
		}, authenticator.ErrNotFound},
		"read user: no operator": {func() error {
			_, err := svc.ReadUser(t.Context(), authenticator.ReadUserRequest{ExternalID: "cust-1"})
			return err
		}, authenticator.ErrInvalidArgument},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			wantCode(t, tc.call(), tc.want)
		})
	}
	if n := auditCount(t, h); n != 0 {
		t.Errorf("audit records after refused actions: got %d, want 0", n)
	}
	if s := h.userStatus(t, "cust-1"); s != authenticator.UserBiometricPending {
		t.Errorf("user status: got %s, want biometric_pending", s)
	}
	if c := h.credential(t, id); c.Status != authenticator.CredentialActive || c.Name != "" {
		t.Errorf("credential: got status %s, name %q, want active and unnamed", c.Status, c.Name)
	}
}

// TestSuspendUser checks that a suspended user's sign-in and skipped
// session fail closed, and that unsuspending restores the earlier status.
func TestSuspendUser(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := t.Context()
	a, _ := h.enroll(t, "cust-1", softauthn.Options{})
	lr := h.loginRequest()
	if _, err := h.login(t, a, lr, ""); err != nil {
		t.Fatal(err)
	}
	u, err := h.svc.SuspendUser(ctx, authenticator.UserActionRequest{ExternalID: "cust-1", Operator: "op-1", Reason: "fraud report"})
	if err != nil || u.Status != authenticator.UserSuspended {
		t.Fatalf("SuspendUser: got %s, %v, want suspended", u.Status, err)
	}
	if _, err := h.svc.SuspendUser(ctx, authenticator.UserActionRequest{ExternalID: "cust-1", Operator: "op-1"}); !errors.Is(err, authenticator.ErrConflict) {
		t.Errorf("SuspendUser again: got %v, want conflict", err)
	}
	_, err = h.login(t, a, h.loginRequest(), "")
	wantCode(t, err, authenticator.ErrUserSuspended)
	skip := lr
	skip.Challenge, skip.Skip, skip.Subject = "again", true, "cust-1"
	if d, err := h.svc.DecideLogin(ctx, skip); err != nil || d.Action == acr.ActionAccept {
		t.Errorf("skipped login while suspended: got %+v, %v, want no accept", d, err)
	}
	if _, err := h.svc.CreateEnrollment(ctx, authenticator.CreateEnrollmentRequest{ExternalUserID: "cust-1"}); !errors.Is(err, authenticator.ErrUserSuspended) {
		t.Errorf("CreateEnrollment while suspended: got %v, want user_suspended", err)
	}

	u, err = h.svc.UnsuspendUser(ctx, authenticator.UserActionRequest{ExternalID: "cust-1", Operator: "op-2"})
	if err != nil || u.Status != authenticator.UserBiometricPending {
		t.Fatalf("UnsuspendUser: got %s, %v, want biometric_pending (the status before)", u.Status, err)
	}
	if _, err := h.login(t, a, h.loginRequest(), ""); err != nil {
		t.Errorf("sign-in after unsuspend: %v", err)
	}
	var got []string
	for _, r := range auditLog(t, h.store) {
		got = append(got, r.Actor+" "+r.Action+" "+r.Target+" "+r.Detail["reason"])
	}
	sub := auditSubjectOf(t, h.store, "cust-1")
	if want := []string{"op-1 user.suspend " + sub + " fraud report", "op-2 user.unsuspend " + sub + " "}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("audit: got %q, want %q", got, want)
	}
	evs, err := h.store.ListEvents(ctx, "cust-1", 10)
	if err != nil {
		t.Fatal(err)
	}
	var types []authenticator.EventType
	var suspended authenticator.Event
	for _, e := range evs {
		if e.Actor == "op-1" || e.Actor == "op-2" {
			types = append(types, e.Type)
		}
		if e.Type == authenticator.EventUserSuspended {
			suspended = e
		}
	}
	if want := []authenticator.EventType{authenticator.EventUserUnsuspended, authenticator.EventUserSuspended}; !slices.Equal(types, want) {
		t.Errorf("operators' events, newest first: got %v, want %v", types, want)
	}
	if suspended.Detail["previous_status"] != "biometric_pending" || suspended.Detail["reason"] != "fraud report" {
		t.Errorf("user.suspended detail: got %v, want previous_status biometric_pending and the reason", suspended.Detail)
	}
}

// TestSuspendCredential checks that a suspended passkey cannot sign in and
// can again once unsuspended; that revoked stays final and a flagged one
// can be cleared by unsuspending it.
func TestSuspendCredential(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := t.Context()
	a, reg := h.enroll(t, "cust-1", softauthn.Options{})
	req := authenticator.CredentialActionRequest{CredentialID: reg.Credential.ID, Operator: "op-1", Reason: "device reported stolen"}
	c, err := h.svc.SuspendCredential(ctx, req)
	if err != nil || c.Status != authenticator.CredentialSuspended || c.StatusReason != req.Reason {
		t.Fatalf("SuspendCredential: got %s %q, %v, want suspended", c.Status, c.StatusReason, err)
	}
	if _, err := h.svc.SuspendCredential(ctx, req); !errors.Is(err, authenticator.ErrConflict) {
		t.Errorf("SuspendCredential again: got %v, want conflict", err)
	}
	if _, err := h.login(t, a, h.loginRequest(), ""); err == nil {
		t.Fatal("sign-in with a suspended passkey: got no error, want one")
	}
	if _, err := h.svc.UnsuspendCredential(ctx, req); err != nil {
		t.Fatalf("UnsuspendCredential: %v", err)
	}
	if _, err := h.login(t, a, h.loginRequest(), ""); err != nil {
		t.Errorf("sign-in after unsuspend: %v", err)
	}

	// A flagged passkey cannot be suspended; after review it is unsuspended.
	if _, err := h.store.UpdateCredential(ctx, reg.Credential.ID, func(c authenticator.Credential) (authenticator.Credential, error) {
		c.Status, c.StatusReason = authenticator.CredentialFlagged, "sign count regression"
		return c, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.SuspendCredential(ctx, req); !errors.Is(err, authenticator.ErrConflict) {
		t.Errorf("SuspendCredential of a flagged passkey: got %v, want conflict", err)
	}
	if c, err := h.svc.UnsuspendCredential(ctx, req); err != nil || c.Status != authenticator.CredentialActive {
		t.Errorf("UnsuspendCredential of a flagged passkey: got %s, %v, want active", c.Status, err)
	}
	recs := auditLog(t, h.store)
	if last := recs[len(recs)-1]; last.Action != authenticator.AuditCredentialUnsuspend || last.Detail["previous_status"] != "flagged" || last.Detail["user"] != auditSubjectOf(t, h.store, "cust-1") {
		t.Errorf("last audit record: got %+v, want credential.unsuspend from flagged", last)
	}

	// Revoked is final.
	if _, err := h.svc.RevokeCredential(ctx, authenticator.RevokeCredentialRequest{CredentialID: reg.Credential.ID, Operator: "op-1"}); err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"suspend":   func() error { _, err := h.svc.SuspendCredential(ctx, req); return err },
		"unsuspend": func() error { _, err := h.svc.UnsuspendCredential(ctx, req); return err },
	} {
		if err := call(); !errors.Is(err, authenticator.ErrConflict) {
			t.Errorf("%s a revoked passkey: got %v, want conflict", name, err)
		}
	}
}

func TestRenameCredential(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	_, reg := h.enroll(t, "cust-1", softauthn.Options{})
	c, err := h.svc.RenameCredential(t.Context(), authenticator.RenameCredentialRequest{CredentialID: reg.Credential.ID, Name: "Ada's phone", Operator: "op-1"})
	if err != nil || c.Name != "Ada's phone" {
		t.Fatalf("RenameCredential: got %q, %v, want Ada's phone", c.Name, err)
	}
	if got := h.credential(t, reg.Credential.ID); got.Name != "Ada's phone" || got.Status != authenticator.CredentialActive {
		t.Errorf("stored: got name %q, status %s", got.Name, got.Status)
	}
	d, err := h.svc.ReadUser(t.Context(), authenticator.ReadUserRequest{ExternalID: "cust-1", Operator: "op-1"})
	if err != nil || len(d.Credentials) != 1 || d.Credentials[0].Name != "Ada's phone" {
		t.Errorf("ReadUser: got %+v, %v, want the renamed passkey", d.Credentials, err)
	}
	recs := auditLog(t, h.store)
	if len(recs) != 2 || recs[0].Action != authenticator.AuditCredentialRename || recs[0].Detail["name"] != "Ada's phone" || recs[1].Action != authenticator.AuditUserRead {
		t.Errorf("audit: got %+v, want credential.rename then user.read", recs)
	}
}

// TestRequireReverification checks that after it a step-up is refused and
// a new enrollment link resumes at the identity check, whose pass enrols
// the user again with a new reference.
func TestRequireReverification(t *testing.T) {
	t.Parallel()
	h := newIDVHarness(t)
	ctx := t.Context()
	a, ref := h.enrolledPasskey(t, "cust-1")
	u, err := h.svc.RequireReverification(ctx, authenticator.UserActionRequest{ExternalID: "cust-1", Operator: "op-1", Reason: "document expired"})
	if err != nil || u.Status != authenticator.UserBiometricPending {
		t.Fatalf("RequireReverification: got %s, %v, want biometric_pending", u.Status, err)
	}
	if refs := h.references(t, "cust-1"); len(refs) != 1 || refs[0].ID != ref.ID || refs[0].Status != authenticator.ReferenceRevoked {
		t.Errorf("references: got %+v, want the one revoked", refs)
	}
	if _, err := h.svc.RequireReverification(ctx, authenticator.UserActionRequest{ExternalID: "cust-1", Operator: "op-1"}); !errors.Is(err, authenticator.ErrConflict) {
		t.Errorf("RequireReverification again: got %v, want conflict", err)
	}

	lr := h.loginRequest(acr.StepUpACR)
	res, err := h.finishLogin(t, a, lr)
	if err != nil || res.Error != acr.ErrorUnmetRequirements || res.Pending != nil {
		t.Errorf("step-up after RequireReverification: got %+v, %v, want refused", res, err)
	}
	if _, err := h.login(t, a, h.loginRequest(), ""); err != nil {
		t.Errorf("routine sign-in after RequireReverification: %v", err)
	}

	p, err := h.svc.ResumeEnrollment(ctx, authenticator.ResumeEnrollmentRequest{EnrollmentToken: h.link(t, "cust-1", authenticator.PurposeEnrollment).Token, ReturnURL: hostProgressURL})
	if err != nil || p.RunID == "" {
		t.Fatalf("ResumeEnrollment: got %+v, %v, want an identity check", p, err)
	}
	if _, chk, err := h.finish(t, p.RunID, sandbox.ChoicePass); err != nil || chk.Status != authenticator.CheckPassed {
		t.Fatalf("new enrollment check: got %s, %v, want passed", chk.Status, err)
	}
	if s := h.userStatus(t, "cust-1"); s != authenticator.UserEnrolled {
		t.Errorf("after the new check: got %s, want enrolled", s)
	}
	recs := auditLog(t, h.store)
	if len(recs) != 1 || recs[0].Action != authenticator.AuditUserReverify || recs[0].Actor != "op-1" || recs[0].Detail["revoked_references"] != "1" {
		t.Errorf("audit: got %+v, want one user.reverify", recs)
	}
}

// TestSuspendedUserUnsuspendsToEnrolled checks that an enrolled user comes
// back enrolled.
func TestSuspendedUserUnsuspendsToEnrolled(t *testing.T) {
	t.Parallel()
	h := newIDVHarness(t)
	h.enrolledPasskey(t, "cust-1")
	req := authenticator.UserActionRequest{ExternalID: "cust-1", Operator: "op-1"}
	if _, err := h.svc.SuspendUser(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.RequireReverification(t.Context(), req); !errors.Is(err, authenticator.ErrConflict) {
		t.Errorf("RequireReverification of a suspended user: got %v, want conflict", err)
	}
	if u, err := h.svc.UnsuspendUser(t.Context(), req); err != nil || u.Status != authenticator.UserEnrolled {
		t.Errorf("UnsuspendUser: got %s, %v, want enrolled", u.Status, err)
	}
}

// deletingIDV records the references deleted at the provider, and fails
// the deletion when err is set.
type deletingIDV struct {
	idvbridge.Provider
	err     error
	deleted []idvbridge.Reference
}

func (d *deletingIDV) DeleteReference(_ context.Context, ref idvbridge.Reference) error {
	d.deleted = append(d.deleted, ref)
	return d.err
}

// TestRequireReverificationDeletesReference checks that the provider is
// asked to delete the revoked reference after the commit, and that its
// failure does not undo the action.
func TestRequireReverificationDeletesReference(t *testing.T) {
	t.Parallel()
	for name, providerErr := range map[string]error{"deleted": nil, "provider fails": errors.New("provider down")} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p, err := sandbox.New(sandbox.Config{Mode: sandbox.ModeDevelopment, BaseURL: "http://localhost:8081/sandbox/idv",
				WebhookSecret: "test-webhook-secret-0123456789"})
			if err != nil {
				t.Fatal(err)
			}
			d := &deletingIDV{Provider: p, err: providerErr}
			h := &idvHarness{harness: newHarness(t, func(c *authenticator.Config) {
				c.IDV, c.ReferenceKey = d, bytes.Repeat([]byte{7}, authenticator.ReferenceKeySize)
			}), idv: p}
			h.enrolledPasskey(t, "cust-1")
			u, err := h.svc.RequireReverification(t.Context(), authenticator.UserActionRequest{ExternalID: "cust-1", Operator: "op-1"})
			if err != nil || u.Status != authenticator.UserBiometricPending {
				t.Fatalf("RequireReverification: got %s, %v, want biometric_pending", u.Status, err)
			}
			if len(d.deleted) != 1 || d.deleted[0].Provider != sandbox.Name || d.deleted[0].ID == "" {
				t.Errorf("deleted at the provider: got %+v, want the one sandbox reference", d.deleted)
			}
		})
	}
}

// auditSubjectOf returns the AuditSubject of the stored user externalID,
// the name audit records give the user (ADR 0010); it fails the test unless
// it has the service's form.
func auditSubjectOf(t *testing.T, st authenticator.Store, externalID string) string {
	t.Helper()
	u, err := st.GetUser(t.Context(), externalID)
	if err != nil {
		t.Fatalf("GetUser(%s): %v", externalID, err)
	}
	if !regexp.MustCompile(`^p-[0-9a-f]{32}$`).MatchString(u.AuditSubject) {
		t.Fatalf("GetUser(%s).AuditSubject: got %q, want p- and 32 lowercase hex digits", externalID, u.AuditSubject)
	}
	return u.AuditSubject
}
