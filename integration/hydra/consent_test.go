package hydra_test

import (
	"bytes"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	hydraapi "github.com/ory/hydra-client-go/v2"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/integration/hydra"
)

// testConsentRequest is a consent request from clientID for two scopes.
func testConsentRequest(challenge, clientID string, skipConsent bool) hydraapi.OAuth2ConsentRequest {
	return hydraapi.OAuth2ConsentRequest{
		Challenge: challenge,
		Client: &hydraapi.OAuth2Client{ClientId: hydraapi.PtrString(clientID), ClientName: hydraapi.PtrString("Example Bank"),
			SkipConsent: hydraapi.PtrBool(skipConsent)},
		RequestedScope:               []string{"openid", "payments"},
		RequestedAccessTokenAudience: []string{"https://api.bank.example"},
		Skip:                         hydraapi.PtrBool(false),
	}
}

var wantGrant = map[string]any{
	"grant_scope":                 []any{"openid", "payments"},
	"grant_access_token_audience": []any{"https://api.bank.example"},
	"remember":                    true,
	"remember_for":                float64(3600),
}

func TestConsentIsSkippedForTrustedClients(t *testing.T) {
	t.Parallel()
	tests := map[string]hydraapi.OAuth2ConsentRequest{
		"skip_consent client": testConsentRequest("c1", "bank", true),
		"first-party client":  testConsentRequest("c1", "first-party", false),
		"hydra says skip": func() hydraapi.OAuth2ConsentRequest {
			cr := testConsentRequest("c1", "bank", false)
			cr.Skip = hydraapi.PtrBool(true)
			return cr
		}(),
	}
	for name, cr := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h, hy := newServer(t, &fakeAuth{})
			hy.set(func(f *fakeHydra) { f.consents["c1"] = cr })

			w := serve(h, http.MethodGet, "/consent?consent_challenge=c1", "", "")

			if w.Code != http.StatusSeeOther || w.Header().Get("Location") != consentAccepted {
				t.Fatalf("status %d, Location %q; want 303 to %s", w.Code, w.Header().Get("Location"), consentAccepted)
			}
			calls := hy.callsTo(hydraConsentAccept)
			if len(calls) != 1 || calls[0].Challenge != "c1" {
				t.Fatalf("hydra consent accepts = %+v, want one for c1", calls)
			}
			if diff := cmp.Diff(wantGrant, calls[0].Body); diff != "" {
				t.Errorf("accept body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// showConsent renders the consent page for a third-party client and returns
// the CSRF cookie and form token.
func showConsent(t *testing.T, h http.Handler) (*http.Cookie, string) {
	t.Helper()
	w := serve(h, http.MethodGet, "/consent?consent_challenge=c1", "", "")
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200 (body %s)", w.Code, w.Body)
	}
	page := w.Body.String()
	for _, s := range []string{`id="consent-allow"`, `id="consent-deny"`, `id="scopes"`, "Example Bank", "openid", "payments",
		`name="consent_challenge" value="c1"`} {
		if !strings.Contains(page, s) {
			t.Errorf("consent page lacks %q:\n%s", s, page)
		}
	}
	if cookies := w.Result().Cookies(); len(cookies) != 1 {
		t.Fatalf("cookies = %+v, want only the CSRF cookie", cookies)
	}
	return formCSRF(t, w, "bp_consent_csrf", "/consent")
}

func TestConsentPageAsksThirdParties(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		action, cookie, token string // "" cookie/token: use the page's
		dropCookie            bool
		wantStatus            int
		wantLocation          string
		wantHydra             string
	}{
		"allow":            {action: "allow", wantStatus: http.StatusSeeOther, wantLocation: consentAccepted, wantHydra: hydraConsentAccept},
		"deny":             {action: "deny", wantStatus: http.StatusSeeOther, wantLocation: consentRejected, wantHydra: hydraConsentReject},
		"csrf mismatch":    {action: "allow", token: "forged", wantStatus: http.StatusForbidden},
		"no csrf cookie":   {action: "allow", dropCookie: true, wantStatus: http.StatusForbidden},
		"no csrf token":    {action: "allow", token: " ", wantStatus: http.StatusForbidden},
		"unknown decision": {action: "maybe", wantStatus: http.StatusBadRequest},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h, hy := newServer(t, &fakeAuth{})
			hy.set(func(f *fakeHydra) { f.consents["c1"] = testConsentRequest("c1", "bank", false) })
			cookie, token := showConsent(t, h)
			if tc.token != "" {
				token = strings.TrimSpace(tc.token)
			}
			form := url.Values{"consent_challenge": {"c1"}, "csrf_token": {token}, "action": {tc.action}}
			header := []string{"Cookie", cookie.Name + "=" + cookie.Value}
			if tc.dropCookie {
				header = nil
			}

			w := serve(h, http.MethodPost, "/consent", "application/x-www-form-urlencoded", form.Encode(), header...)

			if w.Code != tc.wantStatus || w.Header().Get("Location") != tc.wantLocation {
				t.Fatalf("status %d, Location %q; want %d, %q (body %s)", w.Code, w.Header().Get("Location"), tc.wantStatus, tc.wantLocation, w.Body)
			}
			for _, path := range []string{hydraConsentAccept, hydraConsentReject} {
				want := 0
				if path == tc.wantHydra {
					want = 1
				}
				if n := len(hy.callsTo(path)); n != want {
					t.Errorf("hydra calls to %s = %d, want %d", path, n, want)
				}
			}
			if tc.wantHydra == hydraConsentAccept {
				if diff := cmp.Diff(wantGrant, hy.callsTo(hydraConsentAccept)[0].Body); diff != "" {
					t.Errorf("accept body mismatch (-want +got):\n%s", diff)
				}
			}
			if tc.wantHydra == hydraConsentReject {
				if got := hy.callsTo(hydraConsentReject)[0].Body["error"]; got != "access_denied" {
					t.Errorf("reject error = %v, want access_denied", got)
				}
			}
		})
	}
}

func TestConsentAndLogoutNeedTheirChallenges(t *testing.T) {
	t.Parallel()
	h, hy := newServer(t, &fakeAuth{})
	hy.set(func(f *fakeHydra) { f.gone["old"] = hydraPublic + "/oauth2/auth?client_id=bank" })
	tests := map[string]struct {
		target       string
		wantStatus   int
		wantLocation string
		wantBody     string
		wantHydra    string // a PUT expected once
	}{
		"consent without challenge": {target: "/consent", wantStatus: 400, wantBody: "missing its consent_challenge parameter"},
		"unknown consent":           {target: "/consent?consent_challenge=nope", wantStatus: 400, wantBody: "expired or was already used"},
		"handled consent":           {target: "/consent?consent_challenge=old", wantStatus: 303, wantLocation: hydraPublic + "/oauth2/auth?client_id=bank"},
		"logout without challenge":  {target: "/logout", wantStatus: 400, wantBody: "missing its logout_challenge parameter"},
		"logout":                    {target: "/logout?logout_challenge=l1", wantStatus: 303, wantLocation: logoutAccepted, wantHydra: hydraLogoutAccept},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := serve(h, http.MethodGet, tc.target, "", "")
			if w.Code != tc.wantStatus || w.Header().Get("Location") != tc.wantLocation || !strings.Contains(w.Body.String(), tc.wantBody) {
				t.Errorf("status %d, Location %q, body %s; want %d, %q, containing %q",
					w.Code, w.Header().Get("Location"), w.Body, tc.wantStatus, tc.wantLocation, tc.wantBody)
			}
			if tc.wantHydra == "" {
				return
			}
			if calls := hy.callsTo(tc.wantHydra); len(calls) != 1 || calls[0].Challenge != "l1" {
				t.Errorf("hydra calls to %s = %+v, want one for l1", tc.wantHydra, calls)
			}
		})
	}
}

// TestConsentPutsTheLoginsACRAndAuthTimeIntoTheAccessToken: the acr and
// auth_time the provider wrote into the login context reach the access
// token's session data (for RFC 9470 resource servers); anything else puts
// nothing there, says so in the log, and still grants the consent.
func TestConsentPutsTheLoginsACRAndAuthTimeIntoTheAccessToken(t *testing.T) {
	t.Parallel()
	signedIn := testNow.Add(-time.Hour)
	ours := wantLoginContext(acr.StepUpACR, signedIn)
	tests := map[string]struct {
		acr       string
		context   any
		wantToken map[string]any // nil: no session in the accept body
	}{
		"our context": {acr: acr.StepUpACR, context: ours,
			wantToken: map[string]any{"acr": acr.StepUpACR, "auth_time": float64(signedIn.Unix())}},
		"no context":       {acr: acr.StepUpACR},
		"another context":  {acr: acr.StepUpACR, context: map[string]any{"tenant": "x"}},
		"not an object":    {acr: acr.StepUpACR, context: []any{"biometric_passkey"}},
		"no auth_time":     {acr: acr.StepUpACR, context: map[string]any{"biometric_passkey": map[string]any{"acr": acr.StepUpACR}}},
		"acr differs":      {acr: acr.RoutineACR, context: ours},
		"no acr at hydra":  {context: ours},
		"auth_time string": {acr: acr.StepUpACR, context: map[string]any{"biometric_passkey": map[string]any{"acr": acr.StepUpACR, "auth_time": "1"}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			h, hy := newServer(t, &fakeAuth{}, func(c *hydra.Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
			cr := testConsentRequest("c1", "first-party", false)
			if tc.acr != "" {
				cr.Acr = hydraapi.PtrString(tc.acr)
			}
			cr.Context = tc.context
			hy.set(func(f *fakeHydra) { f.consents["c1"] = cr })

			w := serve(h, http.MethodGet, "/consent?consent_challenge=c1", "", "")

			if w.Code != http.StatusSeeOther || w.Header().Get("Location") != consentAccepted {
				t.Fatalf("status %d, Location %q; want 303 to %s", w.Code, w.Header().Get("Location"), consentAccepted)
			}
			calls := hy.callsTo(hydraConsentAccept)
			if len(calls) != 1 {
				t.Fatalf("hydra consent accepts = %+v, want one", calls)
			}
			want := maps.Clone(wantGrant)
			if tc.wantToken != nil {
				want["session"] = map[string]any{"access_token": tc.wantToken}
			}
			if diff := cmp.Diff(want, calls[0].Body); diff != "" {
				t.Errorf("accept body mismatch (-want +got):\n%s", diff)
			}
			logged := strings.Contains(logs.String(), "access token gets no acr or auth_time")
			if logged != (tc.wantToken == nil) {
				t.Errorf("logged a warning: %t, want %t; log:\n%s", logged, tc.wantToken == nil, &logs)
			}
		})
	}
}

// TestConsentPutsOperatorRolesOnlyIntoTheDashboardsIDToken: the roles claim
// goes into session.id_token only for a subject listed in OperatorRoles and
// only when the consenting client is one of OperatorClients.
func TestConsentPutsOperatorRolesOnlyIntoTheDashboardsIDToken(t *testing.T) {
	t.Parallel()
	signedIn := testNow.Add(-time.Hour)
	access := map[string]any{"acr": acr.StepUpACR, "auth_time": float64(signedIn.Unix())}
	tests := map[string]struct {
		client, subject, claim string
		wantID                 map[string]any // nil: no id_token session data
	}{
		"dashboard, listed operator": {client: "dashboard", subject: "op-fraud",
			wantID: map[string]any{"roles": []any{"fraud"}}},
		"dashboard, custom claim": {client: "dashboard", subject: "op-admin", claim: "groups",
			wantID: map[string]any{"groups": []any{"admin", "fraud"}}},
		"dashboard, unlisted subject":    {client: "dashboard", subject: "cust-1"},
		"another client, listed subject": {client: "first-party", subject: "op-fraud"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h, hy := newServer(t, &fakeAuth{}, func(c *hydra.Config) {
				c.FirstPartyClients = append(c.FirstPartyClients, "dashboard")
				c.OperatorClients = []string{"dashboard"}
				c.OperatorRoles = map[string][]string{"op-fraud": {"fraud"}, "op-admin": {"admin", "fraud"}}
				c.OperatorRolesClaim = tc.claim
			})
			cr := testConsentRequest("c1", tc.client, true)
			cr.Acr = hydraapi.PtrString(acr.StepUpACR)
			cr.Subject = hydraapi.PtrString(tc.subject)
			cr.Context = wantLoginContext(acr.StepUpACR, signedIn)
			hy.set(func(f *fakeHydra) { f.consents["c1"] = cr })

			w := serve(h, http.MethodGet, "/consent?consent_challenge=c1", "", "")

			if w.Code != http.StatusSeeOther {
				t.Fatalf("status %d, want 303", w.Code)
			}
			calls := hy.callsTo(hydraConsentAccept)
			if len(calls) != 1 {
				t.Fatalf("hydra consent accepts = %+v, want one", calls)
			}
			session := map[string]any{"access_token": access}
			if tc.wantID != nil {
				session["id_token"] = tc.wantID
			}
			want := maps.Clone(wantGrant)
			want["session"] = session
			if diff := cmp.Diff(want, calls[0].Body); diff != "" {
				t.Errorf("accept body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
