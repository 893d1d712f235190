package authenticator_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/sandbox"
	"github.com/biometric-passkey/biometric-passkey/internal/softauthn"
)

// cannotRecover is BeginRecovery's one answer for accounts it cannot
// recover, whatever the reason.
const cannotRecover = "we cannot recover this account here; please contact support"

// newRecoveryHarness is an IDV harness with config changes.
func newRecoveryHarness(t *testing.T, mutate func(*authenticator.Config)) *idvHarness {
	t.Helper()
	h := newIDVHarness(t)
	if mutate == nil {
		return h
	}
	h.harness = newHarness(t, func(c *authenticator.Config) {
		c.IDV, c.ReferenceKey = h.idv, bytes.Repeat([]byte{7}, authenticator.ReferenceKeySize)
		mutate(c)
	})
	return h
}

// beginRecovery starts a recovery from the sign-in page for lr.
func (h *idvHarness) beginRecovery(t *testing.T, lr authenticator.LoginRequest, username string) (authenticator.PendingCheck, error) {
	t.Helper()
	return h.svc.BeginRecovery(t.Context(), authenticator.BeginRecoveryRequest{Login: lr, Username: username, ReturnURL: hostProgressURL})
}

// passRecovery passes the recovery check and returns the progress that
// finishes it, which must carry the replacement passkey's ceremony.
func (h *idvHarness) passRecovery(t *testing.T, pc authenticator.PendingCheck) authenticator.Progress {
	t.Helper()
	if pc.Journey != idvbridge.JourneyRecovery || pc.Token == "" {
		t.Fatalf("got check %+v, want a recovery check with a token", pc)
	}
	if _, got, err := h.finish(t, pc.RunID, sandbox.ChoicePass); err != nil || got.Status != authenticator.CheckPassed {
		t.Fatalf("recovery check: got %s, %v, want passed", got.Status, err)
	}
	p := h.progress(t, pc.Token)
	if p.Status != authenticator.CheckPassed || p.Journey != idvbridge.JourneyRecovery || p.Ceremony == nil || p.Login != nil {
		t.Fatalf("got progress %+v, want a passed recovery with a ceremony and no login yet", p)
	}
	return p
}

// replace registers a new passkey with the recovery's ceremony.
func (h *idvHarness) replace(t *testing.T, cer *authenticator.Ceremony) (*softauthn.Authenticator, []byte, authenticator.Registration, error) {
	t.Helper()
	b := h.newAuthenticator(t, softauthn.Options{})
	resp, err := b.Register(cer.Options)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := h.svc.FinishRegistration(t.Context(), authenticator.FinishRequest{CeremonyID: cer.ID, Response: resp})
	return b, resp, reg, err
}

func TestRecoveryFromLogin(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		keep      bool
		acrValues []string
	}{
		"step-up asked, old passkeys revoked": {acrValues: []string{acr.StepUpACR}},
		"nothing asked, old passkeys revoked": {},
		"old passkeys kept":                   {keep: true, acrValues: []string{acr.StepUpACR}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newRecoveryHarness(t, func(c *authenticator.Config) { c.KeepCredentialsOnRecovery = tc.keep })
			old := h.enrollVerified(t, "cust-1")
			oldID := old.CredentialID()
			lr := h.loginRequest(tc.acrValues...)
			pc, err := h.beginRecovery(t, lr, "cust-1")
			if err != nil {
				t.Fatalf("BeginRecovery: %v", err)
			}
			p := h.passRecovery(t, pc)
			if p.ReturnURL != "" {
				t.Errorf("got return URL %q, want none for a login", p.ReturnURL)
			}
			b, resp, reg, err := h.replace(t, p.Ceremony)
			if err != nil {
				t.Fatalf("FinishRegistration: %v", err)
			}
			wantReplaced := 1
			if tc.keep {
				wantReplaced = 0
			}
			if reg.Replaced != wantReplaced || reg.Pending != nil || reg.ReturnURL != "" || reg.User.Status != authenticator.UserEnrolled {
				t.Errorf("got replaced %d pending %v return %q status %s, want %d, none, none, enrolled",
					reg.Replaced, reg.Pending, reg.ReturnURL, reg.User.Status, wantReplaced)
			}
			res := reg.Login
			if res == nil || res.Error != "" || res.LoginChallenge != lr.Challenge || res.Subject != "cust-1" ||
				!bytes.Equal(res.CredentialID, reg.Credential.ID) {
				t.Fatalf("got login %+v, want lr's login accepted for cust-1 with the new passkey", res)
			}
			if res.Outcome.ACR != acr.StepUpACR || !slices.Contains(res.Outcome.AMR, "face") {
				t.Errorf("got outcome %+v, want step-up with face", res.Outcome)
			}
			if d := h.sessionLevel(t, lr, "cust-1"); d.Action != acr.ActionAccept || d.Outcome.ACR != acr.StepUpACR {
				t.Errorf("skipped login on the session: got %+v, want accept at step-up", d)
			}

			oldCred := h.credential(t, oldID)
			_, oldErr := h.login(t, old, h.loginRequest(), "")
			if tc.keep {
				if oldCred.Status != authenticator.CredentialActive || oldErr != nil {
					t.Errorf("old passkey: got %s, sign-in %v, want active and signing in", oldCred.Status, oldErr)
				}
			} else {
				if oldCred.Status != authenticator.CredentialRevoked || oldCred.StatusReason != "replaced by account recovery" {
					t.Errorf("old passkey: got %s %q, want revoked, replaced by account recovery", oldCred.Status, oldCred.StatusReason)
				}
				wantCode(t, oldErr, authenticator.ErrCredentialRevoked)
			}
			if res, err := h.login(t, b, h.loginRequest(), ""); err != nil || res.Subject != "cust-1" {
				t.Errorf("new passkey: got %q, %v, want a sign-in as cust-1", res.Subject, err)
			}

			evs := h.events(t, "cust-1")
			for _, want := range []authenticator.EventType{authenticator.EventRecoveryStarted, authenticator.EventRecoveryCompleted} {
				if n := h.countEvents(t, "cust-1", want); n != 1 {
					t.Errorf("got %d %s events, want 1 (events %v)", n, want, evs)
				}
			}
			if n := h.countEvents(t, "cust-1", authenticator.EventCredentialRevoked); n != wantReplaced {
				t.Errorf("got %d %s events, want %d", n, authenticator.EventCredentialRevoked, wantReplaced)
			}

			// The ceremony is single-use.
			_, err = h.svc.FinishRegistration(t.Context(), authenticator.FinishRequest{CeremonyID: p.Ceremony.ID, Response: resp})
			wantCode(t, err, authenticator.ErrChallengeUnknown)
		})
	}
}

func TestRecoveryCheckFails(t *testing.T) {
	t.Parallel()
	for _, choice := range []sandbox.Choice{sandbox.ChoiceDeclined, sandbox.ChoiceAbandoned} {
		t.Run(string(choice), func(t *testing.T) {
			t.Parallel()
			h := newIDVHarness(t)
			old := h.enrollVerified(t, "cust-1")
			lr := h.loginRequest(acr.StepUpACR)
			pc, err := h.beginRecovery(t, lr, "cust-1")
			if err != nil {
				t.Fatalf("BeginRecovery: %v", err)
			}
			if _, _, err := h.finish(t, pc.RunID, choice); err != nil {
				t.Fatal(err)
			}
			p := h.progress(t, pc.Token)
			if p.Status != authenticator.CheckFailed || p.Reason != string(choice) || p.Ceremony != nil {
				t.Errorf("got progress %+v, want failed/%s and no ceremony", p, choice)
			}
			want := authenticator.AuthenticationResult{LoginChallenge: lr.Challenge, Error: acr.ErrorUnmetRequirements,
				ErrorDescription: authenticator.FailureMessage(string(choice))}
			if p.Login == nil || p.Login.LoginChallenge != want.LoginChallenge || p.Login.Error != want.Error ||
				p.Login.ErrorDescription != want.ErrorDescription || p.Login.Subject != "" {
				t.Errorf("got login %+v, want the refusal %+v", p.Login, want)
			}
			if c := h.credential(t, old.CredentialID()); c.Status != authenticator.CredentialActive {
				t.Errorf("got old passkey %s, want active (nothing revoked)", c.Status)
			}
			if n := h.countEvents(t, "cust-1", authenticator.EventRecoveryFailed); n != 1 {
				t.Errorf("got %d %s events, want 1", n, authenticator.EventRecoveryFailed)
			}
			if n := h.countEvents(t, "cust-1", authenticator.EventCredentialRevoked); n != 0 {
				t.Errorf("got %d %s events, want 0", n, authenticator.EventCredentialRevoked)
			}
		})
	}
}

func TestBeginRecoveryRefusals(t *testing.T) {
	t.Parallel()
	suspend := func(t *testing.T, h *idvHarness) {
		h.suspendUser(t, "cust-1")
	}
	revokeRefs := func(t *testing.T, h *idvHarness) {
		h.revokeReferences(t, "cust-1")
	}
	tests := map[string]struct {
		enrolled  bool // cust-1 finished enrollment; else only a passkey
		mutate    func(t *testing.T, h *idvHarness)
		username  string
		acrValues []string
		details   string // authorization_details of the login, if any
		want      *authenticator.Error
		wantMsg   string // the exact public message, when it must not tell cases apart
	}{
		"unknown username":       {enrolled: true, username: "nobody", want: authenticator.ErrUnmetRequirements, wantMsg: cannotRecover},
		"not enrolled":           {username: "cust-1", want: authenticator.ErrUnmetRequirements, wantMsg: cannotRecover},
		"no active reference":    {enrolled: true, mutate: revokeRefs, username: "cust-1", want: authenticator.ErrUnmetRequirements, wantMsg: cannotRecover},
		"suspended user":         {enrolled: true, mutate: suspend, username: "cust-1", want: authenticator.ErrUserSuspended},
		"malformed username":     {enrolled: true, username: "a b", want: authenticator.ErrInvalidArgument},
		"login asks the unknown": {enrolled: true, username: "cust-1", acrValues: []string{"urn:example:gold"}, want: authenticator.ErrUnmetRequirements},
		"login approves a transaction": {enrolled: true, username: "cust-1", details: paymentDetails, want: authenticator.ErrInvalidArgument,
			wantMsg: "an account recovery cannot approve a transaction: recover your account from a plain sign-in first, then start the transaction again"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newIDVHarness(t)
			if tc.enrolled {
				h.enrollVerified(t, "cust-1")
			} else {
				h.registerPending(t, "cust-1")
			}
			if tc.mutate != nil {
				tc.mutate(t, h)
			}
			before := h.events(t, "cust-1")
			lr := h.loginRequest(tc.acrValues...)
			if tc.details != "" {
				lr = withDetails(lr, tc.details)
			}
			pc, err := h.beginRecovery(t, lr, tc.username)
			wantCode(t, err, tc.want)
			if got := authenticator.PublicMessage(err); tc.wantMsg != "" && got != tc.wantMsg {
				t.Errorf("got message %q, want %q", got, tc.wantMsg)
			}
			if pc != (authenticator.PendingCheck{}) {
				t.Errorf("got check %+v, want none", pc)
			}
			if got := h.events(t, "cust-1"); !equalTypes(got, before) {
				t.Errorf("got events %v, want %v (no check started)", got, before)
			}
		})
	}
}

func TestRecoveryRateLimitPerUsername(t *testing.T) {
	t.Parallel()
	h := newRecoveryHarness(t, func(c *authenticator.Config) { c.IDVAttemptsPerHour = 2 })
	for i := range 2 {
		_, err := h.beginRecovery(t, h.loginRequest(), "ghost")
		wantCode(t, err, authenticator.ErrUnmetRequirements)
		if i == 1 && authenticator.PublicMessage(err) != cannotRecover {
			t.Errorf("got %q, want %q", authenticator.PublicMessage(err), cannotRecover)
		}
	}
	_, err := h.beginRecovery(t, h.loginRequest(), "ghost")
	wantCode(t, err, authenticator.ErrRateLimited)
	// Another username has its own count.
	_, err = h.beginRecovery(t, h.loginRequest(), "phantom")
	wantCode(t, err, authenticator.ErrUnmetRequirements)
	// The window is an hour.
	h.clock.Advance(time.Hour + time.Second)
	_, err = h.beginRecovery(t, h.loginRequest(), "ghost")
	wantCode(t, err, authenticator.ErrUnmetRequirements)
}

func TestRecoveryLink(t *testing.T) {
	t.Parallel()
	h := newIDVHarness(t)
	old := h.enrollVerified(t, "cust-1")
	enr := h.link(t, "cust-1", authenticator.PurposeRecovery)
	if enr.User.ExternalID != "cust-1" || enr.User.Status != authenticator.UserEnrolled {
		t.Errorf("got link user %+v, want enrolled cust-1", enr.User)
	}
	// The check comes first: the link cannot register a passkey, and stays.
	_, err := h.svc.BeginRegistration(t.Context(), authenticator.BeginRegistrationRequest{EnrollmentToken: enr.Token})
	wantCode(t, err, authenticator.ErrInvalidArgument)

	req := authenticator.ResumeEnrollmentRequest{EnrollmentToken: enr.Token, ReturnURL: hostProgressURL}
	pc, err := h.svc.ResumeEnrollment(t.Context(), req)
	if err != nil {
		t.Fatalf("ResumeEnrollment: %v", err)
	}
	if n := h.countEvents(t, "cust-1", authenticator.EventRecoveryStarted); n != 1 {
		t.Errorf("got %d %s events, want 1", n, authenticator.EventRecoveryStarted)
	}
	_, err = h.svc.ResumeEnrollment(t.Context(), req)
	wantCode(t, err, authenticator.ErrChallengeUnknown)

	p := h.passRecovery(t, pc)
	if p.ReturnURL != rpReturnURL {
		t.Errorf("got progress return URL %q, want %q", p.ReturnURL, rpReturnURL)
	}
	_, resp, reg, err := h.replace(t, p.Ceremony)
	if err != nil {
		t.Fatalf("FinishRegistration: %v", err)
	}
	if reg.ReturnURL != rpReturnURL || reg.Login != nil || reg.Replaced != 1 || reg.Pending != nil {
		t.Errorf("got return %q login %v replaced %d pending %v, want %s, no login, 1, no check",
			reg.ReturnURL, reg.Login, reg.Replaced, reg.Pending, rpReturnURL)
	}
	if c := h.credential(t, old.CredentialID()); c.Status != authenticator.CredentialRevoked {
		t.Errorf("got old passkey %s, want revoked", c.Status)
	}
	_, err = h.svc.FinishRegistration(t.Context(), authenticator.FinishRequest{CeremonyID: p.Ceremony.ID, Response: resp})
	wantCode(t, err, authenticator.ErrChallengeUnknown)
}

func TestCreateRecoveryLinkRefusals(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		setup   func(t *testing.T, h *idvHarness) // prepares cust-1
		purpose string
		noIDV   bool
		want    *authenticator.Error
	}{
		"unknown user": {purpose: authenticator.PurposeRecovery, want: authenticator.ErrNotFound},
		"invited user": {setup: func(t *testing.T, h *idvHarness) {
			h.link(t, "cust-1", authenticator.PurposeEnrollment)
		}, purpose: authenticator.PurposeRecovery, want: authenticator.ErrUnmetRequirements},
		"biometric_pending user": {setup: func(t *testing.T, h *idvHarness) {
			h.registerPending(t, "cust-1")
		}, purpose: authenticator.PurposeRecovery, want: authenticator.ErrUnmetRequirements},
		"suspended user": {setup: func(t *testing.T, h *idvHarness) {
			h.enrollVerified(t, "cust-1")
			h.suspendUser(t, "cust-1")
		}, purpose: authenticator.PurposeRecovery, want: authenticator.ErrUserSuspended},
		"invalid purpose": {purpose: "reset", want: authenticator.ErrInvalidArgument},
		"no IDV provider": {purpose: authenticator.PurposeRecovery, noIDV: true, want: authenticator.ErrUnmetRequirements},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newIDVHarness(t)
			if tc.noIDV {
				h.harness = newHarness(t)
			}
			if tc.setup != nil {
				tc.setup(t, h)
			}
			before, err := h.svc.ListUsers(t.Context(), authenticator.UserQuery{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = h.svc.CreateEnrollment(t.Context(), authenticator.CreateEnrollmentRequest{
				ExternalUserID: "cust-1", ClientID: "bank", ReturnURL: rpReturnURL, Purpose: tc.purpose,
			})
			wantCode(t, err, tc.want)
			after, err := h.svc.ListUsers(t.Context(), authenticator.UserQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if len(after) != len(before) {
				t.Errorf("got %d users, want %d (a recovery link never creates one)", len(after), len(before))
			}
		})
	}
}

// TestRecoveryRevalidated: what the recovery check proved must still hold
// when the replacement passkey arrives and when the ceremony opens.
func TestRecoveryRevalidated(t *testing.T) {
	t.Parallel()
	t.Run("reference revoked before the new passkey", func(t *testing.T) {
		t.Parallel()
		h := newIDVHarness(t)
		old := h.enrollVerified(t, "cust-1")
		pc, err := h.beginRecovery(t, h.loginRequest(), "cust-1")
		if err != nil {
			t.Fatal(err)
		}
		p := h.passRecovery(t, pc)
		h.revokeReferences(t, "cust-1")
		b, _, _, err := h.replace(t, p.Ceremony)
		wantCode(t, err, authenticator.ErrUnmetRequirements)
		if c := h.credential(t, old.CredentialID()); c.Status != authenticator.CredentialActive {
			t.Errorf("got old passkey %s, want active", c.Status)
		}
		if _, err := h.store.GetCredential(t.Context(), b.CredentialID()); err == nil {
			t.Errorf("got the new passkey stored, want nothing stored")
		}
	})
	t.Run("user suspended after the check passed", func(t *testing.T) {
		t.Parallel()
		h := newIDVHarness(t)
		h.enrollVerified(t, "cust-1")
		pc, err := h.beginRecovery(t, h.loginRequest(), "cust-1")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.finish(t, pc.RunID, sandbox.ChoicePass); err != nil {
			t.Fatal(err)
		}
		h.suspendUser(t, "cust-1")
		p, err := h.svc.ContinueIdentityCheck(t.Context(), authenticator.ContinueRequest{Token: pc.Token})
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != authenticator.CheckFailed || p.Reason != authenticator.CheckReasonUserSuspended || p.Ceremony != nil {
			t.Errorf("got status %s reason %q ceremony %v, want failed, %s, no ceremony", p.Status, p.Reason, p.Ceremony != nil, authenticator.CheckReasonUserSuspended)
		}
		if p.Login == nil || p.Login.Error != acr.ErrorUnmetRequirements || p.Login.Subject != "" {
			t.Errorf("got login %+v, want the login refused with %s", p.Login, acr.ErrorUnmetRequirements)
		}
		if n := h.countEvents(t, "cust-1", authenticator.EventRecoveryFailed); n != 1 {
			t.Errorf("got %d %s events, want 1", n, authenticator.EventRecoveryFailed)
		}
	})
}
