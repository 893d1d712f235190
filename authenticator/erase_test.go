package authenticator_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/memory"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/sandbox"
	"github.com/biometric-passkey/biometric-passkey/internal/softauthn"
)

// hookURL is the webhook endpoint of the erasure tests' service.
const hookURL = "https://rp.example/hooks/passkey"

// erasingIDV is the sandbox provider that records the references it is
// asked to delete, answers with err when it is set, and may go by another
// name.
type erasingIDV struct {
	idvbridge.Provider
	name    string // "" for the sandbox's
	err     error
	deleted []idvbridge.Reference
	during  func() // called on each deletion, when set
}

func (p *erasingIDV) Name() string {
	if p.name != "" {
		return p.name
	}
	return p.Provider.Name()
}

func (p *erasingIDV) DeleteReference(ctx context.Context, ref idvbridge.Reference) error {
	p.deleted = append(p.deleted, ref)
	if p.during != nil {
		p.during()
	}
	if p.err != nil {
		return p.err
	}
	return p.Provider.DeleteReference(ctx, ref)
}

// newEraseHarness is an identity-verification harness whose provider is an
// erasingIDV over the sandbox and whose events are queued for hookURL.
func newEraseHarness(t *testing.T) (*idvHarness, *erasingIDV) {
	t.Helper()
	p, err := sandbox.New(sandbox.Config{Mode: sandbox.ModeDevelopment, BaseURL: "http://localhost:8081/sandbox/idv",
		WebhookSecret: "test-webhook-secret-0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	idv := &erasingIDV{Provider: p}
	h := &idvHarness{harness: newHarness(t), idv: p}
	h.svc = h.eraseService(t, idv)
	return h, idv
}

// eraseService is a service on h's store and clock with provider idv and
// the webhook endpoint hookURL.
func (h *idvHarness) eraseService(t *testing.T, idv idvbridge.Provider) *authenticator.Service {
	t.Helper()
	svc, err := authenticator.New(authenticator.Config{RPID: rpID, RPDisplayName: "Example Bank", RPOrigins: []string{origin},
		IDV: idv, ReferenceKey: bytes.Repeat([]byte{7}, authenticator.ReferenceKeySize)},
		h.store, memory.New(memory.WithClock(h.clock.Now)), authenticator.WithClock(h.clock.Now),
		authenticator.WithEventEndpoints(hookURL))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// eraseReq is an erasure of user by op-1.
func eraseReq(user string) authenticator.UserActionRequest {
	return authenticator.UserActionRequest{ExternalID: user, Operator: "op-1", Reason: "customer asked to be forgotten"}
}

// userSnapshot is what the store holds of a user, to show that a refused
// erasure changed nothing.
type userSnapshot struct {
	User        authenticator.User
	Credentials []authenticator.Credential
	References  []authenticator.BiometricReference
	Events      []authenticator.Event
	Audit       int
}

func (h *idvHarness) snapshot(t *testing.T, user string) userSnapshot {
	t.Helper()
	ctx := t.Context()
	var s userSnapshot
	var err error
	if s.User, err = h.store.GetUser(ctx, user); err != nil {
		t.Fatalf("GetUser(%s): %v", user, err)
	}
	if s.Credentials, err = h.store.ListCredentials(ctx, user); err != nil {
		t.Fatal(err)
	}
	if s.References, err = h.store.ListReferences(ctx, user); err != nil {
		t.Fatal(err)
	}
	if s.Events, err = h.store.ListEvents(ctx, user, authenticator.MaxPageSize); err != nil {
		t.Fatal(err)
	}
	s.Audit = len(auditLog(t, h.store))
	return s
}

// TestEraseUser erases a suspended user who has a passkey, an active and a
// revoked biometric reference (the provider failed to delete the revoked
// one when it was revoked), identity checks, an approval and events, next
// to another user who keeps everything.
func TestEraseUser(t *testing.T) {
	t.Parallel()
	h, idv := newEraseHarness(t)
	ctx := t.Context()
	_, _ = h.enrolledPasskey(t, "cust-1")
	idv.err = errors.New("provider down")
	if _, err := h.svc.RequireReverification(ctx, authenticator.UserActionRequest{ExternalID: "cust-1", Operator: "op-0"}); err != nil {
		t.Fatal(err)
	}
	idv.err = nil
	chk := h.start(t, idvbridge.JourneyEnrollment, "cust-1", "enroll-again")
	if _, got, err := h.finish(t, chk.RunID, sandbox.ChoicePass); err != nil || got.Status != authenticator.CheckPassed {
		t.Fatalf("second enrollment check: got %s, %v, want passed", got.Status, err)
	}
	creds, err := h.store.ListCredentials(ctx, "cust-1")
	if err != nil || len(creds) != 1 {
		t.Fatalf("ListCredentials: got %d, %v, want 1", len(creds), err)
	}
	if err := h.store.CreateApproval(ctx, authenticator.Approval{ID: "approval-1", UserExternalID: "cust-1", ClientID: "bank",
		CredentialID: creds[0].ID, ACR: "urn:example:acr", AuthorizationDetails: []byte(`[]`), DetailsHash: "x",
		AuthenticatorData: []byte{1}, ClientDataJSON: []byte("{}"), Signature: []byte{2}, CreatedAt: h.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	h.suspendUser(t, "cust-1")
	h.enrolledPasskey(t, "cust-2")
	other := h.snapshot(t, "cust-2")
	before := h.snapshot(t, "cust-1")
	if len(before.References) != 2 {
		t.Fatalf("references before the erasure: got %d, want an active and a revoked one", len(before.References))
	}
	sub := before.User.AuditSubject
	idv.deleted = nil

	e, err := h.svc.EraseUser(ctx, eraseReq("cust-1"))
	if err != nil {
		t.Fatalf("EraseUser: %v", err)
	}
	want := authenticator.Erasure{ExternalID: "cust-1", AuditSubject: sub, Credentials: 1, References: 2, Checks: 2,
		Approvals: 1, Events: len(before.Events), At: h.clock.Now().UTC()}
	if d := cmp.Diff(want, e); d != "" {
		t.Errorf("EraseUser (-want +got):\n%s", d)
	}

	// Both references were deleted at the provider.
	if len(idv.deleted) != 2 || idv.deleted[0].Provider != sandbox.Name || idv.deleted[0].ID == idv.deleted[1].ID {
		t.Errorf("deleted at the provider: got %+v, want both sandbox references", idv.deleted)
	}
	// Nothing of the user is left but the user.erased event.
	if _, err := h.store.GetUser(ctx, "cust-1"); !errors.Is(err, authenticator.ErrNotFound) {
		t.Errorf("GetUser after the erasure: got %v, want not found", err)
	}
	if _, err := h.store.GetCredential(ctx, creds[0].ID); !errors.Is(err, authenticator.ErrNotFound) {
		t.Errorf("GetCredential after the erasure: got %v, want not found", err)
	}
	if _, err := h.store.GetCheck(ctx, sandbox.Name, chk.RunID); !errors.Is(err, authenticator.ErrNotFound) {
		t.Errorf("GetCheck after the erasure: got %v, want not found", err)
	}
	if _, err := h.store.GetApproval(ctx, "approval-1"); !errors.Is(err, authenticator.ErrNotFound) {
		t.Errorf("GetApproval after the erasure: got %v, want not found", err)
	}
	if refs, err := h.store.ListReferences(ctx, "cust-1"); err != nil || len(refs) != 0 {
		t.Errorf("ListReferences after the erasure: got %d, %v, want none", len(refs), err)
	}
	events, err := h.store.ListEvents(ctx, "cust-1", authenticator.MaxPageSize)
	if err != nil {
		t.Fatal(err)
	}
	wantEvent := authenticator.Event{Type: authenticator.EventUserErased, UserExternalID: "cust-1", Actor: "op-1",
		Detail: map[string]string{"reason": "customer asked to be forgotten"}, At: h.clock.Now().UTC().Truncate(time.Microsecond)}
	if len(events) != 1 {
		t.Fatalf("events after the erasure: got %d, want the user.erased event only", len(events))
	}
	wantEvent.ID = events[0].ID
	if d := cmp.Diff(wantEvent, events[0]); d != "" {
		t.Errorf("user.erased event (-want +got):\n%s", d)
	}
	// Only the user.erased event is queued for delivery among cust-1's.
	deliveries, err := h.store.ClaimDeliveries(ctx, h.clock.Now().Add(time.Hour), time.Minute, authenticator.MaxPageSize)
	if err != nil {
		t.Fatal(err)
	}
	var erasedQueued int
	for _, d := range deliveries {
		if d.Event.UserExternalID == "cust-1" && (d.EventID != events[0].ID || d.Endpoint != hookURL) {
			t.Errorf("delivery %+v: want only the user.erased event's of cust-1", d)
		}
		if d.EventID == events[0].ID {
			erasedQueued++
		}
	}
	if erasedQueued != 1 {
		t.Errorf("deliveries of the user.erased event: got %d, want 1", erasedQueued)
	}

	// The audit record names the pseudonym, and the chain verifies.
	recs := auditLog(t, h.store)
	wantDetail := map[string]string{"reason": "customer asked to be forgotten", "credentials": "1", "references": "2",
		"checks": "2", "approvals": "1", "events": fmt.Sprint(len(before.Events))}
	last := recs[len(recs)-1]
	if last.Actor != "op-1" || last.Action != authenticator.AuditUserErase || last.Target != sub || !maps.Equal(last.Detail, wantDetail) {
		t.Errorf("last audit record: got %+v, want user.erase by op-1 on %s with %v", last, sub, wantDetail)
	}
	for _, r := range recs {
		if r.Target == "cust-1" || slices.Contains(slices.Collect(maps.Values(r.Detail)), "cust-1") {
			t.Errorf("audit record %d names the external id: %+v", r.Seq, r)
		}
	}
	if v, err := h.svc.VerifyAudit(ctx); err != nil || !v.Intact() || v.Records != len(recs) {
		t.Errorf("VerifyAudit: got %+v, %v, want %d records, intact", v, err, len(recs))
	}

	// The other user keeps everything.
	after := h.snapshot(t, "cust-2")
	after.Audit = other.Audit
	if d := cmp.Diff(other, after); d != "" {
		t.Errorf("the other user (-before +after):\n%s", d)
	}
}

// TestEraseUserRefusals checks requests refused before anything happens:
// they erase nothing and are not audited.
func TestEraseUserRefusals(t *testing.T) {
	t.Parallel()
	h, idv := newEraseHarness(t)
	h.enrolledPasskey(t, "cust-1")
	before := h.snapshot(t, "cust-1")
	tests := map[string]struct {
		req  authenticator.UserActionRequest
		want *authenticator.Error
	}{
		"unknown user":     {eraseReq("nobody"), authenticator.ErrNotFound},
		"no operator":      {authenticator.UserActionRequest{ExternalID: "cust-1", Reason: "r"}, authenticator.ErrInvalidArgument},
		"blank operator":   {authenticator.UserActionRequest{ExternalID: "cust-1", Operator: " ", Reason: "r"}, authenticator.ErrInvalidArgument},
		"no reason":        {authenticator.UserActionRequest{ExternalID: "cust-1", Operator: "op-1"}, authenticator.ErrInvalidArgument},
		"blank reason":     {authenticator.UserActionRequest{ExternalID: "cust-1", Operator: "op-1", Reason: " \t"}, authenticator.ErrInvalidArgument},
		"oversized reason": {authenticator.UserActionRequest{ExternalID: "cust-1", Operator: "op-1", Reason: strings.Repeat("r", 513)}, authenticator.ErrInvalidArgument},
		"bad external id":  {authenticator.UserActionRequest{ExternalID: "", Operator: "op-1", Reason: "r"}, authenticator.ErrInvalidArgument},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := h.svc.EraseUser(t.Context(), tc.req)
			if !errors.Is(err, tc.want) {
				t.Errorf("EraseUser: got %v, want %s", err, tc.want.Code)
			}
		})
	}
	if len(idv.deleted) != 0 {
		t.Errorf("deleted at the provider: got %+v, want nothing", idv.deleted)
	}
	if d := cmp.Diff(before, h.snapshot(t, "cust-1")); d != "" {
		t.Errorf("after the refusals (-before +after):\n%s", d)
	}
}

// TestEraseUserProviderOutcomes checks what the provider's answer to the
// deletion makes of the erasure: one that no longer has the reference
// counts as deleted; any other failure, or a provider that is not
// configured, erases nothing.
func TestEraseUserProviderOutcomes(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		err      error
		renamed  bool // the service's provider is not the one the reference was made with
		want     *authenticator.Error
		asked    int
		retrying bool
	}{
		"deleted":            {asked: 1},
		"provider not found": {err: fmt.Errorf("sandbox: %w", idvbridge.ErrNotFound), asked: 1},
		"provider 404": {err: fmt.Errorf("%w: %w", idvbridge.ErrRejected, &idvbridge.APIError{HTTPStatus: 404, Type: "resource_not_found"}),
			asked: 1},
		"provider down":    {err: fmt.Errorf("%w: timeout", idvbridge.ErrUnavailable), want: authenticator.ErrUnavailable, asked: 1, retrying: true},
		"provider refuses": {err: fmt.Errorf("%w: HTTP 422", idvbridge.ErrRejected), want: authenticator.ErrUnavailable, asked: 1, retrying: true},
		"not configured":   {renamed: true, want: authenticator.ErrConflict},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h, idv := newEraseHarness(t)
			h.enrolledPasskey(t, "cust-1")
			before := h.snapshot(t, "cust-1")
			idv.err = tc.err
			if tc.renamed {
				idv.name = "another-provider"
			}
			_, err := h.svc.EraseUser(t.Context(), eraseReq("cust-1"))
			if len(idv.deleted) != tc.asked {
				t.Errorf("deletions asked of the provider: got %d, want %d", len(idv.deleted), tc.asked)
			}
			if tc.want == nil {
				if err != nil {
					t.Fatalf("EraseUser: got %v, want nil", err)
				}
				if _, err := h.store.GetUser(t.Context(), "cust-1"); !errors.Is(err, authenticator.ErrNotFound) {
					t.Errorf("GetUser after the erasure: got %v, want not found", err)
				}
				return
			}
			var e *authenticator.Error
			if !errors.Is(err, tc.want) || !errors.As(err, &e) || e.Retryable() != tc.retrying {
				t.Fatalf("EraseUser: got %v, want %s (retryable %t)", err, tc.want.Code, tc.retrying)
			}
			if !strings.Contains(e.Message, "nothing was erased") {
				t.Errorf("EraseUser: got message %q, want it to say nothing was erased", e.Message)
			}
			if d := cmp.Diff(before, h.snapshot(t, "cust-1")); d != "" {
				t.Errorf("after the refused erasure (-before +after):\n%s", d)
			}
		})
	}
}

// TestEraseUserReferenceAddedMeanwhile checks that a reference stored
// while the provider deletes the others (an identity check passing at that
// moment) stops the erasure: the new one was not deleted at the provider.
func TestEraseUserReferenceAddedMeanwhile(t *testing.T) {
	t.Parallel()
	h, idv := newEraseHarness(t)
	h.enrolledPasskey(t, "cust-1")
	idv.during = func() {
		idv.during = nil
		if err := h.store.CreateReference(t.Context(), authenticator.BiometricReference{ID: "ref-new", UserExternalID: "cust-1",
			Provider: sandbox.Name, SealedRef: []byte("sealed"), Status: authenticator.ReferenceActive, CreatedAt: h.clock.Now()}); err != nil {
			t.Error(err)
		}
	}
	n := len(auditLog(t, h.store))
	_, err := h.svc.EraseUser(t.Context(), eraseReq("cust-1"))
	if !errors.Is(err, authenticator.ErrConflict) {
		t.Fatalf("EraseUser: got %v, want conflict", err)
	}
	if s := h.snapshot(t, "cust-1"); len(s.References) != 2 || len(s.Credentials) != 1 || s.Audit != n {
		t.Errorf("after the refused erasure: got %d references, %d passkeys, %d audit records, want 2, 1 and %d",
			len(s.References), len(s.Credentials), s.Audit, n)
	}
}

// TestEraseUserTwiceAndEnrolAgain checks that a second erasure is not
// found and that the external id can be enrolled again, as a new user with
// a new audit pseudonym.
func TestEraseUserTwiceAndEnrolAgain(t *testing.T) {
	t.Parallel()
	h, _ := newEraseHarness(t)
	ctx := t.Context()
	h.enrolledPasskey(t, "cust-1")
	first := auditSubjectOf(t, h.store, "cust-1")
	if _, err := h.svc.EraseUser(ctx, eraseReq("cust-1")); err != nil {
		t.Fatal(err)
	}
	n := len(auditLog(t, h.store))
	if _, err := h.svc.EraseUser(ctx, eraseReq("cust-1")); !errors.Is(err, authenticator.ErrNotFound) {
		t.Errorf("second EraseUser: got %v, want not found", err)
	}
	if got := len(auditLog(t, h.store)); got != n {
		t.Errorf("audit records after the second erasure: got %d, want %d (not audited)", got, n)
	}
	a, _ := h.enroll(t, "cust-1", softauthn.Options{})
	if second := auditSubjectOf(t, h.store, "cust-1"); second == first {
		t.Errorf("AuditSubject of the new user: got %s, want a new one", second)
	}
	if _, err := h.login(t, a, h.loginRequest(), ""); err != nil {
		t.Errorf("sign-in of the new user: %v", err)
	}
}

// TestEraseUserEndsCeremoniesInFlight checks that a registration and an
// authentication begun before the erasure cannot finish after it, and
// leave nothing behind.
func TestEraseUserEndsCeremoniesInFlight(t *testing.T) {
	t.Parallel()
	h, _ := newEraseHarness(t)
	ctx := t.Context()

	// A registration of a new user.
	enr, err := h.svc.CreateEnrollment(ctx, authenticator.CreateEnrollmentRequest{ExternalUserID: "cust-1", ClientID: "bank"})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := h.svc.BeginRegistration(ctx, authenticator.BeginRegistrationRequest{EnrollmentToken: enr.Token})
	if err != nil {
		t.Fatal(err)
	}
	regResp, err := h.newAuthenticator(t, softauthn.Options{}).Register(reg.Options)
	if err != nil {
		t.Fatal(err)
	}
	// An authentication of an enrolled user.
	a, _ := h.enrolledPasskey(t, "cust-2")
	auth, authResp := h.begin(t, a, h.loginRequest(), "")

	for _, user := range []string{"cust-1", "cust-2"} {
		if _, err := h.svc.EraseUser(ctx, eraseReq(user)); err != nil {
			t.Fatalf("EraseUser(%s): %v", user, err)
		}
	}
	if got, err := h.svc.FinishRegistration(ctx, authenticator.FinishRequest{CeremonyID: reg.ID, Response: regResp}); err == nil {
		t.Errorf("FinishRegistration after the erasure: got %+v, want an error", got)
	} else {
		t.Logf("FinishRegistration after the erasure: %v", err)
	}
	if got, err := h.svc.FinishAuthentication(ctx, authenticator.FinishRequest{CeremonyID: auth.ID, Response: authResp}); err == nil {
		t.Errorf("FinishAuthentication after the erasure: got %+v, want an error", got)
	} else {
		t.Logf("FinishAuthentication after the erasure: %v", err)
	}
	for _, user := range []string{"cust-1", "cust-2"} {
		if _, err := h.store.GetUser(ctx, user); !errors.Is(err, authenticator.ErrNotFound) {
			t.Errorf("GetUser(%s) after the ceremonies: got %v, want not found", user, err)
		}
		if creds, err := h.store.ListCredentials(ctx, user); err != nil || len(creds) != 0 {
			t.Errorf("ListCredentials(%s) after the ceremonies: got %d, %v, want none", user, len(creds), err)
		}
	}
}
