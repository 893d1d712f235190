package e2e_test

import (
	"net/http"
	"net/url"
	"testing"

	hydraapi "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"

	"github.com/biometric-passkey/biometric-passkey/internal/softauthn"
)

// TestConsentForThirdPartyClient: a client that is neither first-party nor
// skip_consent sees the consent page; Allow completes the flow, a forged
// CSRF token is refused, Deny returns access_denied.
// The consent page is a real form post, so this drives it as a browser would.
func TestConsentForThirdPartyClient(t *testing.T) {
	s := newStack(t)
	third := s.oauth
	third.ClientID, third.ClientSecret = "third-party", secret()
	if _, err := s.hydra.CreateClient(t.Context(), hydraapi.OAuth2Client{
		ClientId: hydraapi.PtrString(third.ClientID), ClientSecret: hydraapi.PtrString(third.ClientSecret),
		ClientName: hydraapi.PtrString("Budget Planner"), GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code"},
		Scope: hydraapi.PtrString("openid"), RedirectUris: []string{s.rpRedirect}, TokenEndpointAuthMethod: hydraapi.PtrString("client_secret_basic"),
	}); err != nil {
		t.Fatal(err)
	}
	a := s.enrollUser("cust-004", softauthn.Options{})
	b := s.newBrowser()

	consentPage := func() stop {
		t.Helper()
		r := authRequest{state: secret(), nonce: secret(), verifier: oauth2.GenerateVerifier()}
		at := s.follow(b, third.AuthCodeURL(r.state, oauth2.S256ChallengeOption(r.verifier), oauth2.SetAuthURLParam("nonce", r.nonce)))
		if at.loginChallenge != "" {
			next, e, code := s.signIn(b, at.loginChallenge, a, "")
			if code != http.StatusOK {
				t.Fatalf("sign-in: %d %+v", code, e)
			}
			at = s.follow(b, next)
		}
		if at.consent == nil || at.consent.Get("consent_challenge") == "" || at.consent.Get("csrf_token") == "" {
			t.Fatalf("expected the consent page, went %v", at.hops)
		}
		return at
	}
	submit := func(form url.Values) *http.Response {
		t.Helper()
		resp, err := b.c.PostForm(s.providerURL+"/consent", form)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp
	}

	t.Run("forged CSRF token", func(t *testing.T) {
		form := consentPage().consent
		form.Set("csrf_token", "forged")
		form.Set("action", "allow")
		if resp := submit(form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("got %d, want 403", resp.StatusCode)
		}
	})
	t.Run("deny", func(t *testing.T) {
		form := consentPage().consent
		form.Set("action", "deny")
		loc, err := submit(form).Location()
		if err != nil {
			t.Fatal("deny: no redirect")
		}
		if cb := s.follow(b, loc.String()).callback; cb.Get("error") != "access_denied" {
			t.Errorf("got callback %v, want error=access_denied", cb)
		}
	})
	// Allow is remembered by Hydra, so it comes last.
	t.Run("allow", func(t *testing.T) {
		form := consentPage().consent
		form.Set("action", "allow")
		resp := submit(form)
		loc, err := resp.Location()
		if err != nil {
			t.Fatalf("allow: status %d, no redirect", resp.StatusCode)
		}
		cb := s.follow(b, loc.String()).callback
		if cb.Get("code") == "" {
			t.Errorf("got callback %v, want a code", cb)
		}
	})
}
