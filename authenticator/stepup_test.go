package authenticator_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/sandbox"
	"github.com/biometric-passkey/biometric-passkey/internal/softauthn"
)

const (
	loginProgressURL = "http://localhost:8081/login/progress"
	// noReferenceMessage is errNoReference's user-safe message.
	noReferenceMessage = "your identity has not been verified for this account yet; please finish setting up your account first"
)

// enrolledPasskey enrolls user through the whole journey (enrollVerified:
// a passkey, then a passed enrollment check, which counts as one identity
// check against the user's hourly limit) and returns the passkey and the
// user's reference.
func (h *idvHarness) enrolledPasskey(t *testing.T, user string) (*softauthn.Authenticator, authenticator.BiometricReference) {
	t.Helper()
	a := h.enrollVerified(t, user)
	refs := h.references(t, user)
	if len(refs) != 1 {
		t.Fatalf("got %d references, want 1", len(refs))
	}
	return a, refs[0]
}

// finishLogin runs a passkey ceremony for lr and finishes it with the
// progress page as return URL.
func (h *idvHarness) finishLogin(t *testing.T, a *softauthn.Authenticator, lr authenticator.LoginRequest) (authenticator.AuthenticationResult, error) {
	t.Helper()
	cer, resp := h.begin(t, a, lr, "")
	return h.svc.FinishAuthentication(t.Context(), authenticator.FinishRequest{CeremonyID: cer.ID, Response: resp, ReturnURL: loginProgressURL})
}

// pendingStepUp signs in at step-up and returns the pending check.
func (h *idvHarness) pendingStepUp(t *testing.T, a *softauthn.Authenticator, lr authenticator.LoginRequest) authenticator.PendingCheck {
	t.Helper()
	res, err := h.finishLogin(t, a, lr)
	if err != nil {
		t.Fatalf("FinishAuthentication: %v", err)
	}
	if res.Pending == nil {
		t.Fatalf("FinishAuthentication: got %+v, want a pending step-up check", res)
	}
	want := authenticator.AuthenticationResult{LoginChallenge: lr.Challenge, Pending: res.Pending}
	if d := cmp.Diff(want, res); d != "" {
		t.Errorf("pending result: got more than the challenge and the check (-want +got):\n%s", d)
	}
	if res.Pending.Journey != idvbridge.JourneyStepUp || res.Pending.Token == "" || res.Pending.CaptureURL == "" {
		t.Errorf("pending check: got %+v, want a step-up check with token and capture URL", *res.Pending)
	}
	return *res.Pending
}

func (h *idvHarness) continueJourney(t *testing.T, token string, cancel bool) (authenticator.Progress, error) {
	t.Helper()
	return h.svc.ContinueIdentityCheck(t.Context(), authenticator.ContinueRequest{Token: token, Cancel: cancel})
}

// sessionLevel reports what a skipped login on lr's session is told.
func (h *idvHarness) sessionLevel(t *testing.T, lr authenticator.LoginRequest, user string) authenticator.LoginDecision {
	t.Helper()
	skip := lr
	skip.Challenge, skip.Skip, skip.Subject = lr.Challenge+"-again", true, user
	d, err := h.svc.DecideLogin(t.Context(), skip)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func lastEvent(t *testing.T, h *idvHarness, user string) authenticator.Event {
	t.Helper()
	evs, err := h.store.ListEvents(t.Context(), user, 1)
	if err != nil || len(evs) == 0 {
		t.Fatalf("ListEvents: %v, %d events", err, len(evs))
	}
	return evs[0]
}

func TestStepUpPasses(t *testing.T) {
	t.Parallel()
	h := newIDVHarness(t)
	a, ref := h.enrolledPasskey(t, "cust-1")
	lr := h.loginRequest(acr.StepUpACR)
	p := h.pendingStepUp(t, a, lr)
	if got := h.check(t, p.RunID); got.ReferenceID != ref.ID || got.Journey != string(idvbridge.JourneyStepUp) || got.UserExternalID != "cust-1" {
		t.Errorf("recorded check: got %+v, want a step-up of cust-1 against %s", got, ref.ID)
	}
	if d := h.sessionLevel(t, lr, "cust-1"); d.Action != acr.ActionReauthenticate {
		t.Errorf("session while pending: got %s, want %s (no level recorded yet)", d.Action, acr.ActionReauthenticate)
	}
	prog, err := h.continueJourney(t, p.Token, false)
	if err != nil {
		t.Fatalf("ContinueIdentityCheck (pending): %v", err)
	}
	if prog.Status != authenticator.CheckPending || prog.Pending == nil || prog.Pending.RunID != p.RunID || prog.Login != nil {
		t.Errorf("progress while pending: got %+v, want pending with the same check and no login", prog)
	}

	if _, _, err := h.finish(t, p.RunID, sandbox.ChoicePass); err != nil {
		t.Fatalf("webhook: %v", err)
	}
	prog, err = h.continueJourney(t, p.Token, false)
	if err != nil {
		t.Fatalf("ContinueIdentityCheck (passed): %v", err)
	}
	if prog.Status != authenticator.CheckPassed || prog.Journey != idvbridge.JourneyStepUp || prog.Login == nil {
		t.Fatalf("progress: got %+v, want a passed step-up with a login", prog)
	}
	res := *prog.Login
	if res.Error != "" || res.Subject != "cust-1" || res.LoginChallenge != lr.Challenge {
		t.Errorf("login: got %+v, want accepted for cust-1 and %s", res, lr.Challenge)
	}
	if res.Outcome.ACR != acr.StepUpACR || !slices.Contains(res.Outcome.AMR, "face") {
		t.Errorf("outcome: got %+v, want step-up with face in amr", res.Outcome)
	}
	if res.ApprovalID != "" || res.AuthorizationDetails != nil {
		t.Errorf("approval: got %q, want none for a login without details", res.ApprovalID)
	}
	if d := h.sessionLevel(t, lr, "cust-1"); d.Action != acr.ActionAccept || d.Outcome.ACR != acr.StepUpACR {
		t.Errorf("session after step-up: got %+v, want accept at step-up", d)
	}
	evs := h.events(t, "cust-1")
	tail := evs[len(evs)-2:]
	if want := []authenticator.EventType{authenticator.EventStepUpPassed, authenticator.EventAuthenticationSuccess}; !slices.Equal(tail, want) {
		t.Errorf("last events: got %v, want %v", tail, want)
	}
	if _, err := h.continueJourney(t, p.Token, false); !errors.Is(err, authenticator.ErrChallengeUnknown) {
		t.Errorf("second ContinueIdentityCheck: got %v, want %s", err, authenticator.CodeChallengeUnknown)
	}
}

func TestStepUpFails(t *testing.T) {
	t.Parallel()
	revokeRef := func(t *testing.T, h *idvHarness, ref authenticator.BiometricReference) {
		h.revokeReference(t, ref.ID)
	}
	suspend := func(t *testing.T, h *idvHarness) {
		h.suspendUser(t, "cust-1")
	}
	// Each case ends the check its own way (end) and, optionally, changes
	// the world while it runs (meanwhile).
	type env struct {
		h   *idvHarness
		ref authenticator.BiometricReference
		p   authenticator.PendingCheck
		a   *softauthn.Authenticator
	}
	deliver := func(choice sandbox.Choice) func(t *testing.T, e env) bool {
		return func(t *testing.T, e env) bool {
			if _, _, err := e.h.finish(t, e.p.RunID, choice); err != nil {
				t.Fatalf("webhook: %v", err)
			}
			return false
		}
	}
	tests := map[string]struct {
		meanwhile  func(t *testing.T, e env)
		end        func(t *testing.T, e env) (cancel bool)
		wantReason string
	}{
		"declined":  {end: deliver(sandbox.ChoiceDeclined), wantReason: string(idvbridge.ReasonDeclined)},
		"review":    {end: deliver(sandbox.ChoiceReview), wantReason: string(idvbridge.ReasonReview)},
		"abandoned": {end: deliver(sandbox.ChoiceAbandoned), wantReason: string(idvbridge.ReasonAbandoned)},
		"error":     {end: deliver(sandbox.ChoiceError), wantReason: string(idvbridge.ReasonError)},
		"expired":   {end: deliver(sandbox.ChoiceExpired), wantReason: string(idvbridge.ReasonExpired)},
		"cancelled": {
			end:        func(*testing.T, env) bool { return true },
			wantReason: authenticator.CheckReasonCancelled,
		},
		"cancelled after the check passed": {
			end: func(t *testing.T, e env) bool {
				deliver(sandbox.ChoicePass)(t, e)
				return true
			},
			wantReason: authenticator.CheckReasonCancelled,
		},
		"timeout": {
			end: func(t *testing.T, e env) bool {
				e.h.clock.Advance(e.p.ExpiresAt.Sub(e.h.clock.Now()) + 30*time.Second)
				return false
			},
			wantReason: authenticator.CheckReasonTimeout,
		},
		"reference revoked while the check runs": {
			meanwhile:  func(t *testing.T, e env) { revokeRef(t, e.h, e.ref) },
			end:        deliver(sandbox.ChoicePass),
			wantReason: authenticator.CheckReasonReferenceRevoked,
		},
		"user suspended while the check runs": {
			meanwhile:  func(t *testing.T, e env) { suspend(t, e.h) },
			end:        deliver(sandbox.ChoicePass),
			wantReason: authenticator.CheckReasonUserSuspended,
		},
		"passkey revoked while the check runs": {
			meanwhile: func(t *testing.T, e env) {
				if _, err := e.h.svc.RevokeCredential(t.Context(), authenticator.RevokeCredentialRequest{CredentialID: e.a.CredentialID(), Operator: "op-1"}); err != nil {
					t.Fatal(err)
				}
			},
			end:        deliver(sandbox.ChoicePass),
			wantReason: authenticator.CheckReasonCredentialRevoked,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newIDVHarness(t)
			a, ref := h.enrolledPasskey(t, "cust-1")
			lr := h.loginRequest(acr.StepUpACR)
			p := h.pendingStepUp(t, a, lr)
			e := env{h: h, ref: ref, p: p, a: a}
			if tc.meanwhile != nil {
				tc.meanwhile(t, e)
			}
			cancel := tc.end(t, e)
			prog, err := h.continueJourney(t, p.Token, cancel)
			if err != nil {
				t.Fatalf("ContinueIdentityCheck: %v", err)
			}
			msg := authenticator.FailureMessage(tc.wantReason)
			want := authenticator.Progress{
				Journey: idvbridge.JourneyStepUp, Status: authenticator.CheckFailed, Reason: tc.wantReason, Message: msg,
				Login: &authenticator.AuthenticationResult{LoginChallenge: lr.Challenge, Error: acr.ErrorUnmetRequirements, ErrorDescription: msg},
			}
			if d := cmp.Diff(want, prog); d != "" {
				t.Errorf("progress (-want +got):\n%s", d)
			}
			if d := h.sessionLevel(t, lr, "cust-1"); d.Action == acr.ActionAccept {
				t.Errorf("session after a failed step-up: got %+v, want no recorded level", d)
			}
			ev := lastEvent(t, h, "cust-1")
			if ev.Type != authenticator.EventStepUpFailed || ev.Detail["reason"] != tc.wantReason {
				t.Errorf("last event: got %s %v, want %s with reason %s", ev.Type, ev.Detail, authenticator.EventStepUpFailed, tc.wantReason)
			}
			if evs := h.events(t, "cust-1"); slices.Contains(evs, authenticator.EventStepUpPassed) {
				t.Errorf("events: got %v, want no %s", evs, authenticator.EventStepUpPassed)
			}
		})
	}
}

func TestStepUpWithoutReferenceIsRefused(t *testing.T) {
	t.Parallel()
	tests := map[string]func(t *testing.T, h *idvHarness) *softauthn.Authenticator{
		"never verified": func(t *testing.T, h *idvHarness) *softauthn.Authenticator {
			a, _ := h.enroll(t, "cust-1", softauthn.Options{})
			return a
		},
		"reference revoked": func(t *testing.T, h *idvHarness) *softauthn.Authenticator {
			a, ref := h.enrolledPasskey(t, "cust-1")
			h.revokeReference(t, ref.ID)
			return a
		},
	}
	for name, setup := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newIDVHarness(t)
			a := setup(t, h)
			before := h.events(t, "cust-1")
			lr := h.loginRequest(acr.StepUpACR)
			res, err := h.finishLogin(t, a, lr)
			if err != nil {
				t.Fatalf("FinishAuthentication: %v", err)
			}
			want := authenticator.AuthenticationResult{LoginChallenge: lr.Challenge, Error: acr.ErrorUnmetRequirements, ErrorDescription: noReferenceMessage}
			if d := cmp.Diff(want, res); d != "" {
				t.Errorf("result (-want +got):\n%s", d)
			}
			after := h.events(t, "cust-1")[len(before):]
			if want := []authenticator.EventType{authenticator.EventStepUpFailed}; !slices.Equal(after, want) {
				t.Errorf("new events: got %v, want %v (no check started)", after, want)
			}
			if d := h.sessionLevel(t, lr, "cust-1"); d.Action == acr.ActionAccept {
				t.Errorf("session: got %+v, want no recorded level", d)
			}
		})
	}
}

func TestStepUpRateLimit(t *testing.T) {
	t.Parallel()
	h := newIDVHarness(t)
	a, _ := h.enrolledPasskey(t, "cust-1")
	// The enrollment's check was the first attempt of the hour: the counter
	// is shared by every journey.
	for i := 2; i <= authenticator.DefaultIDVAttemptsPerHour; i++ {
		if p := h.pendingStepUp(t, a, h.loginRequest(acr.StepUpACR)); p.Token == "" {
			t.Fatalf("attempt %d: no check", i)
		}
	}
	before := h.events(t, "cust-1")
	lr := h.loginRequest(acr.StepUpACR)
	res, err := h.finishLogin(t, a, lr)
	if err != nil {
		t.Fatalf("attempt %d: got error %v, want a refusal", authenticator.DefaultIDVAttemptsPerHour+1, err)
	}
	want := authenticator.AuthenticationResult{LoginChallenge: lr.Challenge, Error: acr.ErrorUnmetRequirements, ErrorDescription: authenticator.ErrRateLimited.Message}
	if d := cmp.Diff(want, res); d != "" {
		t.Errorf("attempt %d (-want +got):\n%s", authenticator.DefaultIDVAttemptsPerHour+1, d)
	}
	if after := h.events(t, "cust-1")[len(before):]; !slices.Equal(after, []authenticator.EventType{authenticator.EventStepUpFailed}) {
		t.Errorf("events of the refused attempt: got %v, want only %s (no check started)", after, authenticator.EventStepUpFailed)
	}
	// The window is fixed: an hour later the count starts again.
	h.clock.Advance(61 * time.Minute)
	h.pendingStepUp(t, a, h.loginRequest(acr.StepUpACR))
}

// forgeWebhook re-signs a sandbox notification body after edit changes
// its object, with the sandbox's secret: a notification the provider never
// sent but that verifies.
func forgeWebhook(t *testing.T, body []byte, edit func(obj map[string]any)) (http.Header, []byte) {
	t.Helper()
	var n map[string]map[string]any
	if err := json.Unmarshal(body, &n); err != nil {
		t.Fatal(err)
	}
	obj, ok := n["payload"]["object"].(map[string]any)
	if !ok {
		t.Fatalf("notification without payload.object: %s", body)
	}
	edit(obj)
	out, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, []byte("test-webhook-secret-0123456789"))
	mac.Write(out)
	header := http.Header{}
	header.Set(sandbox.SignatureHeader, hex.EncodeToString(mac.Sum(nil)))
	return header, out
}

func TestStepUpWebhookForAnotherRunDoesNotElevate(t *testing.T) {
	t.Parallel()
	h := newIDVHarness(t)
	a1, _ := h.enrolledPasskey(t, "cust-1")
	a2, _ := h.enrolledPasskey(t, "cust-2")
	p1 := h.pendingStepUp(t, a1, h.loginRequest(acr.StepUpACR))
	p2 := h.pendingStepUp(t, a2, h.loginRequest(acr.StepUpACR))

	// cust-2 passes their own check.
	if _, err := h.idv.Complete(t.Context(), p2.RunID, sandbox.ChoicePass); err != nil {
		t.Fatal(err)
	}
	header, body := h.webhook(t, p2.RunID)
	forged := map[string]func() (http.Header, []byte){
		"another user's pass, re-addressed to this run": func() (http.Header, []byte) {
			return forgeWebhook(t, body, func(o map[string]any) { o["id"] = p1.RunID })
		},
		"this run, another ceremony": func() (http.Header, []byte) {
			return forgeWebhook(t, body, func(o map[string]any) { o["id"], o["user_id"] = p1.RunID, "cust-1" })
		},
		"bad signature": func() (http.Header, []byte) {
			hd := header.Clone()
			hd.Set(sandbox.SignatureHeader, hex.EncodeToString(make([]byte, 32)))
			return hd, body
		},
	}
	for name, forge := range forged {
		hd, b := forge()
		if _, err := h.svc.ApplyIDVWebhook(t.Context(), hd, b); !errors.Is(err, authenticator.ErrInvalidArgument) {
			t.Errorf("%s: got %v, want %s", name, err, authenticator.CodeInvalidArgument)
		}
	}
	if _, err := h.svc.ApplyIDVWebhook(t.Context(), header, body); err != nil {
		t.Fatalf("cust-2's own webhook: %v", err)
	}
	prog, err := h.continueJourney(t, p1.Token, false)
	if err != nil {
		t.Fatal(err)
	}
	if prog.Status != authenticator.CheckPending || prog.Login != nil {
		t.Errorf("cust-1 after forged webhooks: got %+v, want still pending, no login", prog)
	}
	if got := h.check(t, p1.RunID); got.Status != authenticator.CheckPending {
		t.Errorf("cust-1's check: got %s, want pending", got.Status)
	}
	prog, err = h.continueJourney(t, p2.Token, false)
	if err != nil || prog.Status != authenticator.CheckPassed || prog.Login == nil || prog.Login.Subject != "cust-2" {
		t.Errorf("cust-2: got %+v, %v, want passed for cust-2", prog, err)
	}
}

// TestStepUpRoutineLoginNeedsNoCheck checks that a login whose minimum is
// routine is accepted on the passkey alone, even with a provider configured.
func TestStepUpRoutineLoginNeedsNoCheck(t *testing.T) {
	t.Parallel()
	h := newIDVHarness(t)
	a, _ := h.enrolledPasskey(t, "cust-1")
	res, err := h.finishLogin(t, a, h.loginRequest(acr.RoutineACR))
	if err != nil {
		t.Fatal(err)
	}
	if res.Pending != nil || res.Outcome.ACR != acr.RoutineACR || slices.Contains(res.Outcome.AMR, "face") {
		t.Errorf("routine login: got %+v, want routine, no check, no face", res)
	}
}

// TestStepUpByPollingOnfido runs the step-up against the Onfido adapter and
// its fake, where no webhook arrives: the progress calls poll the provider.
func TestStepUpByPollingOnfido(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		status     string // the fake workflow run's final status
		wantStatus authenticator.CheckStatus
		wantACR    string
	}{
		"approved": {"approved", authenticator.CheckPassed, acr.StepUpACR},
		"declined": {"declined", authenticator.CheckFailed, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newOnfidoHarness(t)
			a, reg := h.registerPending(t, "cust-1")
			if err := h.fake.Complete(reg.Pending.RunID, "approved"); err != nil {
				t.Fatal(err)
			}
			h.clock.Advance(4 * time.Second) // past the poll throttle
			if p := h.progress(t, reg.Pending.Token); p.Status != authenticator.CheckPassed {
				t.Fatalf("enrollment: got %s, want passed", p.Status)
			}
			lr := h.loginRequest(acr.StepUpACR)
			cer, resp := h.begin(t, a, lr, "")
			res, err := h.svc.FinishAuthentication(t.Context(), authenticator.FinishRequest{CeremonyID: cer.ID, Response: resp, ReturnURL: loginProgressURL})
			if err != nil || res.Pending == nil {
				t.Fatalf("FinishAuthentication: got %+v, %v, want a pending check", res, err)
			}
			if err := h.fake.Complete(res.Pending.RunID, tc.status); err != nil {
				t.Fatal(err)
			}
			h.clock.Advance(4 * time.Second)
			p := h.progress(t, res.Pending.Token)
			if p.Status != tc.wantStatus || p.Login == nil || p.Login.Outcome.ACR != tc.wantACR {
				t.Fatalf("progress: got %+v, want %s with a login at %q", p, tc.wantStatus, tc.wantACR)
			}
			if tc.wantStatus == authenticator.CheckPassed && !slices.Contains(p.Login.Outcome.AMR, "face") {
				t.Errorf("amr: got %v, want face", p.Login.Outcome.AMR)
			}
			if tc.wantStatus == authenticator.CheckFailed && p.Login.Error != acr.ErrorUnmetRequirements {
				t.Errorf("login: got error %q, want %s", p.Login.Error, acr.ErrorUnmetRequirements)
			}
		})
	}
}
