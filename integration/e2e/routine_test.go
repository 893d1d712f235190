package e2e_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/internal/softauthn"
)

func acrValues(v string) oauth2.AuthCodeOption { return oauth2.SetAuthURLParam("acr_values", v) }

// TestRoutineSignInThroughHydra is the walking skeleton: enrollment through
// the API, a routine passkey sign-in through Hydra's authorization-code flow
// with PKCE, the ID token checked with go-oidc, then a second login that
// Hydra skips, which must report what the first one achieved.
func TestRoutineSignInThroughHydra(t *testing.T) {
	s := newStack(t)
	s.goldens = true
	a := s.enrollUser("cust-001", softauthn.Options{})
	b := s.newBrowser()

	for _, username := range []string{"", "cust-001"} { // usernameless first, then username-first
		before := time.Now().Add(-time.Second).Unix()
		r := s.authorize(acrValues(acr.RoutineACR), oauth2.SetAuthURLParam("prompt", "login"))
		at := s.follow(b, r.url)
		if at.loginChallenge == "" {
			t.Fatalf("expected the login page, went %v", at.hops)
		}
		next, apiErr, code := s.signIn(b, at.loginChallenge, a, username)
		if code != http.StatusOK {
			t.Fatalf("sign-in (username %q): status %d: %+v", username, code, apiErr)
		}
		c := s.redeem(r, s.follow(b, next).callback)
		if c.Subject != "cust-001" || c.ACR != acr.RoutineACR || !slices.Equal(c.AMR, []string{"hwk", "mfa", "user"}) {
			t.Errorf("claims: got sub %q acr %q amr %v, want cust-001, routine, [hwk mfa user]", c.Subject, c.ACR, c.AMR)
		}
		if c.AuthTime < before || c.AuthTime > time.Now().Unix()+1 {
			t.Errorf("auth_time %d is not this login's (after %d)", c.AuthTime, before)
		}
		goldenClaims(t, "id_token_routine", c.All)
	}

	// Hydra remembers the session: this login is skipped, and must report
	// the level and auth_time the last sign-in really achieved.
	r1 := s.authorize(acrValues(acr.RoutineACR))
	first := s.redeem(r1, s.follow(b, r1.url).callback)
	time.Sleep(1100 * time.Millisecond) // so a fresh auth_time would differ
	r2 := s.authorize()
	at := s.follow(b, r2.url)
	if at.callback == nil {
		t.Fatalf("second login was not skipped: %v", at.hops)
	}
	second := s.redeem(r2, at.callback)
	if second.ACR != first.ACR || !slices.Equal(second.AMR, first.AMR) || second.AuthTime != first.AuthTime || second.SID != first.SID {
		t.Errorf("skipped login: got %+v, want the session's %+v", second, first)
	}
	goldenClaims(t, "id_token_skipped", second.All)
}

// TestAssuranceRefusals: a level that cannot be reached, or is unknown, is
// refused with unmet_authentication_requirements, never downgraded; and a
// request above the session's level forces a fresh login.
func TestAssuranceRefusals(t *testing.T) {
	s := newStack(t)
	a := s.enrollUser("cust-002", softauthn.Options{})
	b := s.newBrowser()
	r := s.authorize(acrValues(acr.RoutineACR))
	at := s.follow(b, r.url)
	next, apiErr, code := s.signIn(b, at.loginChallenge, a, "")
	if code != http.StatusOK {
		t.Fatalf("sign-in: %d %+v", code, apiErr)
	}
	s.redeem(r, s.follow(b, next).callback)

	for name, value := range map[string]string{
		"unreachable step-up": acr.StepUpACR, // no identity-verification provider yet
		"unknown level":       "urn:example:platinum",
	} {
		t.Run(name, func(t *testing.T) {
			r := s.authorize(acrValues(value), oauth2.SetAuthURLParam("prompt", "login"))
			cb := s.follow(s.newBrowser(), r.url).callback
			if cb.Get("error") != acr.ErrorUnmetRequirements {
				t.Errorf("got callback %v, want error=%s", cb, acr.ErrorUnmetRequirements)
			}
			// The same with an existing session (skip=true): still refused.
			r = s.authorize(acrValues(value))
			if cb := s.follow(b, r.url).callback; cb.Get("error") != acr.ErrorUnmetRequirements {
				t.Errorf("with a session: got callback %v, want error=%s", cb, acr.ErrorUnmetRequirements)
			}
		})
	}
}

// TestRefusedAssertions: replays, revoked credentials and bad bodies get a
// clear error through the HTTP API and no login is accepted.
func TestRefusedAssertions(t *testing.T) {
	s := newStack(t)
	a := s.enrollUser("cust-003", softauthn.Options{})
	b := s.newBrowser()

	t.Run("replayed assertion", func(t *testing.T) {
		at := s.follow(b, s.authorize(oauth2.SetAuthURLParam("prompt", "login")).url)
		var cer ceremony
		s.postJSON(b, "/api/v1/login/begin", "", map[string]string{"login_challenge": at.loginChallenge}, &cer)
		assertion, err := a.Assert(cer.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		body := map[string]any{"ceremony_id": cer.CeremonyID, "credential": rawJSON(assertion)}
		if code := s.postJSON(b, "/api/v1/login/finish", "", body, &apiError{}); code != http.StatusOK {
			t.Fatalf("first finish: status %d", code)
		}
		var replay apiError
		if code := s.postJSON(b, "/api/v1/login/finish", "", body, &replay); code < 400 || replay.Error != string(authenticator.CodeChallengeUnknown) {
			t.Errorf("replay: got %d %+v, want 4xx %s", code, replay, authenticator.CodeChallengeUnknown)
		}
	})
	t.Run("malformed body", func(t *testing.T) {
		var e apiError
		if code := s.postJSON(b, "/api/v1/login/finish", "", map[string]any{"ceremony_id": 7}, &e); code != http.StatusBadRequest {
			t.Errorf("got %d %+v, want 400", code, e)
		}
	})
	t.Run("revoked credential", func(t *testing.T) {
		detail, err := s.provider.Admin().GetUser(t.Context(), "cust-003")
		if err != nil || len(detail.Credentials) != 1 {
			t.Fatalf("GetUser: %v (%d credentials)", err, len(detail.Credentials))
		}
		if _, err := s.provider.Admin().RevokeCredential(t.Context(), authenticator.RevokeCredentialRequest{
			CredentialID: detail.Credentials[0].ID, Operator: "op-e2e", Reason: "lost device"}); err != nil {
			t.Fatal(err)
		}
		// The browser's Hydra session was opened with that credential: a
		// skipped login must not vouch for it any more.
		r := s.authorize()
		at := s.follow(b, r.url)
		if at.loginChallenge == "" {
			t.Fatalf("session of a revoked credential was accepted: %v", at.hops)
		}
		_, e, code := s.signIn(b, at.loginChallenge, a, "")
		if code != http.StatusForbidden || e.Error != string(authenticator.CodeCredentialRevoked) {
			t.Errorf("got %d %+v, want 403 %s", code, e, authenticator.CodeCredentialRevoked)
		}
	})
}
