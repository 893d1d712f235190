package authenticator_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/memory"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/sandbox"
	"github.com/biometric-passkey/biometric-passkey/internal/softauthn"
)

// idvHarness is a harness whose service uses the sandbox IDV provider.
type idvHarness struct {
	*harness
	idv *sandbox.Provider
}

func newIDVHarness(t *testing.T) *idvHarness {
	t.Helper()
	p, err := sandbox.New(sandbox.Config{
		Mode: sandbox.ModeDevelopment, BaseURL: "http://localhost:8081/sandbox/idv",
		WebhookSecret: "test-webhook-secret-0123456789",
	})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(c *authenticator.Config) {
		c.IDV, c.ReferenceKey = p, bytes.Repeat([]byte{7}, authenticator.ReferenceKeySize)
	})
	return &idvHarness{harness: h, idv: p}
}

// start starts a check for user, bound to ceremony.
func (h *idvHarness) start(t *testing.T, j idvbridge.Journey, user, ceremony string) idvbridge.Check {
	t.Helper()
	chk, err := h.svc.StartIdentityCheck(t.Context(), authenticator.StartIdentityCheckRequest{
		Journey: j, ExternalUserID: user, CeremonyID: ceremony, ReturnURL: "http://localhost:8081/idv/return",
	})
	if err != nil {
		t.Fatalf("StartIdentityCheck(%s, %s): %v", j, user, err)
	}
	return chk
}

// finish completes a sandbox run with choice and delivers its webhook.
func (h *idvHarness) finish(t *testing.T, runID string, choice sandbox.Choice) (idvbridge.Outcome, authenticator.IDVCheck, error) {
	t.Helper()
	o, err := h.idv.Complete(t.Context(), runID, choice)
	if err != nil {
		t.Fatalf("Complete(%s): %v", choice, err)
	}
	header, body := h.webhook(t, runID)
	chk, err := h.svc.ApplyIDVWebhook(t.Context(), header, body)
	return o, chk, err
}

func (h *idvHarness) webhook(t *testing.T, runID string) (http.Header, []byte) {
	t.Helper()
	header, body, err := h.idv.Webhook(runID)
	if err != nil {
		t.Fatalf("Webhook: %v", err)
	}
	return header, body
}

// enrolled registers a passkey for user and passes an enrollment check;
// it returns the user's reference.
func (h *idvHarness) enrolled(t *testing.T, user string) authenticator.BiometricReference {
	t.Helper()
	h.enroll(t, user, softauthn.Options{})
	chk := h.start(t, idvbridge.JourneyEnrollment, user, "enroll-"+user)
	if _, got, err := h.finish(t, chk.RunID, sandbox.ChoicePass); err != nil || got.Status != authenticator.CheckPassed {
		t.Fatalf("enrollment check: got %s, %v, want passed", got.Status, err)
	}
	refs := h.references(t, user)
	if len(refs) != 1 {
		t.Fatalf("got %d references, want 1", len(refs))
	}
	return refs[0]
}

func (h *idvHarness) references(t *testing.T, user string) []authenticator.BiometricReference {
	t.Helper()
	refs, err := h.store.ListReferences(t.Context(), user)
	if err != nil {
		t.Fatal(err)
	}
	return refs
}

func (h *idvHarness) check(t *testing.T, runID string) authenticator.IDVCheck {
	t.Helper()
	c, err := h.store.GetCheck(t.Context(), sandbox.Name, runID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (h *idvHarness) user(t *testing.T, id string) authenticator.User {
	t.Helper()
	u, err := h.store.GetUser(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (h *idvHarness) events(t *testing.T, user string) []authenticator.EventType {
	t.Helper()
	evs, err := h.store.ListEvents(t.Context(), user, 100)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]authenticator.EventType, len(evs))
	for i, e := range evs {
		out[len(evs)-1-i] = e.Type // oldest first
	}
	return out
}

func TestEnrollmentCheckPasses(t *testing.T) {
	t.Parallel()
	h := newIDVHarness(t)
	h.enroll(t, "cust-1", softauthn.Options{})
	chk := h.start(t, idvbridge.JourneyEnrollment, "cust-1", "cer-1")
	if chk.CaptureURL == "" || chk.Provider != sandbox.Name {
		t.Errorf("got check %+v, want a sandbox capture URL", chk)
	}
	if got := h.check(t, chk.RunID).Status; got != authenticator.CheckPending {
		t.Errorf("got status %s before the outcome, want pending", got)
	}
	o, got, err := h.finish(t, chk.RunID, sandbox.ChoicePass)
	if err != nil {
		t.Fatalf("ApplyIDVWebhook: %v", err)
	}
	if got.Status != authenticator.CheckPassed || got.CompletedAt.IsZero() {
		t.Errorf("got check %+v, want passed and completed", got)
	}
	if u := h.user(t, "cust-1"); u.Status != authenticator.UserEnrolled {
		t.Errorf("got user status %s, want enrolled", u.Status)
	}
	refs := h.references(t, "cust-1")
	if len(refs) != 1 {
		t.Fatalf("got %d references, want 1", len(refs))
	}
	ref := refs[0]
	if ref.Status != authenticator.ReferenceActive || ref.Provider != sandbox.Name || got.ReferenceID != ref.ID {
		t.Errorf("got reference %+v for check reference %q, want an active sandbox reference with the check's id", ref, got.ReferenceID)
	}
	if o.Reference == nil || len(ref.SealedRef) == 0 || bytes.Contains(ref.SealedRef, []byte(o.Reference.ID)) {
		t.Errorf("got SealedRef %x, want ciphertext not containing the provider id %v", ref.SealedRef, o.Reference)
	}
	want := []authenticator.EventType{authenticator.EventIDVCheckStarted, authenticator.EventReferenceCreated,
		authenticator.EventUserEnrolled, authenticator.EventIDVCheckPassed}
	evs := h.events(t, "cust-1")
	if len(evs) < len(want) || !equalTypes(evs[len(evs)-len(want):], want) {
		t.Errorf("got events %v, want them to end with %v", evs, want)
	}
	st, err := h.svc.IdentityCheckStatus(t.Context(), sandbox.Name, chk.RunID, "cust-1")
	if err != nil || st.Status != authenticator.CheckPassed {
		t.Errorf("IdentityCheckStatus: got %s, %v, want passed", st.Status, err)
	}
}

func equalTypes(a, b []authenticator.EventType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestEnrollmentCheckFails(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		choice sandbox.Choice
		reason string
	}{
		{sandbox.ChoiceDeclined, "declined"},
		{sandbox.ChoiceReview, "review"},
		{sandbox.ChoiceAbandoned, "abandoned"},
		{sandbox.ChoiceError, "error"},
		{sandbox.ChoiceExpired, "expired"},
	} {
		t.Run(string(tc.choice), func(t *testing.T) {
			t.Parallel()
			h := newIDVHarness(t)
			h.enroll(t, "cust-1", softauthn.Options{})
			chk := h.start(t, idvbridge.JourneyEnrollment, "cust-1", "cer-1")
			_, got, err := h.finish(t, chk.RunID, tc.choice)
			if err != nil {
				t.Fatalf("ApplyIDVWebhook: %v", err)
			}
			if got.Status != authenticator.CheckFailed || got.Reason != tc.reason {
				t.Errorf("got %s/%q, want failed/%q", got.Status, got.Reason, tc.reason)
			}
			if u := h.user(t, "cust-1"); u.Status != authenticator.UserBiometricPending {
				t.Errorf("got user status %s, want biometric_pending", u.Status)
			}
			if refs := h.references(t, "cust-1"); len(refs) != 0 {
				t.Errorf("got %d references, want 0", len(refs))
			}
			if evs := h.events(t, "cust-1"); evs[len(evs)-1] != authenticator.EventIDVCheckFailed {
				t.Errorf("got last event %s, want %s", evs[len(evs)-1], authenticator.EventIDVCheckFailed)
			}
		})
	}
}

func TestWebhookRefusals(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		// deliver finishes the pending run and returns what is delivered.
		deliver func(t *testing.T, h *idvHarness, runID string) (http.Header, []byte)
		want    *authenticator.Error
	}{
		"bad signature": {func(t *testing.T, h *idvHarness, runID string) (http.Header, []byte) {
			header, body := h.webhook(t, runID)
			header.Set(sandbox.SignatureHeader, strings.Repeat("0", 64))
			return header, body
		}, authenticator.ErrInvalidArgument},
		"no signature": {func(t *testing.T, h *idvHarness, runID string) (http.Header, []byte) {
			_, body := h.webhook(t, runID)
			return http.Header{}, body
		}, authenticator.ErrInvalidArgument},
		"tampered body": {func(t *testing.T, h *idvHarness, runID string) (http.Header, []byte) {
			header, body := h.webhook(t, runID)
			return header, bytes.Replace(body, []byte("passed"), []byte("failed"), 1)
		}, authenticator.ErrInvalidArgument},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newIDVHarness(t)
			h.enroll(t, "cust-1", softauthn.Options{})
			chk := h.start(t, idvbridge.JourneyEnrollment, "cust-1", "cer-1")
			if _, err := h.idv.Complete(t.Context(), chk.RunID, sandbox.ChoicePass); err != nil {
				t.Fatal(err)
			}
			before := h.events(t, "cust-1")
			header, body := tc.deliver(t, h, chk.RunID)
			_, err := h.svc.ApplyIDVWebhook(t.Context(), header, body)
			wantCode(t, err, tc.want)
			h.wantUnchanged(t, "cust-1", chk.RunID, before)
		})
	}
}

// wantUnchanged checks that the user is still biometric_pending with no
// reference, the check still pending and no event added.
func (h *idvHarness) wantUnchanged(t *testing.T, user, runID string, before []authenticator.EventType) {
	t.Helper()
	if got := h.check(t, runID); got.Status != authenticator.CheckPending {
		t.Errorf("got check status %s, want pending", got.Status)
	}
	if u := h.user(t, user); u.Status != authenticator.UserBiometricPending {
		t.Errorf("got user status %s, want biometric_pending", u.Status)
	}
	if refs := h.references(t, user); len(refs) != 0 {
		t.Errorf("got %d references, want 0", len(refs))
	}
	if got := h.events(t, user); !equalTypes(got, before) {
		t.Errorf("got events %v, want %v", got, before)
	}
}

func TestReplayedWebhookIsNoOp(t *testing.T) {
	t.Parallel()
	h := newIDVHarness(t)
	h.enroll(t, "cust-1", softauthn.Options{})
	chk := h.start(t, idvbridge.JourneyEnrollment, "cust-1", "cer-1")
	_, first, err := h.finish(t, chk.RunID, sandbox.ChoicePass)
	if err != nil {
		t.Fatal(err)
	}
	before := h.events(t, "cust-1")
	header, body := h.webhook(t, chk.RunID)
	for i := range 3 {
		got, err := h.svc.ApplyIDVWebhook(t.Context(), header, body)
		if err != nil {
			t.Fatalf("replay %d: %v", i, err)
		}
		if got.Status != first.Status || got.ReferenceID != first.ReferenceID || !got.CompletedAt.Equal(first.CompletedAt) {
			t.Errorf("replay %d: got %+v, want %+v", i, got, first)
		}
	}
	if got, err := h.svc.RefreshIdentityCheck(t.Context(), sandbox.Name, chk.RunID); err != nil || got.Status != authenticator.CheckPassed {
		t.Errorf("RefreshIdentityCheck: got %s, %v, want passed", got.Status, err)
	}
	if refs := h.references(t, "cust-1"); len(refs) != 1 {
		t.Errorf("got %d references, want 1", len(refs))
	}
	if got := h.events(t, "cust-1"); !equalTypes(got, before) {
		t.Errorf("got events %v, want %v", got, before)
	}
}

func TestOutcomeForAnotherCheckIsRefused(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		// record is what the service recorded for a run the provider
		// started for cust-2 and ceremony cer-2.
		user, ceremony string
	}{
		"another user's run":   {"cust-1", "cer-2"},
		"a different ceremony": {"cust-2", "cer-other"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newIDVHarness(t)
			h.enroll(t, "cust-1", softauthn.Options{})
			h.enroll(t, "cust-2", softauthn.Options{})
			run, err := h.idv.Start(t.Context(), idvbridge.StartRequest{Journey: idvbridge.JourneyEnrollment, UserID: "cust-2", CeremonyID: "cer-2"})
			if err != nil {
				t.Fatal(err)
			}
			if err := h.store.CreateCheck(t.Context(), authenticator.IDVCheck{
				Provider: sandbox.Name, RunID: run.RunID, UserExternalID: tc.user, Journey: string(idvbridge.JourneyEnrollment),
				CeremonyID: tc.ceremony, Status: authenticator.CheckPending, CreatedAt: h.clock.Now(),
			}); err != nil {
				t.Fatal(err)
			}
			before := h.events(t, tc.user)
			_, _, err = h.finish(t, run.RunID, sandbox.ChoicePass)
			wantCode(t, err, authenticator.ErrInvalidArgument)
			h.wantUnchanged(t, tc.user, run.RunID, before)
			if u := h.user(t, "cust-2"); u.Status != authenticator.UserBiometricPending {
				t.Errorf("got cust-2 status %s, want biometric_pending", u.Status)
			}
		})
	}
}

func TestOutcomeForUnknownRun(t *testing.T) {
	t.Parallel()
	h := newIDVHarness(t)
	h.enroll(t, "cust-1", softauthn.Options{})
	run, err := h.idv.Start(t.Context(), idvbridge.StartRequest{Journey: idvbridge.JourneyEnrollment, UserID: "cust-1", CeremonyID: "cer-1"})
	if err != nil {
		t.Fatal(err)
	}
	before := h.events(t, "cust-1")
	_, _, err = h.finish(t, run.RunID, sandbox.ChoicePass)
	wantCode(t, err, authenticator.ErrNotFound)
	_, err = h.svc.RefreshIdentityCheck(t.Context(), sandbox.Name, run.RunID)
	wantCode(t, err, authenticator.ErrNotFound)
	if u := h.user(t, "cust-1"); u.Status != authenticator.UserBiometricPending {
		t.Errorf("got user status %s, want biometric_pending", u.Status)
	}
	if got := h.events(t, "cust-1"); !equalTypes(got, before) {
		t.Errorf("got events %v, want %v", got, before)
	}
}

func TestRefreshIdentityCheck(t *testing.T) {
	t.Parallel()
	h := newIDVHarness(t)
	h.enroll(t, "cust-1", softauthn.Options{})
	chk := h.start(t, idvbridge.JourneyEnrollment, "cust-1", "cer-1")
	got, err := h.svc.RefreshIdentityCheck(t.Context(), sandbox.Name, chk.RunID)
	if err != nil || got.Status != authenticator.CheckPending {
		t.Fatalf("before the choice: got %s, %v, want pending", got.Status, err)
	}
	if _, err := h.idv.Complete(t.Context(), chk.RunID, sandbox.ChoicePass); err != nil {
		t.Fatal(err)
	}
	got, err = h.svc.RefreshIdentityCheck(t.Context(), sandbox.Name, chk.RunID)
	if err != nil || got.Status != authenticator.CheckPassed {
		t.Fatalf("after the choice: got %s, %v, want passed", got.Status, err)
	}
	if u := h.user(t, "cust-1"); u.Status != authenticator.UserEnrolled {
		t.Errorf("got user status %s, want enrolled", u.Status)
	}
}

func TestIdentityCheckStatusOwnUserOnly(t *testing.T) {
	t.Parallel()
	h := newIDVHarness(t)
	h.enroll(t, "cust-1", softauthn.Options{})
	h.enroll(t, "cust-2", softauthn.Options{})
	chk := h.start(t, idvbridge.JourneyEnrollment, "cust-1", "cer-1")
	tests := map[string]struct {
		provider, run, user string
		want                *authenticator.Error
	}{
		"own user":       {sandbox.Name, chk.RunID, "cust-1", nil},
		"another user":   {sandbox.Name, chk.RunID, "cust-2", authenticator.ErrNotFound},
		"unknown run":    {sandbox.Name, "nope", "cust-1", authenticator.ErrNotFound},
		"other provider": {"onfido", chk.RunID, "cust-1", authenticator.ErrNotFound},
		"no user":        {sandbox.Name, chk.RunID, "", authenticator.ErrNotFound},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := h.svc.IdentityCheckStatus(t.Context(), tc.provider, tc.run, tc.user)
			if tc.want != nil {
				wantCode(t, err, tc.want)
				return
			}
			if err != nil || got.Status != authenticator.CheckPending || got.CeremonyID != "cer-1" {
				t.Errorf("got %+v, %v, want the pending check of cer-1", got, err)
			}
		})
	}
}

func TestStepUpCheck(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		journey    idvbridge.Journey
		revoke     bool // revoke the reference after the check starts
		choice     sandbox.Choice
		wantStatus authenticator.CheckStatus
		wantReason string
	}{
		"step-up passes":             {idvbridge.JourneyStepUp, false, sandbox.ChoicePass, authenticator.CheckPassed, ""},
		"recovery passes":            {idvbridge.JourneyRecovery, false, sandbox.ChoicePass, authenticator.CheckPassed, ""},
		"step-up declined":           {idvbridge.JourneyStepUp, false, sandbox.ChoiceDeclined, authenticator.CheckFailed, "declined"},
		"step-up revoked reference":  {idvbridge.JourneyStepUp, true, sandbox.ChoicePass, authenticator.CheckFailed, authenticator.CheckReasonReferenceRevoked},
		"recovery revoked reference": {idvbridge.JourneyRecovery, true, sandbox.ChoicePass, authenticator.CheckFailed, authenticator.CheckReasonReferenceRevoked},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newIDVHarness(t)
			ref := h.enrolled(t, "cust-1")
			chk := h.start(t, tc.journey, "cust-1", "cer-step")
			if rec := h.check(t, chk.RunID); rec.ReferenceID != ref.ID || rec.Journey != string(tc.journey) {
				t.Errorf("got recorded reference %q journey %q, want %q %q", rec.ReferenceID, rec.Journey, ref.ID, tc.journey)
			}
			if tc.revoke {
				h.revokeReference(t, ref.ID)
			}
			_, got, err := h.finish(t, chk.RunID, tc.choice)
			if err != nil {
				t.Fatalf("ApplyIDVWebhook: %v", err)
			}
			if got.Status != tc.wantStatus || got.Reason != tc.wantReason {
				t.Errorf("got %s/%q, want %s/%q", got.Status, got.Reason, tc.wantStatus, tc.wantReason)
			}
			if tc.wantStatus == authenticator.CheckPassed && got.ReferenceID != ref.ID {
				t.Errorf("got matched reference %q, want %q", got.ReferenceID, ref.ID)
			}
			if refs := h.references(t, "cust-1"); len(refs) != 1 {
				t.Errorf("got %d references, want 1 (a step-up establishes none)", len(refs))
			}
		})
	}
}

func TestStartIdentityCheckRefusals(t *testing.T) {
	t.Parallel()
	suspend := func(t *testing.T, h *idvHarness, user string) {
		h.suspendUser(t, user)
	}
	revoke := func(t *testing.T, h *idvHarness, user string) {
		h.revokeReferences(t, user)
	}
	tests := map[string]struct {
		enrolled bool // passkey and reference, else passkey only
		mutate   func(t *testing.T, h *idvHarness, user string)
		req      authenticator.StartIdentityCheckRequest
		want     *authenticator.Error
	}{
		"step-up without reference":  {false, nil, authenticator.StartIdentityCheckRequest{Journey: idvbridge.JourneyStepUp}, authenticator.ErrUnmetRequirements},
		"recovery without reference": {false, nil, authenticator.StartIdentityCheckRequest{Journey: idvbridge.JourneyRecovery}, authenticator.ErrUnmetRequirements},
		"step-up revoked reference":  {true, revoke, authenticator.StartIdentityCheckRequest{Journey: idvbridge.JourneyStepUp}, authenticator.ErrUnmetRequirements},
		"suspended enrollment":       {false, suspend, authenticator.StartIdentityCheckRequest{Journey: idvbridge.JourneyEnrollment}, authenticator.ErrUserSuspended},
		"suspended step-up":          {true, suspend, authenticator.StartIdentityCheckRequest{Journey: idvbridge.JourneyStepUp}, authenticator.ErrUserSuspended},
		"already enrolled":           {true, nil, authenticator.StartIdentityCheckRequest{Journey: idvbridge.JourneyEnrollment}, authenticator.ErrConflict},
		"unknown journey":            {false, nil, authenticator.StartIdentityCheckRequest{Journey: "selfie"}, authenticator.ErrInvalidArgument},
		"no ceremony":                {false, nil, authenticator.StartIdentityCheckRequest{Journey: idvbridge.JourneyEnrollment, CeremonyID: "-"}, authenticator.ErrInvalidArgument},
		"bad return url":             {false, nil, authenticator.StartIdentityCheckRequest{Journey: idvbridge.JourneyEnrollment, ReturnURL: "javascript:alert(1)"}, authenticator.ErrInvalidArgument},
		"unknown user":               {false, nil, authenticator.StartIdentityCheckRequest{Journey: idvbridge.JourneyEnrollment, ExternalUserID: "nobody"}, authenticator.ErrNotFound},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newIDVHarness(t)
			if tc.enrolled {
				h.enrolled(t, "cust-1")
			} else {
				h.enroll(t, "cust-1", softauthn.Options{})
			}
			if tc.mutate != nil {
				tc.mutate(t, h, "cust-1")
			}
			req := tc.req
			if req.ExternalUserID == "" {
				req.ExternalUserID = "cust-1"
			}
			switch req.CeremonyID {
			case "":
				req.CeremonyID = "cer-1"
			case "-":
				req.CeremonyID = ""
			}
			before := h.events(t, "cust-1")
			_, err := h.svc.StartIdentityCheck(t.Context(), req)
			wantCode(t, err, tc.want)
			if msg := authenticator.PublicMessage(err); msg == "" || strings.Contains(msg, "cust-1") {
				t.Errorf("got public message %q, want a generic user-safe one", msg)
			}
			if got := h.events(t, "cust-1"); !equalTypes(got, before) {
				t.Errorf("got events %v, want %v", got, before)
			}
		})
	}
}

func TestIdentityCheckWithoutIDV(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.enroll(t, "cust-1", softauthn.Options{})
	_, err := h.svc.StartIdentityCheck(t.Context(), authenticator.StartIdentityCheckRequest{
		Journey: idvbridge.JourneyEnrollment, ExternalUserID: "cust-1", CeremonyID: "cer-1",
	})
	wantCode(t, err, authenticator.ErrUnmetRequirements)
	_, err = h.svc.ApplyIDVWebhook(t.Context(), http.Header{}, []byte("{}"))
	wantCode(t, err, authenticator.ErrUnmetRequirements)
}

func TestNewIDVConfig(t *testing.T) {
	t.Parallel()
	p, err := sandbox.New(sandbox.Config{Mode: sandbox.ModeDevelopment, BaseURL: "http://localhost:8081/sandbox/idv", WebhookSecret: "test-webhook-secret-0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		idv     idvbridge.Provider
		key     []byte
		wantErr bool
	}{
		"idv without key":     {p, nil, true},
		"idv with short key":  {p, make([]byte, 16), true},
		"key without idv":     {nil, make([]byte, 32), false},
		"bad key without idv": {nil, make([]byte, 31), true},
		"idv with key":        {p, make([]byte, 32), false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t) // for its stores
			svc, err := authenticator.New(authenticator.Config{
				RPID: rpID, RPDisplayName: "Example Bank", RPOrigins: []string{origin}, IDV: tc.idv, ReferenceKey: tc.key,
			}, h.store, memory.New())
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "reference_key:") {
					t.Fatalf("got %v, want an error naming reference_key", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			caps, err := svc.Capabilities(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			all := len(caps.ReachableACR) == len(caps.Levels)
			if wantAll := tc.idv != nil; all != wantAll {
				t.Errorf("got every level reachable = %v, want %v (BiometricAvailable follows IDV)", all, wantAll)
			}
		})
	}
}

func TestConcurrentWebhooksApplyOnce(t *testing.T) {
	t.Parallel()
	h := newIDVHarness(t)
	h.enroll(t, "cust-1", softauthn.Options{})
	chk := h.start(t, idvbridge.JourneyEnrollment, "cust-1", "cer-1")
	if _, err := h.idv.Complete(t.Context(), chk.RunID, sandbox.ChoicePass); err != nil {
		t.Fatal(err)
	}
	header, body := h.webhook(t, chk.RunID)
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			got, err := h.svc.ApplyIDVWebhook(t.Context(), header.Clone(), body)
			if err == nil && got.Status != authenticator.CheckPassed {
				err = errors.New("got status " + string(got.Status) + ", want passed")
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if refs := h.references(t, "cust-1"); len(refs) != 1 {
		t.Errorf("got %d references, want 1", len(refs))
	}
	passed := 0
	for _, e := range h.events(t, "cust-1") {
		if e == authenticator.EventIDVCheckPassed {
			passed++
		}
	}
	if passed != 1 {
		t.Errorf("got %d %s events, want 1", passed, authenticator.EventIDVCheckPassed)
	}
}
