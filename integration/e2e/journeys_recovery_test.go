package e2e_test

import (
	"net/http"
	"slices"
	"testing"

	"golang.org/x/oauth2"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/internal/softauthn"
)

// testRecoveryOnNewDevice: an enrolled user lost their device. On a new
// browser and a new authenticator, "Lost your device?" starts a recovery
// check (as a native app, with return_token); once the vendor approves, the
// user registers a replacement passkey, the login finishes at step-up with
// face, the old passkey is revoked and the new one signs in.
func testRecoveryOnNewDevice(t *testing.T, s *stack) {
	const user = "j-recover"
	old := s.enrolled(user)
	// The lost device had a session at Hydra, opened with the old passkey.
	lost := s.newBrowser()
	lr := s.authorize(acrValues(acr.RoutineACR))
	if next, e, code := s.signIn(lost, s.loginPage(lost, lr), old, ""); code != http.StatusOK {
		t.Fatalf("sign-in on the lost device: %d %+v", code, e)
	} else {
		s.redeem(lr, s.follow(lost, next).callback)
	}

	b := s.newBrowser()
	r := s.authorize(acrValues(acr.StepUpACR), oauth2.SetAuthURLParam("prompt", "login"))
	var ans journeyAnswer
	code := s.postJSON(b, "/api/v1/recovery/begin", "", map[string]any{
		"login_challenge": s.loginPage(b, r), "username": user, "return_token": true,
	}, &ans)
	ic := ans.IdentityCheck
	if code != http.StatusOK || ans.RedirectTo != s.providerURL+"/verify" || ic == nil || ic.Journey != "recovery" || ic.Token == "" {
		t.Fatalf("recovery begin: got %d %s, want a pending recovery check with its token", code, s.last)
	}
	p := s.decide(b, ic, "approved", map[string]any{"token": ic.Token})
	if p.Journey != "recovery" || p.Status != "passed" || p.Ceremony == nil || p.Ceremony.CeremonyID == "" || p.RedirectTo != "" {
		t.Fatalf("continue after approval: got %s, want passed with a registration ceremony", s.last)
	}

	fresh, fin, code := s.registerPasskey(b, *p.Ceremony)
	if code != http.StatusOK || fin.RedirectTo == "" || fin.Error != "" || fin.Replaced != 1 || fin.Status != string(authenticator.UserEnrolled) {
		t.Fatalf("enroll finish of the replacement: got %d %s, want redirect_to, replaced 1, enrolled", code, s.last)
	}
	c := s.redeem(r, s.follow(b, fin.RedirectTo).callback)
	if c.Subject != user || c.ACR != acr.StepUpACR || !slices.Contains(c.AMR, "face") {
		t.Errorf("ID token after recovery: got sub %q acr %q amr %v, want %s, step-up, face", c.Subject, c.ACR, c.AMR, user)
	}
	s.checkAccessToken(c, acr.StepUpACR, c.AuthTime)
	// The new device's session remembers the level the recovery reached.
	r2 := s.authorize(acrValues(acr.StepUpACR))
	if at := s.follow(b, r2.url); at.callback == nil {
		t.Errorf("the login after the recovery was not skipped: %v", at.hops)
	} else if c2 := s.redeem(r2, at.callback); c2.Subject != user || c2.ACR != acr.StepUpACR || c2.AuthTime != c.AuthTime {
		t.Errorf("skipped login after the recovery: got sub %q acr %q auth_time %d, want %s, step-up, %d", c2.Subject, c2.ACR, c2.AuthTime, user, c.AuthTime)
	}
	if n := s.events(user, authenticator.EventRecoveryCompleted); n != 1 {
		t.Errorf("recovery.completed events: got %d, want 1", n)
	}

	// The lost device's session is not vouched for any more.
	if at := s.follow(lost, s.authorize(acrValues(acr.RoutineACR)).url); at.loginChallenge == "" {
		t.Errorf("the lost device's session still signs in: %v", at.hops)
	}
	// The old passkey is revoked; the new one signs in.
	for _, tc := range []struct {
		name     string
		passkey  *softauthn.Authenticator
		wantCode int
	}{{"old passkey", old, http.StatusForbidden}, {"new passkey", fresh, http.StatusOK}} {
		b := s.newBrowser()
		r := s.authorize(acrValues(acr.RoutineACR), oauth2.SetAuthURLParam("prompt", "login"))
		next, e, code := s.signIn(b, s.loginPage(b, r), tc.passkey, "")
		if code != tc.wantCode {
			t.Errorf("%s: got %d %+v, want %d", tc.name, code, e, tc.wantCode)
			continue
		}
		if code != http.StatusOK {
			if e.Error != string(authenticator.CodeCredentialRevoked) {
				t.Errorf("%s: got error %q, want %s", tc.name, e.Error, authenticator.CodeCredentialRevoked)
			}
			continue
		}
		if c := s.redeem(r, s.follow(b, next).callback); c.Subject != user || c.ACR != acr.RoutineACR {
			t.Errorf("%s: got sub %q acr %q, want %s routine", tc.name, c.Subject, c.ACR, user)
		}
	}
}

// testRecoveryUnknownUser: recovery for an unknown username gets the same
// refusal as for a user without a reference (no account enumeration), the
// login is refused at Hydra, and no check starts.
func testRecoveryUnknownUser(t *testing.T, s *stack) {
	s.enrollPasskey("j-recover-noref") // its enrollment check stays pending
	runs := s.idv.startedRuns()
	var answers []journeyAnswer
	for _, username := range []string{"j-nobody", "j-recover-noref"} {
		b := s.newBrowser()
		r := s.authorize(acrValues(acr.StepUpACR), oauth2.SetAuthURLParam("prompt", "login"))
		var ans journeyAnswer
		code := s.postJSON(b, "/api/v1/recovery/begin", "", map[string]any{"login_challenge": s.loginPage(b, r), "username": username}, &ans)
		if code != http.StatusForbidden || ans.Error != acr.ErrorUnmetRequirements || ans.Message == "" || ans.IdentityCheck != nil {
			t.Errorf("recovery of %s: got %d %s, want 403 %s with a message", username, code, s.last, acr.ErrorUnmetRequirements)
		}
		s.wantRefused(b, ans.RedirectTo)
		answers = append(answers, ans)
	}
	if answers[0].Error != answers[1].Error || answers[0].Message != answers[1].Message {
		t.Errorf("unknown user %+v and user without a reference %+v are told apart", answers[0], answers[1])
	}
	if n := s.idv.startedRuns(); n != runs {
		t.Errorf("runs started at the vendor: got %d more, want none", n-runs)
	}
}

// testRecoveryLink: the RP's server starts a recovery for its user
// (purpose recovery); the link goes straight to the recovery check, and on
// approval the user replaces the passkey, the old one revoked.
func testRecoveryLink(t *testing.T, s *stack) {
	const user = "j-recover-link"
	old := s.enrolled(user)
	b := s.newBrowser()
	resp, err := b.c.Get(s.createLink(map[string]any{"external_user_id": user, "purpose": "recovery"}))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if loc, _ := resp.Location(); resp.StatusCode != http.StatusSeeOther || loc == nil || loc.String() != s.providerURL+"/verify" {
		t.Fatalf("GET the recovery link: got %d %v, want 303 to %s/verify", resp.StatusCode, loc, s.providerURL)
	}
	p, code := s.continueJourney(b, nil)
	if code != http.StatusOK || p.Status != "pending" || p.Journey != "recovery" {
		t.Fatalf("continue: got %d %s, want a pending recovery check", code, s.last)
	}
	if p = s.decide(b, p.IdentityCheck, "approved", nil); p.Status != "passed" || p.Ceremony == nil {
		t.Fatalf("continue after approval: got %s, want passed with a registration ceremony", s.last)
	}
	fresh, fin, code := s.registerPasskey(b, *p.Ceremony)
	if code != http.StatusOK || fin.Replaced != 1 || fin.Status != string(authenticator.UserEnrolled) || fin.Error != "" {
		t.Fatalf("enroll finish: got %d %s, want enrolled, replaced 1", code, s.last)
	}
	for _, tc := range []struct {
		name     string
		passkey  *softauthn.Authenticator
		wantCode int
	}{{"old passkey", old, http.StatusForbidden}, {"new passkey", fresh, http.StatusOK}} {
		b := s.newBrowser()
		if _, e, code := s.signIn(b, s.loginPage(b, s.authorize(acrValues(acr.RoutineACR))), tc.passkey, ""); code != tc.wantCode {
			t.Errorf("%s: got %d %+v, want %d", tc.name, code, e, tc.wantCode)
		}
	}
}

// testRecoveryDeclined: the vendor declines the recovery check; the login
// is refused, no ceremony is offered, and the old passkey stays.
func testRecoveryDeclined(t *testing.T, s *stack) {
	const user = "j-recover-declined"
	old := s.enrolled(user)
	b := s.newBrowser()
	r := s.authorize(acrValues(acr.StepUpACR), oauth2.SetAuthURLParam("prompt", "login"))
	var ans journeyAnswer
	if code := s.postJSON(b, "/api/v1/recovery/begin", "", map[string]any{"login_challenge": s.loginPage(b, r), "username": user}, &ans); code != http.StatusOK {
		t.Fatalf("recovery begin: got %d %s", code, s.last)
	}
	s.wantPending(b, ans, "recovery")
	p := s.decide(b, ans.IdentityCheck, "declined", nil)
	if p.Status != "failed" || p.Reason != "declined" || p.Ceremony != nil || p.Error != acr.ErrorUnmetRequirements {
		t.Fatalf("continue after decline: got %s, want failed, declined, no ceremony, error %s", s.last, acr.ErrorUnmetRequirements)
	}
	s.wantRefused(b, p.RedirectTo)
	if n := s.events(user, authenticator.EventRecoveryFailed); n != 1 {
		t.Errorf("recovery.failed events: got %d, want 1", n)
	}
	b2 := s.newBrowser()
	if _, e, code := s.signIn(b2, s.loginPage(b2, s.authorize(acrValues(acr.RoutineACR))), old, ""); code != http.StatusOK {
		t.Errorf("the old passkey after a declined recovery: got %d %+v, want 200", code, e)
	}
}
