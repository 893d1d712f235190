package e2e_test

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	hydraapi "github.com/ory/hydra-client-go/v2"
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

	var signedIn int64                                  // the last sign-in's auth_time, as access tokens carry it
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
		signedIn = s.checkAccessToken(c, acr.RoutineACR, c.AuthTime)
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
	// The access tokens of skipped logins carry the sign-in's auth_time too.
	for _, c := range []claims{first, second} {
		if got := s.checkAccessToken(c, acr.RoutineACR, c.AuthTime); got != signedIn {
			t.Errorf("skipped login: access token auth_time %d, want the sign-in's %d", got, signedIn)
		}
	}

	// A client with JWT access tokens: hydraproc sets
	// oauth2.allowed_top_level_claims = [acr, auth_time], so Hydra puts both
	// at the top level (RFC 9068, RFC 9470) and mirrors them under ext.
	jc := s.jwtClient()
	state, verifier := secret(), oauth2.GenerateVerifier()
	cb := s.follow(b, jc.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))).callback
	if cb == nil || cb.Get("state") != state || cb.Get("code") == "" {
		t.Fatalf("JWT client: callback %v, want a code for state %s", cb, state)
	}
	tok, err := jc.Exchange(t.Context(), cb.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("JWT client: exchange: %v", err)
	}
	jwtClaims := jwtPayload(t, tok.AccessToken)
	t.Logf("JWT access token claims: %v", jwtClaims)
	wantTop := map[string]any{"acr": acr.RoutineACR, "auth_time": float64(signedIn)}
	for k, v := range wantTop {
		if jwtClaims[k] != v {
			t.Errorf("JWT access token %s = %v, want %v", k, jwtClaims[k], v)
		}
	}
	if ext, _ := jwtClaims["ext"].(map[string]any); !maps.Equal(ext, wantTop) {
		t.Errorf("JWT access token ext = %v, want %v", jwtClaims["ext"], wantTop)
	}
	facts, err := acr.FactsFromClaims(jwtClaims)
	if err != nil || facts.ACR != acr.RoutineACR || facts.AuthTime.Unix() != signedIn || facts.Subject != "cust-001" {
		t.Errorf("FactsFromClaims(JWT access token) = %+v, %v; want routine, auth_time %d, cust-001", facts, err, signedIn)
	}
}

// jwtClient registers a first-party client whose access tokens are JWTs
// and returns its OAuth configuration.
func (s *stack) jwtClient() oauth2.Config {
	s.t.Helper()
	id, sec := "rp-jwt", secret()
	if _, err := s.hydra.CreateClient(s.t.Context(), hydraapi.OAuth2Client{
		ClientId: hydraapi.PtrString(id), ClientSecret: hydraapi.PtrString(sec),
		GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"}, Scope: hydraapi.PtrString("openid"),
		RedirectUris: []string{s.rpRedirect}, TokenEndpointAuthMethod: hydraapi.PtrString("client_secret_basic"),
		AccessTokenStrategy: hydraapi.PtrString("jwt"), SkipConsent: hydraapi.PtrBool(true),
	}); err != nil {
		s.t.Fatal(err)
	}
	c := s.oauth
	c.ClientID, c.ClientSecret = id, sec
	return c
}

// jwtPayload returns a JWT's claims. The signature is not checked: the
// token came straight from Hydra's token endpoint, and only its shape is
// under test.
func jwtPayload(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("access token is not a JWT: %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(b, &claims); err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	return claims
}

// checkAccessToken introspects c's access token through Hydra and checks
// that it carries acr and auth_time where Hydra v2.3.0 puts the provider's
// access-token extras: under ext (introspection has no top-level custom
// claims; oauth2.allowed_top_level_claims only shapes JWT access tokens),
// and that acr.FactsFromClaims reads them. auth_time is the provider's
// record of the sign-in, taken just before it accepted the login, so it may
// be up to a second before Hydra's (the ID token's idAuthTime, which Hydra
// takes at the accept and truncates to seconds). It returns auth_time.
func (s *stack) checkAccessToken(c claims, wantACR string, idAuthTime int64) int64 {
	t := s.t
	t.Helper()
	it, raw := s.introspect(c.AccessToken)
	t.Logf("introspection of the access token: %v (ID token auth_time %d)", raw, idAuthTime)
	if !it.Active || it.GetSub() != c.Subject {
		t.Fatalf("introspection: active %t, sub %q; want an active token for %s", it.Active, it.GetSub(), c.Subject)
	}
	if it.Ext["acr"] != wantACR {
		t.Errorf("introspection ext.acr = %v, want %s (ext %v)", it.Ext["acr"], wantACR, it.Ext)
	}
	authTime, ok := it.Ext["auth_time"].(float64)
	if !ok || int64(authTime) < idAuthTime-1 || int64(authTime) > idAuthTime {
		t.Errorf("introspection ext.auth_time = %v, want the ID token's %d (or a second before)", it.Ext["auth_time"], idAuthTime)
	}
	if len(it.Ext) != 2 {
		t.Errorf("introspection ext = %v, want only acr and auth_time", it.Ext)
	}
	if _, top := raw["acr"]; top {
		t.Errorf("introspection has a top-level acr: %v", raw)
	}
	facts, err := acr.FactsFromClaims(raw)
	if err != nil {
		t.Fatalf("FactsFromClaims(introspection): %v", err)
	}
	if facts.ACR != wantACR || facts.AuthTime.Unix() != int64(authTime) || facts.Subject != c.Subject {
		t.Errorf("FactsFromClaims(introspection) = %+v, want acr %s, auth_time %d, sub %s", facts, wantACR, int64(authTime), c.Subject)
	}
	return int64(authTime)
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
