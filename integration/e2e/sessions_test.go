package e2e_test

import (
	"net/http"
	"testing"

	"golang.org/x/oauth2"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/integration/hydra"
	"github.com/biometric-passkey/biometric-passkey/internal/softauthn"
	"github.com/biometric-passkey/biometric-passkey/plugin"
)

// TestRevokeSessionsAtHydra holds what the dashboard's "Revoke sessions"
// promises, against real Hydra: before, the user's consent session is
// listed, the access token is active and a new authorization is skipped;
// after hydra.Server.RevokeSessions, no session is listed, the access token
// issued before is inactive, and the next authorization shows the sign-in
// page. Another user's session is untouched.
func TestRevokeSessionsAtHydra(t *testing.T) {
	s := newStack(t)
	auth, ok := s.provider.Admin().(plugin.Authenticator)
	if !ok {
		t.Fatal("the provider's services do not implement plugin.Authenticator")
	}
	srv, err := hydra.New(hydra.Config{PublicURL: s.providerURL, HydraAdminURL: s.hydra.AdminURL()}, auth)
	if err != nil {
		t.Fatal(err)
	}

	type session struct {
		browser     *browser
		accessToken string
	}
	signIn := func(id string) session {
		a := s.enrollUser(id, softauthn.Options{})
		b := s.newBrowser()
		r := s.authorize(acrValues(acr.RoutineACR), oauth2.SetAuthURLParam("prompt", "login"))
		at := s.follow(b, r.url)
		if at.loginChallenge == "" {
			t.Fatalf("sign-in of %s: expected the login page, went %v", id, at.hops)
		}
		next, apiErr, code := s.signIn(b, at.loginChallenge, a, "")
		if code != http.StatusOK {
			t.Fatalf("sign-in of %s: status %d: %+v", id, code, apiErr)
		}
		return session{browser: b, accessToken: s.redeem(r, s.follow(b, next).callback).AccessToken}
	}
	// skipped reports whether a new authorization is answered without the
	// sign-in page: Hydra still holds the browser's login session.
	skipped := func(b *browser) bool {
		r := s.authorize()
		return s.follow(b, r.url).callback != nil
	}
	check := func(when, id string, ss session, wantSessions int, wantLive bool) {
		t.Helper()
		got, err := srv.ConsentSessions(t.Context(), id)
		if err != nil {
			t.Fatalf("%s: ConsentSessions(%s): %v", when, id, err)
		}
		if len(got) != wantSessions || (wantSessions > 0 && got[0].ClientID != rpClientID) {
			t.Errorf("%s: consent sessions of %s: got %+v, want %d for %s", when, id, got, wantSessions, rpClientID)
		}
		if it, _ := s.introspect(ss.accessToken); it.Active != wantLive {
			t.Errorf("%s: access token of %s active: got %t, want %t", when, id, it.Active, wantLive)
		}
		if got := skipped(ss.browser); got != wantLive {
			t.Errorf("%s: new authorization of %s skipped the sign-in: got %t, want %t", when, id, got, wantLive)
		}
	}

	alice, bob := signIn("cust-sess-alice"), signIn("cust-sess-bob")
	check("before", "cust-sess-alice", alice, 1, true)

	if err := srv.RevokeSessions(t.Context(), "cust-sess-alice"); err != nil {
		t.Fatalf("RevokeSessions: %v", err)
	}
	check("after", "cust-sess-alice", alice, 0, false)
	check("another user, after", "cust-sess-bob", bob, 1, true)

	// Revoking again is no error: there is nothing left to revoke.
	if err := srv.RevokeSessions(t.Context(), "cust-sess-alice"); err != nil {
		t.Errorf("RevokeSessions again: %v", err)
	}
	// A subject that cannot be a user is refused before Hydra is asked.
	if err := srv.RevokeSessions(t.Context(), "not a valid id\n"); err == nil {
		t.Error("RevokeSessions of an invalid subject: got nil error")
	}
	if _, err := srv.ConsentSessions(t.Context(), ""); err == nil {
		t.Error("ConsentSessions of an empty subject: got nil error")
	}
}
