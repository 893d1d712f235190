package authenticator_test

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/onfido"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/onfido/onfidofake"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/sandbox"
	"github.com/biometric-passkey/biometric-passkey/internal/softauthn"
)

const (
	hostProgressURL = "http://localhost:8081/idv/progress" // the host's progress page
	rpReturnURL     = "https://bank.example/enrolled"      // the relying party's, on the link
)

// link creates a link of purpose for user with the RP's return URL.
func (h *harness) link(t *testing.T, user, purpose string) authenticator.Enrollment {
	t.Helper()
	enr, err := h.svc.CreateEnrollment(t.Context(), authenticator.CreateEnrollmentRequest{
		ExternalUserID: user, ClientID: "bank", ReturnURL: rpReturnURL, Purpose: purpose,
	})
	if err != nil {
		t.Fatalf("CreateEnrollment(%s, %s): %v", user, purpose, err)
	}
	return enr
}

// registerLink registers a passkey on a with an enrollment link's token,
// with the host's progress page as FinishRequest.ReturnURL.
func (h *harness) registerLink(t *testing.T, token string, a *softauthn.Authenticator) (authenticator.Registration, error) {
	t.Helper()
	cer, err := h.svc.BeginRegistration(t.Context(), authenticator.BeginRegistrationRequest{EnrollmentToken: token})
	if err != nil {
		t.Fatalf("BeginRegistration: %v", err)
	}
	resp, err := a.Register(cer.Options)
	if err != nil {
		t.Fatal(err)
	}
	return h.svc.FinishRegistration(t.Context(), authenticator.FinishRequest{CeremonyID: cer.ID, Response: resp, ReturnURL: hostProgressURL})
}

// registerPending registers a passkey for a new user and returns the
// enrollment check its registration started.
func (h *harness) registerPending(t *testing.T, user string) (*softauthn.Authenticator, authenticator.Registration) {
	t.Helper()
	a := h.newAuthenticator(t, softauthn.Options{})
	reg, err := h.registerLink(t, h.link(t, user, authenticator.PurposeEnrollment).Token, a)
	if err != nil {
		t.Fatalf("FinishRegistration: %v", err)
	}
	if reg.Pending == nil {
		t.Fatalf("got no pending enrollment check, want one")
	}
	return a, reg
}

func (h *harness) progress(t *testing.T, token string) authenticator.Progress {
	t.Helper()
	p, err := h.svc.ContinueIdentityCheck(t.Context(), authenticator.ContinueRequest{Token: token})
	if err != nil {
		t.Fatalf("ContinueIdentityCheck: %v", err)
	}
	return p
}

// enrollVerified enrolls user through the whole journey: passkey, then a
// passed enrollment check. It returns the user's authenticator.
func (h *idvHarness) enrollVerified(t *testing.T, user string) *softauthn.Authenticator {
	t.Helper()
	a, reg := h.registerPending(t, user)
	if _, got, err := h.finish(t, reg.Pending.RunID, sandbox.ChoicePass); err != nil || got.Status != authenticator.CheckPassed {
		t.Fatalf("enrollment check: got %s, %v, want passed", got.Status, err)
	}
	if p := h.progress(t, reg.Pending.Token); p.Status != authenticator.CheckPassed {
		t.Fatalf("enrollment journey: got %s, want passed", p.Status)
	}
	return a
}

// countEvents counts the user's events of type typ.
func (h *idvHarness) countEvents(t *testing.T, user string, typ authenticator.EventType) int {
	t.Helper()
	n := 0
	for _, e := range h.events(t, user) {
		if e == typ {
			n++
		}
	}
	return n
}

// onfidoHarness is a harness whose service uses the Onfido adapter against
// the in-process fake, so the check's outcome is learnt by polling.
type onfidoHarness struct {
	*harness
	fake *onfidofake.Server
}

func newOnfidoHarness(t *testing.T) *onfidoHarness {
	t.Helper()
	const (
		apiToken     = "api_sandbox.fake_0123456789abcdefghij"
		webhookToken = "test-webhook-token-0123456789abcd"
		wfEnroll     = "0f5b8a3e-6f2a-4c1b-9a51-1d2e3f405161"
		wfStepUp     = "1a6c9b4f-7a3b-4d2c-8b62-2e3f40516272"
		wfRecovery   = "2b7dac50-8b4c-4e3d-9c73-3f4051627383"
	)
	fake := onfidofake.New(onfidofake.Config{APIToken: apiToken, WebhookToken: webhookToken,
		EnrollmentWorkflows: []string{wfEnroll}, AuthenticationWorkflows: []string{wfStepUp, wfRecovery}})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	p, err := onfido.New(onfido.Config{APIToken: apiToken, BaseURL: srv.URL + "/v3.6", WebhookToken: webhookToken,
		Workflows: onfido.Workflows{Enrollment: wfEnroll, StepUp: wfStepUp, Recovery: wfRecovery}, HTTPClient: srv.Client(),
		MaxRetries: onfido.NoRetries})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(c *authenticator.Config) {
		c.IDV, c.ReferenceKey = p, bytes.Repeat([]byte{7}, authenticator.ReferenceKeySize)
	})
	return &onfidoHarness{harness: h, fake: fake}
}

// TestEnrollmentCheckAfterRegistration runs the enrollment journey with
// each provider: the registration starts the check, the provider passes
// it, and the progress call finishes the journey with the user enrolled and
// the reference stored sealed.
func TestEnrollmentCheckAfterRegistration(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		setup func(t *testing.T) (h *harness, pass func(t *testing.T, runID string) (providerRef string))
	}{
		"sandbox by webhook": {func(t *testing.T) (*harness, func(*testing.T, string) string) {
			h := newIDVHarness(t)
			return h.harness, func(t *testing.T, runID string) string {
				o, got, err := h.finish(t, runID, sandbox.ChoicePass)
				if err != nil || got.Status != authenticator.CheckPassed {
					t.Fatalf("webhook: got %s, %v, want passed", got.Status, err)
				}
				return o.Reference.ID
			}
		}},
		"onfido fake by polling": {func(t *testing.T) (*harness, func(*testing.T, string) string) {
			h := newOnfidoHarness(t)
			return h.harness, func(t *testing.T, runID string) string {
				if err := h.fake.Complete(runID, "approved"); err != nil {
					t.Fatal(err)
				}
				toks := h.fake.Tokens("cust-1")
				if len(toks) != 1 {
					t.Fatalf("got %d biometric tokens at the fake, want 1", len(toks))
				}
				return toks[0].UUID
			}
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h, pass := tc.setup(t)
			_, reg := h.registerPending(t, "cust-1")
			if reg.User.Status != authenticator.UserBiometricPending {
				t.Errorf("got user status %s after registration, want biometric_pending", reg.User.Status)
			}
			pc := reg.Pending
			if pc.Journey != idvbridge.JourneyEnrollment || pc.Token == "" || pc.RunID == "" || pc.CaptureURL == "" && pc.SDKToken == "" {
				t.Errorf("got pending check %+v, want an enrollment check with a token and a capture", pc)
			}
			if p := h.progress(t, pc.Token); p.Status != authenticator.CheckPending || p.Pending == nil {
				t.Errorf("before the outcome: got %s, want pending with the check", p.Status)
			}
			h.clock.Advance(4 * time.Second) // past the poll throttle
			providerRef := pass(t, pc.RunID)
			p := h.progress(t, pc.Token)
			if p.Status != authenticator.CheckPassed || p.Journey != idvbridge.JourneyEnrollment || p.ReturnURL != rpReturnURL {
				t.Errorf("got progress %+v, want a passed enrollment returning to %s", p, rpReturnURL)
			}
			if p.Login != nil || p.Ceremony != nil {
				t.Errorf("got login %v ceremony %v, want neither for an enrollment", p.Login, p.Ceremony)
			}
			u, err := h.store.GetUser(t.Context(), "cust-1")
			if err != nil || u.Status != authenticator.UserEnrolled {
				t.Errorf("got user status %s, %v, want enrolled", u.Status, err)
			}
			refs, err := h.store.ListReferences(t.Context(), "cust-1")
			if err != nil || len(refs) != 1 || refs[0].Status != authenticator.ReferenceActive {
				t.Fatalf("got references %+v, %v, want one active", refs, err)
			}
			if len(refs[0].SealedRef) == 0 || providerRef != "" && bytes.Contains(refs[0].SealedRef, []byte(providerRef)) {
				t.Errorf("got SealedRef %x, want ciphertext not containing %q", refs[0].SealedRef, providerRef)
			}
			_, err = h.svc.ContinueIdentityCheck(t.Context(), authenticator.ContinueRequest{Token: pc.Token})
			wantCode(t, err, authenticator.ErrChallengeUnknown)
		})
	}
}

func TestRegistrationWithoutIDVStartsNoCheck(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	reg, err := h.registerLink(t, h.link(t, "cust-1", authenticator.PurposeEnrollment).Token, h.newAuthenticator(t, softauthn.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if reg.Pending != nil || reg.User.Status != authenticator.UserBiometricPending || reg.ReturnURL != rpReturnURL {
		t.Errorf("got pending %v status %s return %q, want no check, biometric_pending, %s", reg.Pending, reg.User.Status, reg.ReturnURL, rpReturnURL)
	}
}

// TestEnrollmentDeclinedThenResumed: a declined check leaves the user
// biometric_pending with the passkey; a new link resumes straight at the
// identity check, which then passes.
func TestEnrollmentDeclinedThenResumed(t *testing.T) {
	t.Parallel()
	h := newIDVHarness(t)
	_, reg := h.registerPending(t, "cust-1")
	if _, _, err := h.finish(t, reg.Pending.RunID, sandbox.ChoiceDeclined); err != nil {
		t.Fatal(err)
	}
	p := h.progress(t, reg.Pending.Token)
	if p.Status != authenticator.CheckFailed || p.Reason != "declined" || p.ReturnURL != rpReturnURL {
		t.Errorf("got progress %+v, want failed/declined returning to %s", p, rpReturnURL)
	}
	if !strings.Contains(p.Message, "new link") || strings.Contains(p.Message, "cust-1") {
		t.Errorf("got message %q, want a user-safe one that asks for a new link", p.Message)
	}
	if u := h.user(t, "cust-1"); u.Status != authenticator.UserBiometricPending {
		t.Errorf("got user status %s, want biometric_pending", u.Status)
	}
	if c := h.credential(t, reg.Credential.ID); c.Status != authenticator.CredentialActive {
		t.Errorf("got credential status %s, want active (the passkey stays)", c.Status)
	}

	enr := h.link(t, "cust-1", authenticator.PurposeEnrollment)
	pc, err := h.svc.ResumeEnrollment(t.Context(), authenticator.ResumeEnrollmentRequest{EnrollmentToken: enr.Token, ReturnURL: hostProgressURL})
	if err != nil {
		t.Fatalf("ResumeEnrollment: %v", err)
	}
	if pc.Journey != idvbridge.JourneyEnrollment || pc.Token == "" || pc.RunID == reg.Pending.RunID {
		t.Fatalf("got %+v, want a new enrollment check", pc)
	}
	if _, _, err := h.finish(t, pc.RunID, sandbox.ChoicePass); err != nil {
		t.Fatal(err)
	}
	if p := h.progress(t, pc.Token); p.Status != authenticator.CheckPassed || p.ReturnURL != rpReturnURL {
		t.Errorf("got progress %+v, want passed returning to %s", p, rpReturnURL)
	}
	if u := h.user(t, "cust-1"); u.Status != authenticator.UserEnrolled {
		t.Errorf("got user status %s, want enrolled", u.Status)
	}
	// The resumed link was consumed.
	_, err = h.svc.ResumeEnrollment(t.Context(), authenticator.ResumeEnrollmentRequest{EnrollmentToken: enr.Token})
	wantCode(t, err, authenticator.ErrChallengeUnknown)
	_, err = h.svc.BeginRegistration(t.Context(), authenticator.BeginRegistrationRequest{EnrollmentToken: enr.Token})
	wantCode(t, err, authenticator.ErrChallengeUnknown)
}

func TestResumeEnrollment(t *testing.T) {
	t.Parallel()
	suspend := func(t *testing.T, h *idvHarness) {
		h.suspendUser(t, "cust-1")
	}
	tests := map[string]struct {
		// setup prepares cust-1 and returns the token to resume.
		setup func(t *testing.T, h *idvHarness) string
		want  *authenticator.Error // nil: a zero PendingCheck and the link kept
	}{
		"invited user registers first": {setup: func(t *testing.T, h *idvHarness) string {
			return h.link(t, "cust-1", authenticator.PurposeEnrollment).Token
		}},
		"enrolled user": {setup: func(t *testing.T, h *idvHarness) string {
			h.enrollVerified(t, "cust-1")
			return h.link(t, "cust-1", authenticator.PurposeEnrollment).Token
		}, want: authenticator.ErrConflict},
		"suspended user": {setup: func(t *testing.T, h *idvHarness) string {
			h.registerPending(t, "cust-1")
			tok := h.link(t, "cust-1", authenticator.PurposeEnrollment).Token
			suspend(t, h)
			return tok
		}, want: authenticator.ErrUserSuspended},
		"expired link": {setup: func(t *testing.T, h *idvHarness) string {
			h.registerPending(t, "cust-1")
			tok := h.link(t, "cust-1", authenticator.PurposeEnrollment).Token
			h.clock.Advance(authenticator.DefaultEnrollmentTTL + time.Second)
			return tok
		}, want: authenticator.ErrChallengeUnknown},
		"used link": {setup: func(t *testing.T, h *idvHarness) string {
			h.registerPending(t, "cust-1")
			tok := h.link(t, "cust-1", authenticator.PurposeEnrollment).Token
			if _, err := h.svc.ResumeEnrollment(t.Context(), authenticator.ResumeEnrollmentRequest{EnrollmentToken: tok}); err != nil {
				t.Fatal(err)
			}
			return tok
		}, want: authenticator.ErrChallengeUnknown},
		"unknown link": {setup: func(t *testing.T, h *idvHarness) string {
			return "bm9wZQ"
		}, want: authenticator.ErrChallengeUnknown},
		"malformed token": {setup: func(t *testing.T, h *idvHarness) string {
			return "../etc"
		}, want: authenticator.ErrInvalidArgument},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newIDVHarness(t)
			tok := tc.setup(t, h)
			started := h.countEvents(t, "cust-1", authenticator.EventIDVCheckStarted)
			pc, err := h.svc.ResumeEnrollment(t.Context(), authenticator.ResumeEnrollmentRequest{EnrollmentToken: tok, ReturnURL: hostProgressURL})
			if tc.want != nil {
				wantCode(t, err, tc.want)
			} else if err != nil || pc != (authenticator.PendingCheck{}) {
				t.Fatalf("got %+v, %v, want a zero check and no error", pc, err)
			}
			if got := h.countEvents(t, "cust-1", authenticator.EventIDVCheckStarted); got != started {
				t.Errorf("got %d checks started, want %d (none by this call)", got, started)
			}
			if tc.want == nil { // the link was kept: the passkey registration goes on with it
				reg, err := h.registerLink(t, tok, h.newAuthenticator(t, softauthn.Options{}))
				if err != nil || reg.Pending == nil {
					t.Errorf("registration after resume: got pending %v, %v, want a started check", reg.Pending, err)
				}
			}
		})
	}
}

// TestEnrollmentCheckNotStarted: when the check cannot start the passkey
// is registered anyway and the user stays biometric_pending; a resume that
// cannot start keeps the link for a later try.
func TestEnrollmentCheckNotStarted(t *testing.T) {
	t.Parallel()
	// A harness of its own: one attempt an hour, long-lived links, and a
	// sandbox on the service's clock, since the test moves it an hour on.
	var now func() time.Time
	p, err := sandbox.New(sandbox.Config{Mode: sandbox.ModeDevelopment, BaseURL: "http://localhost:8081/sandbox/idv",
		WebhookSecret: "test-webhook-secret-0123456789", Now: func() time.Time { return now() }})
	if err != nil {
		t.Fatal(err)
	}
	h := &idvHarness{idv: p, harness: newHarness(t, func(c *authenticator.Config) {
		c.IDV, c.ReferenceKey = p, bytes.Repeat([]byte{7}, authenticator.ReferenceKeySize)
		c.IDVAttemptsPerHour, c.EnrollmentTTL = 1, 2*time.Hour
	})}
	now = h.clock.Now
	h.registerPending(t, "cust-1") // the hour's one attempt
	second := h.newAuthenticator(t, softauthn.Options{})
	reg, err := h.registerLink(t, h.link(t, "cust-1", authenticator.PurposeEnrollment).Token, second)
	if err != nil {
		t.Fatalf("FinishRegistration: got %v, want the passkey registered", err)
	}
	if reg.Pending != nil || reg.User.Status != authenticator.UserBiometricPending {
		t.Errorf("got pending %v status %s, want no check and biometric_pending", reg.Pending, reg.User.Status)
	}
	if c := h.credential(t, reg.Credential.ID); c.Status != authenticator.CredentialActive {
		t.Errorf("got credential status %s, want active", c.Status)
	}
	enr := h.link(t, "cust-1", authenticator.PurposeEnrollment)
	req := authenticator.ResumeEnrollmentRequest{EnrollmentToken: enr.Token, ReturnURL: hostProgressURL}
	_, err = h.svc.ResumeEnrollment(t.Context(), req)
	wantCode(t, err, authenticator.ErrRateLimited)
	h.clock.Advance(time.Hour + time.Second)
	if pc, err := h.svc.ResumeEnrollment(t.Context(), req); err != nil || pc.Token == "" {
		t.Errorf("resume an hour later: got %+v, %v, want a started check with the kept link", pc, err)
	}
}
