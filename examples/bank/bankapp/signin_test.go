package bankapp

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/acr"
)

func TestCheckSignIn(t *testing.T) {
	t.Parallel()
	const authTime = 1_773_480_000
	tests := map[string]struct {
		requested string
		claims    Claims
		want      []error // wrapped sentinels; nil means accepted
	}{
		"routine requested, routine given": {acr.RoutineACR, Claims{ACR: acr.RoutineACR, AuthTime: authTime}, nil},
		"routine requested, step-up given": {acr.RoutineACR, Claims{ACR: acr.StepUpACR, AuthTime: authTime}, nil},
		"step-up requested, step-up given": {acr.StepUpACR, Claims{ACR: acr.StepUpACR, AuthTime: authTime}, nil},
		"step-up requested, routine given": {acr.StepUpACR, Claims{ACR: acr.RoutineACR, AuthTime: authTime}, []error{ErrInsufficientACR}},
		"routine requested, acr 0":         {acr.RoutineACR, Claims{ACR: "0", AuthTime: authTime}, []error{ErrInsufficientACR}},
		"routine requested, unknown acr":   {acr.RoutineACR, Claims{ACR: "urn:other:gold", AuthTime: authTime}, []error{ErrInsufficientACR}},
		"routine requested, no acr":        {acr.RoutineACR, Claims{AuthTime: authTime}, []error{ErrInsufficientACR}},
		"missing auth_time":                {acr.RoutineACR, Claims{ACR: acr.RoutineACR}, []error{ErrMissingAuthTime}},
		"acr 0 and missing auth_time":      {acr.RoutineACR, Claims{ACR: "0"}, []error{ErrInsufficientACR, ErrMissingAuthTime}},
		"custom value requested, equal":    {"urn:example:custom", Claims{ACR: "urn:example:custom", AuthTime: authTime}, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := CheckSignIn(tc.requested, tc.claims)
			if tc.want == nil {
				if err != nil {
					t.Errorf("CheckSignIn(%q, %+v): got %v, want nil", tc.requested, tc.claims, err)
				}
				return
			}
			for _, w := range tc.want {
				if !errors.Is(err, w) {
					t.Errorf("CheckSignIn(%q, %+v): got %v, want an error wrapping %v", tc.requested, tc.claims, err, w)
				}
			}
		})
	}
}

func TestSignInShowsClaimsAndSignsOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	const sub = "cust-0123456789abcdef0123456789abcdef"
	h.app.accounts.add(account{ID: sub, Username: "alice", FullName: "Alice Example"})

	res := h.get(t, "/login")
	wantStatus(t, res, http.StatusSeeOther)
	auth, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatalf("parse Location: %v", err)
	}
	if got, want := auth.Scheme+"://"+auth.Host+auth.Path, h.idp.issuer+"/oauth2/auth"; got != want {
		t.Errorf("authorization endpoint: got %q, want %q", got, want)
	}
	q := auth.Query()
	for _, p := range []string{"state", "nonce", "code_challenge"} {
		if q.Get(p) == "" {
			t.Errorf("authorization request: %s is empty", p)
		}
	}
	if q.Get("state") == q.Get("nonce") {
		t.Errorf("authorization request: state and nonce are both %q, want distinct values", q.Get("state"))
	}
	gotParams := map[string]string{}
	for _, p := range []string{"response_type", "client_id", "redirect_uri", "scope", "acr_values", "code_challenge_method"} {
		gotParams[p] = q.Get(p)
	}
	wantParams := map[string]string{
		"response_type":         "code",
		"client_id":             testClientID,
		"redirect_uri":          h.bank + "/callback",
		"scope":                 "openid",
		"acr_values":            acr.RoutineACR,
		"code_challenge_method": "S256",
	}
	if diff := cmp.Diff(wantParams, gotParams); diff != "" {
		t.Errorf("authorization request parameters (-want +got):\n%s", diff)
	}
	lc, ok := cookie(res, loginCookie)
	if !ok {
		t.Fatalf("/login set no %s cookie", loginCookie)
	}
	if !lc.HttpOnly || lc.SameSite != http.SameSiteLaxMode || lc.Path != "/callback" || lc.MaxAge <= 0 {
		t.Errorf("login cookie: got HttpOnly=%t SameSite=%v Path=%q MaxAge=%d, want HttpOnly, Lax, /callback, short-lived", lc.HttpOnly, lc.SameSite, lc.Path, lc.MaxAge)
	}
	if strings.Contains(lc.Value, q.Get("state")) || strings.Contains(lc.Value, q.Get("nonce")) {
		t.Errorf("login cookie %q carries the state or nonce, want only a server-side id", lc.Value)
	}

	cb := h.idp.issue(t, auth.String(), routineClaims(sub))
	res = h.get(t, "/callback?"+cb.Encode())
	wantStatus(t, res, http.StatusSeeOther)
	if got := res.Header.Get("Location"); got != "/account" {
		t.Errorf("callback Location: got %q, want /account", got)
	}
	sc, ok := cookie(res, sessionCookie)
	if !ok || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie: got %+v, want an HttpOnly SameSite=Lax cookie", sc)
	}

	res = h.get(t, "/account")
	wantStatus(t, res, http.StatusOK)
	wantText(t, res, "Welcome back, Alice Example")
	wantContains(t, res,
		`<code id="acr">`+acr.RoutineACR+`</code>`,
		`<span class="pill" id="acr-level">routine</span>`,
		`<li>hwk</li> <li>user</li>`,
		`<time id="auth-time" datetime="2026-03-14T09:26:11Z">2026-03-14 09:26:11 UTC</time>`,
		`<span class="muted" id="auth-age">42 seconds ago</span>`,
		`<code id="sub">`+sub+`</code>`,
		`<code id="sid">hydra-session-1</code>`,
		`<pre id="claims-json">`,
		`&#34;amr&#34;: [`,
		`id="signout"`,
	)

	res = h.post(t, "/logout", url.Values{"csrf": {h.csrf(t, "/account")}})
	wantStatus(t, res, http.StatusSeeOther)
	out, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatalf("parse logout Location: %v", err)
	}
	if got, want := out.Scheme+"://"+out.Host+out.Path, h.idp.issuer+"/oauth2/sessions/logout"; got != want {
		t.Errorf("logout endpoint: got %q, want %q", got, want)
	}
	oq := out.Query()
	if got, want := oq.Get("id_token_hint"), h.idp.lastIDToken(); got != want {
		t.Errorf("id_token_hint: got %q, want the ID token of the sign-in %q", got, want)
	}
	if got, want := oq.Get("post_logout_redirect_uri"), h.bank+"/"; got != want {
		t.Errorf("post_logout_redirect_uri: got %q, want %q", got, want)
	}
	if oq.Get("state") == "" {
		t.Error("logout request: state is empty")
	}
	res = h.get(t, "/account")
	wantStatus(t, res, http.StatusSeeOther)
	if got := res.Header.Get("Location"); got != "/" {
		t.Errorf("/account after sign-out: got Location %q, want /", got)
	}
}

func TestSignInRefusesWeakSignIn(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		claims   map[string]any
		wantText string
	}{
		"acr 0": {
			claims:   map[string]any{"acr": "0"},
			wantText: `Example Bank asked for a routine sign-in, but the sign-in that came back was "0".`,
		},
		"unknown acr": {
			claims:   map[string]any{"acr": "urn:other:gold"},
			wantText: `but the sign-in that came back was "urn:other:gold".`,
		},
		"no acr": {
			claims:   map[string]any{"acr": nil},
			wantText: "but the sign-in that came back was without a level.",
		},
		"missing auth_time": {
			claims:   map[string]any{"auth_time": nil},
			wantText: "The sign-in didn't say when you authenticated",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{})
			claims := routineClaims("cust-1")
			for k, v := range tc.claims {
				claims[k] = v
			}
			res := h.signIn(t, claims)
			wantStatus(t, res, http.StatusForbidden)
			wantText(t, res, "We couldn't sign you in", tc.wantText)
			if _, ok := cookie(res, sessionCookie); ok {
				t.Error("refused sign-in set a session cookie")
			}
			wantStatus(t, h.get(t, "/account"), http.StatusSeeOther)
		})
	}
}

func TestSignInAcceptsStepUpForRoutine(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	claims := routineClaims("cust-1")
	claims["acr"] = acr.StepUpACR
	claims["amr"] = []string{"hwk", "face", "mfa"}
	wantStatus(t, h.signIn(t, claims), http.StatusSeeOther)
	res := h.get(t, "/account")
	wantStatus(t, res, http.StatusOK)
	wantContains(t, res, `<code id="acr">`+acr.StepUpACR+`</code>`, `id="acr-level">step-up</span>`, `<li>face</li>`)
}

func TestCallbackRejects(t *testing.T) {
	t.Parallel()
	tests := map[string]func(t *testing.T, h *harness) string{
		"wrong state": func(t *testing.T, h *harness) string {
			res := h.get(t, "/login")
			q := h.idp.issue(t, res.Header.Get("Location"), routineClaims("cust-1"))
			q.Set("state", "not-the-state")
			return q.Encode()
		},
		"missing state": func(t *testing.T, h *harness) string {
			res := h.get(t, "/login")
			q := h.idp.issue(t, res.Header.Get("Location"), routineClaims("cust-1"))
			q.Del("state")
			return q.Encode()
		},
		"missing state cookie": func(t *testing.T, h *harness) string {
			res := h.get(t, "/login")
			q := h.idp.issue(t, res.Header.Get("Location"), routineClaims("cust-1"))
			h.client = newBrowser(t) // another browser, without the login cookie
			return q.Encode()
		},
		"replayed callback": func(t *testing.T, h *harness) string {
			res := h.get(t, "/login")
			lc, _ := cookie(res, loginCookie)
			q := h.idp.issue(t, res.Header.Get("Location"), routineClaims("cust-1"))
			wantStatus(t, h.get(t, "/callback?"+q.Encode()), http.StatusSeeOther)
			h.client = newBrowser(t)
			bank, err := url.Parse(h.bank)
			if err != nil {
				t.Fatalf("parse bank URL: %v", err)
			}
			h.client.Jar.SetCookies(bank.JoinPath("/callback"), []*http.Cookie{lc})
			return q.Encode()
		},
	}
	for name, setup := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{})
			query := setup(t, h)
			exchanged := h.idp.exchanges()
			res := h.get(t, "/callback?"+query)
			wantStatus(t, res, http.StatusBadRequest)
			wantText(t, res, "Your sign-in expired")
			if _, ok := cookie(res, sessionCookie); ok {
				t.Error("rejected callback set a session cookie")
			}
			if got := h.idp.exchanges(); got != exchanged {
				t.Errorf("code exchanges during the rejected callback: got %d, want 0", got-exchanged)
			}
		})
	}
}

func TestCallbackRejectsWrongNonce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	claims := routineClaims("cust-1")
	claims["nonce"] = "someone-elses-nonce"
	res := h.signIn(t, claims)
	wantStatus(t, res, http.StatusBadGateway)
	wantText(t, res, "We couldn't complete your sign-in")
	if strings.Contains(res.Body, "nonce") {
		t.Errorf("body shows internal detail:\n%s", res.Body)
	}
}

func TestCallbackShowsAuthorizationError(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	res := h.get(t, "/login")
	auth, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatalf("parse Location: %v", err)
	}
	q := url.Values{
		"error":             {"unmet_authentication_requirements"},
		"error_description": {"internal: ladder rank 1 unreachable"},
		"state":             {auth.Query().Get("state")},
	}
	res = h.get(t, "/callback?"+q.Encode())
	wantStatus(t, res, http.StatusForbidden)
	wantText(t, res, "Your passkey couldn't give the level of sign-in Example Bank needs.")
	if strings.Contains(res.Body, "ladder rank") {
		t.Errorf("body shows the provider's error_description:\n%s", res.Body)
	}
}

func TestLogoutRequiresCSRFToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	wantStatus(t, h.signIn(t, routineClaims("cust-1")), http.StatusSeeOther)
	res := h.post(t, "/logout", url.Values{"csrf": {"forged"}})
	wantStatus(t, res, http.StatusForbidden)
	wantStatus(t, h.get(t, "/account"), http.StatusOK)
}

func TestLogoutWithoutEndSessionEndpointGoesHome(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{noEndSession: true})
	wantStatus(t, h.signIn(t, routineClaims("cust-1")), http.StatusSeeOther)
	res := h.post(t, "/logout", url.Values{"csrf": {h.csrf(t, "/account")}})
	wantStatus(t, res, http.StatusSeeOther)
	if got := res.Header.Get("Location"); got != "/" {
		t.Errorf("Location: got %q, want /", got)
	}
	wantStatus(t, h.get(t, "/account"), http.StatusSeeOther)
}
