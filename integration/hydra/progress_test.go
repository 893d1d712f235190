package hydra_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/integration/hydra"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares a JSON answer, indented, with testdata/<name>.json.
func golden(t *testing.T, name string, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		t.Fatalf("%s: answer is not JSON: %v (%q)", name, err, body)
	}
	path := filepath.Join("testdata", name+".json")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// The journey cookie as the provider names it (progress.go).
const journeyCookie = "bp_identity_check"

// withJourney is the Cookie header of a browser in journey token.
func withJourney(token string) []string { return []string{"Cookie", journeyCookie + "=" + token} }

// testPending is the step-up's identity check the fake plugin starts.
func testPending(journey idvbridge.Journey) authenticator.PendingCheck {
	return authenticator.PendingCheck{Token: "jt-1", Journey: journey, Provider: "sandbox", RunID: "run-1",
		CaptureURL: "https://idv.example/capture/run-1", SDKToken: "sdk-1", ExpiresAt: testNow.Add(15 * time.Minute)}
}

// paymentDetails is an RFC 9396 payment; canonical/hash are what the
// plugin reports a login approved.
const paymentDetails = `[{"type":"payment_initiation","actions":["initiate"],"instructedAmount":{"currency":"EUR","amount":"123.50"},` +
	`"creditorName":"Merchant A","creditorAccount":{"iban":"DE02100100109307118603"},"remittanceInformationUnstructured":"Ref 42"}]`

func approvedPayment(t testing.TB) (canonical []byte, hash string) {
	t.Helper()
	ds, err := acr.ParseAuthorizationDetails(paymentDetails)
	if err != nil {
		t.Fatal(err)
	}
	h := ds.Hash()
	return ds.Canonical(), base64.RawURLEncoding.EncodeToString(h[:])
}

func TestLoginFinishPendingSendsTheBrowserToTheProgressPage(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		publicURL  string
		body       string
		wantPath   string
		wantSecure bool
		wantVerify string
		wantToken  bool
	}{
		"browser": {publicURL: "http://localhost:8081", body: `{"ceremony_id":"cer-1","credential":{}}`,
			wantPath: "/", wantVerify: "http://localhost:8081/verify"},
		"https under a path": {publicURL: "https://login.example/auth/", body: `{"ceremony_id":"cer-1","credential":{}}`,
			wantPath: "/auth", wantSecure: true, wantVerify: "https://login.example/auth/verify"},
		"native app asks for the token": {publicURL: "http://localhost:8081", body: `{"ceremony_id":"cer-1","credential":{},"return_token":true}`,
			wantPath: "/", wantVerify: "http://localhost:8081/verify", wantToken: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var got authenticator.FinishRequest
			auth := &fakeAuth{finishAuthentication: func(_ context.Context, req authenticator.FinishRequest) (authenticator.AuthenticationResult, error) {
				got = req
				p := testPending(idvbridge.JourneyStepUp)
				return authenticator.AuthenticationResult{LoginChallenge: "bound", Pending: &p}, nil
			}}
			h, hy := newServer(t, auth, func(c *hydra.Config) { c.PublicURL = tc.publicURL })

			w := postJSON(h, "/api/v1/login/finish", tc.body)

			if w.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200 (body %s)", w.Code, w.Body)
			}
			if got.ReturnURL != tc.wantVerify || got.CeremonyID != "cer-1" {
				t.Errorf("FinishAuthentication got ceremony %q, return URL %q; want cer-1, %q", got.CeremonyID, got.ReturnURL, tc.wantVerify)
			}
			c := cookieNamed(w, journeyCookie)
			if c == nil || c.Value != "jt-1" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != tc.wantPath ||
				c.Secure != tc.wantSecure || c.MaxAge != 15*60 {
				t.Errorf("journey cookie = %+v, want jt-1, HttpOnly, SameSite=Lax, Path %q, Secure %t, Max-Age 900", c, tc.wantPath, tc.wantSecure)
			}
			want := map[string]any{"redirect_to": tc.wantVerify, "identity_check": map[string]any{
				"journey": "step_up", "capture_url": "https://idv.example/capture/run-1", "expires_at": "2026-03-01T12:15:00Z"}}
			if tc.wantToken {
				ic := want["identity_check"].(map[string]any)
				ic["token"], ic["sdk_token"] = "jt-1", "sdk-1"
			}
			if diff := cmp.Diff(want, decodeBody[map[string]any](t, w)); diff != "" {
				t.Errorf("finish body mismatch (-want +got):\n%s", diff)
			}
			if !tc.wantToken && strings.Contains(w.Body.String(), "jt-1") {
				t.Errorf("the journey token is in a browser's answer body: %s", w.Body)
			}
			wantLoginCalls(t, hy, 0, 0) // the check is pending
		})
	}
}

// TestIdentityCheckContinue drives POST /api/v1/identity-check/continue
// through every outcome; final journeys finish the login at Hydra exactly
// as login finish does, and clear the cookie.
func TestIdentityCheckContinue(t *testing.T) {
	t.Parallel()
	canonical, hash := approvedPayment(t)
	pending := testPending(idvbridge.JourneyStepUp)
	refused := &authenticator.AuthenticationResult{LoginChallenge: "bound", Error: acr.ErrorUnmetRequirements,
		ErrorDescription: "your identity could not be verified"}
	tests := map[string]struct {
		body       string
		cookie     string
		progress   authenticator.Progress
		err        error
		wantReq    *authenticator.ContinueRequest // nil: the plugin must not be called
		wantStatus int
		wantGolden string
		wantBody   apiError // when no golden
		wantHydra  string   // accept or reject path, once
		wantHydraQ map[string]any
		wantClear  bool
		wantNoSet  bool // no Set-Cookie at all
	}{
		"pending": {
			body: `{}`, cookie: "jt-1",
			progress: authenticator.Progress{Journey: idvbridge.JourneyStepUp, Status: authenticator.CheckPending, Pending: &pending},
			wantReq:  &authenticator.ContinueRequest{Token: "jt-1"}, wantStatus: 200, wantGolden: "continue_pending", wantNoSet: true,
		},
		"native app sends the token": {
			body:     `{"token":"jt-app"}`,
			progress: authenticator.Progress{Journey: idvbridge.JourneyStepUp, Status: authenticator.CheckPending, Pending: &pending, Message: "waiting"},
			wantReq:  &authenticator.ContinueRequest{Token: "jt-app"}, wantStatus: 200, wantNoSet: true,
		},
		"step-up passed: accepted at hydra with the plugin's acr": {
			body: `{}`, cookie: "jt-1",
			progress: authenticator.Progress{Journey: idvbridge.JourneyStepUp, Status: authenticator.CheckPassed,
				Message: "Identity verified.", Login: &authenticator.AuthenticationResult{LoginChallenge: "bound", Subject: "cust-1",
					Outcome: stepUp, AuthTime: testNow.Add(-10 * time.Second), RememberFor: 30 * time.Minute,
					AuthorizationDetails: canonical, DetailsHash: hash, ApprovalID: "apr-1"}},
			wantReq: &authenticator.ContinueRequest{Token: "jt-1"}, wantStatus: 200, wantGolden: "continue_stepup_passed",
			wantHydra: hydraLoginAccept, wantHydraQ: map[string]any{
				"subject": "cust-1", "acr": acr.StepUpACR, "amr": []any{"face", "hwk", "mfa", "user"},
				"remember": true, "remember_for": float64(1800),
				"context": map[string]any{"biometric_passkey": map[string]any{
					"acr": acr.StepUpACR, "auth_time": float64(testNow.Add(-10 * time.Second).Unix()),
					"authorization_details": string(canonical), "authorization_details_hash": hash, "approval_id": "apr-1",
				}},
			},
			wantClear: true,
		},
		"step-up failed: refused at hydra": {
			body: `{}`, cookie: "jt-1",
			progress: authenticator.Progress{Journey: idvbridge.JourneyStepUp, Status: authenticator.CheckFailed, Reason: "declined",
				Message: "We could not confirm it is you.", Login: refused},
			wantReq: &authenticator.ContinueRequest{Token: "jt-1"}, wantStatus: 200, wantGolden: "continue_stepup_failed",
			wantHydra: hydraLoginReject, wantHydraQ: map[string]any{"error": acr.ErrorUnmetRequirements, "error_description": "your identity could not be verified"},
			wantClear: true,
		},
		"cancel": {
			body: `{"cancel":true}`, cookie: "jt-1",
			progress: authenticator.Progress{Journey: idvbridge.JourneyStepUp, Status: authenticator.CheckFailed,
				Reason: authenticator.CheckReasonCancelled, Login: refused},
			wantReq: &authenticator.ContinueRequest{Token: "jt-1", Cancel: true}, wantStatus: 200, wantGolden: "continue_cancelled",
			wantHydra: hydraLoginReject, wantHydraQ: map[string]any{"error": acr.ErrorUnmetRequirements, "error_description": "your identity could not be verified"},
			wantClear: true,
		},
		"enrollment passed": {
			body: `{}`, cookie: "jt-1",
			progress: authenticator.Progress{Journey: idvbridge.JourneyEnrollment, Status: authenticator.CheckPassed,
				ReturnURL: "https://bank.example/done"},
			wantReq: &authenticator.ContinueRequest{Token: "jt-1"}, wantStatus: 200, wantGolden: "continue_enrollment_passed", wantClear: true,
		},
		"recovery passed: the replacement passkey's ceremony": {
			body: `{}`, cookie: "jt-1",
			progress: authenticator.Progress{Journey: idvbridge.JourneyRecovery, Status: authenticator.CheckPassed,
				Message: "Identity verified. Now create a new passkey.",
				Ceremony: &authenticator.Ceremony{ID: "reg-9", ExpiresAt: testNow.Add(5 * time.Minute),
					Options: json.RawMessage(`{"publicKey":{"rp":{"name":"Bank"},"user":{"id":"dXNlcg","name":"alice","displayName":"Alice"},"challenge":"Y2g"}}`)}},
			wantReq: &authenticator.ContinueRequest{Token: "jt-1"}, wantStatus: 200, wantGolden: "continue_recovery_passed", wantClear: true,
		},
		"a failed check never accepts a login": {
			body: `{}`, cookie: "jt-1",
			progress: authenticator.Progress{Journey: idvbridge.JourneyStepUp, Status: authenticator.CheckFailed, Reason: "declined",
				Login: &authenticator.AuthenticationResult{LoginChallenge: "bound", Subject: "cust-1", Outcome: stepUp}},
			wantReq: &authenticator.ContinueRequest{Token: "jt-1"}, wantStatus: 500,
			wantBody: apiError{Error: "internal", Message: authenticator.ErrInternal.Message}, wantClear: true,
		},
		"rate limited": {
			body: `{}`, cookie: "jt-1", err: authenticator.ErrRateLimited,
			wantReq: &authenticator.ContinueRequest{Token: "jt-1"}, wantStatus: 429,
			wantBody: apiError{Error: "rate_limited", Message: authenticator.ErrRateLimited.Message}, wantNoSet: true,
		},
		"forged or spent token": {
			body: `{}`, cookie: "forged", err: authenticator.Errorf(authenticator.CodeChallengeUnknown, "no such journey"),
			wantReq: &authenticator.ContinueRequest{Token: "forged"}, wantStatus: 410,
			wantBody: apiError{Error: "challenge_unknown", Message: authenticator.ErrChallengeUnknown.Message}, wantClear: true,
		},
		"no token anywhere": {
			body: `{}`, wantStatus: 400, wantNoSet: true,
			wantBody: apiError{Error: "invalid_argument", Field: "token",
				Message: "there is no identity check in progress: send its token, or start again from the application"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var got *authenticator.ContinueRequest
			auth := &fakeAuth{continueCheck: func(_ context.Context, req authenticator.ContinueRequest) (authenticator.Progress, error) {
				got = &req
				return tc.progress, tc.err
			}}
			h, hy := newServer(t, auth)
			var header []string
			if tc.cookie != "" {
				header = withJourney(tc.cookie)
			}

			w := postJSON(h, "/api/v1/identity-check/continue", tc.body, header...)

			if w.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", w.Code, tc.wantStatus, w.Body)
			}
			if diff := cmp.Diff(tc.wantReq, got); diff != "" {
				t.Errorf("ContinueIdentityCheck request mismatch (-want +got):\n%s", diff)
			}
			if tc.wantGolden != "" {
				golden(t, tc.wantGolden, w.Body.Bytes())
			} else if tc.wantStatus != 200 {
				if diff := cmp.Diff(tc.wantBody, decodeBody[apiError](t, w)); diff != "" {
					t.Errorf("error body mismatch (-want +got):\n%s", diff)
				}
			}
			c := cookieNamed(w, journeyCookie)
			if cleared := c != nil && c.MaxAge < 0 && c.Path == "/"; cleared != tc.wantClear {
				t.Errorf("journey cookie = %+v; cleared %t, want %t", c, cleared, tc.wantClear)
			}
			if tc.wantNoSet && len(w.Result().Cookies()) != 0 {
				t.Errorf("cookies = %+v, want none set", w.Result().Cookies())
			}
			wantLoginOutcome(t, hy, tc.wantHydra, "bound", tc.wantHydraQ)
		})
	}
}

func TestVerifyPage(t *testing.T) {
	t.Parallel()
	pending := testPending(idvbridge.JourneyStepUp)
	evil := pending
	evil.CaptureURL = "javascript:alert(1)"
	tests := map[string]struct {
		cookie       string
		progress     authenticator.Progress
		err          error
		wantStatus   int
		wantBody     []string
		wantNot      []string
		wantCalls    int64
		wantClear    bool
		wantAccepted bool
	}{
		"pending step-up": {
			cookie:     "jt-1",
			progress:   authenticator.Progress{Journey: idvbridge.JourneyStepUp, Status: authenticator.CheckPending, Pending: &pending},
			wantStatus: 200, wantCalls: 1,
			wantBody: []string{`id="verify"`, `data-pending="true"`, `id="verify-start"`, `href="https://idv.example/capture/run-1"`,
				"Verify your identity", `id="status"`, `aria-live="polite"`, "Waiting for your identity check…", `id="verify-check"`,
				`id="verify-cancel"`, `name="csrf_token"`, "To finish signing in", `src="static/passkey.js"`},
			wantNot: []string{"jt-1"},
		},
		"pending enrollment": {
			cookie: "jt-1",
			progress: authenticator.Progress{Journey: idvbridge.JourneyEnrollment, Status: authenticator.CheckPending, Pending: &pending,
				Message: "Waiting for the <b>result</b>"},
			wantStatus: 200, wantCalls: 1,
			wantBody: []string{"Finish setting up your account", "Waiting for the &lt;b&gt;result&lt;/b&gt;"},
		},
		"a capture URL that is not http(s) is not linked": {
			cookie:     "jt-1",
			progress:   authenticator.Progress{Journey: idvbridge.JourneyRecovery, Status: authenticator.CheckPending, Pending: &evil},
			wantStatus: 200, wantCalls: 1,
			wantBody: []string{"Recover your account", `id="verify-cancel"`},
			wantNot:  []string{`id="verify-start"`, "javascript"},
		},
		"no cookie": {
			wantStatus: 400, wantBody: []string{`id="error-message"`, "There is no identity check in progress in this browser."},
		},
		"forged cookie": {
			cookie: "forged", err: authenticator.Errorf(authenticator.CodeChallengeUnknown, "no such journey"),
			wantStatus: 400, wantCalls: 1, wantClear: true,
			wantBody: []string{`id="error-message"`, "This sign-in request has expired or was already used; please start again."},
		},
		"step-up passed": {
			cookie: "jt-1",
			progress: authenticator.Progress{Journey: idvbridge.JourneyStepUp, Status: authenticator.CheckPassed,
				Login: &authenticator.AuthenticationResult{LoginChallenge: "bound", Subject: "cust-1", Outcome: stepUp}},
			wantStatus: 200, wantCalls: 1, wantClear: true, wantAccepted: true,
			wantBody: []string{`data-pending="false"`, `data-redirect-to="` + loginAccepted, `id="continue-link"`, "Your identity is verified."},
			wantNot:  []string{`id="verify-cancel"`},
		},
		"recovery passed": {
			cookie: "jt-1",
			progress: authenticator.Progress{Journey: idvbridge.JourneyRecovery, Status: authenticator.CheckPassed,
				Ceremony: &authenticator.Ceremony{ID: "reg-9", Options: json.RawMessage(`{"publicKey":{"challenge":"Y2g"}}`)}},
			wantStatus: 200, wantCalls: 1, wantClear: true,
			wantBody: []string{`data-ceremony="{&#34;ceremony_id&#34;:&#34;reg-9&#34;`, `id="recovery-create"`, "Now create a new passkey"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			auth := &fakeAuth{continueCheck: func(context.Context, authenticator.ContinueRequest) (authenticator.Progress, error) {
				return tc.progress, tc.err
			}}
			h, hy := newServer(t, auth)
			var header []string
			if tc.cookie != "" {
				header = withJourney(tc.cookie)
			}

			w := serve(h, http.MethodGet, "/verify", "", "", header...)

			if w.Code != tc.wantStatus || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
				t.Fatalf("status %d, Content-Type %q; want %d HTML (body %s)", w.Code, w.Header().Get("Content-Type"), tc.wantStatus, w.Body)
			}
			for _, s := range tc.wantBody {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("page lacks %q:\n%s", s, w.Body)
				}
			}
			for _, s := range tc.wantNot {
				if strings.Contains(w.Body.String(), s) {
					t.Errorf("page has %q:\n%s", s, w.Body)
				}
			}
			if n := auth.calls.Load(); n != tc.wantCalls {
				t.Errorf("authenticator calls = %d, want %d", n, tc.wantCalls)
			}
			c := cookieNamed(w, journeyCookie)
			if cleared := c != nil && c.MaxAge < 0; cleared != tc.wantClear {
				t.Errorf("journey cookie = %+v; cleared %t, want %t", c, cleared, tc.wantClear)
			}
			wantLoginCalls(t, hy, one(tc.wantAccepted), 0)
		})
	}
}

// showVerify renders the pending progress page and returns its CSRF cookie
// and form token.
func showVerify(t *testing.T, h http.Handler) (*http.Cookie, string) {
	t.Helper()
	w := serve(h, http.MethodGet, "/verify", "", "", withJourney("jt-1")...)
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200 (body %s)", w.Code, w.Body)
	}
	return formCSRF(t, w, "bp_verify_csrf", "/verify")
}

func TestVerifyFormCancelNeedsTheCSRFToken(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		action, token string // token "": the page's
		dropCSRF      bool
		wantStatus    int
		wantCancel    *bool // the second plugin call's Cancel; nil: no second call
		wantRejected  bool
		wantBody      string
	}{
		"cancel":            {action: "cancel", wantStatus: 200, wantCancel: ptr(true), wantRejected: true, wantBody: `id="continue-link"`},
		"forged token":      {action: "cancel", token: "forged", wantStatus: 403, wantBody: "This form has expired"},
		"no csrf cookie":    {action: "cancel", dropCSRF: true, wantStatus: 403, wantBody: "This form has expired"},
		"check again":       {action: "check", token: "whatever", wantStatus: 200, wantCancel: ptr(false), wantBody: `id="verify-check"`},
		"unknown action":    {action: "skip", wantStatus: 400, wantBody: "Choose Check again or Cancel."},
		"empty cancel form": {action: "cancel", token: " ", wantStatus: 403},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var reqs []authenticator.ContinueRequest
			pending := testPending(idvbridge.JourneyStepUp)
			auth := &fakeAuth{continueCheck: func(_ context.Context, req authenticator.ContinueRequest) (authenticator.Progress, error) {
				reqs = append(reqs, req)
				if req.Cancel {
					return authenticator.Progress{Journey: idvbridge.JourneyStepUp, Status: authenticator.CheckFailed,
						Reason: authenticator.CheckReasonCancelled, Message: "You cancelled the check.",
						Login: &authenticator.AuthenticationResult{LoginChallenge: "bound", Error: acr.ErrorUnmetRequirements, ErrorDescription: "cancelled"}}, nil
				}
				return authenticator.Progress{Journey: idvbridge.JourneyStepUp, Status: authenticator.CheckPending, Pending: &pending}, nil
			}}
			h, hy := newServer(t, auth)
			csrf, token := showVerify(t, h)
			if tc.token != "" {
				token = strings.TrimSpace(tc.token)
			}
			cookies := journeyCookie + "=jt-1"
			if !tc.dropCSRF {
				cookies += "; " + csrf.Name + "=" + csrf.Value
			}
			form := url.Values{"action": {tc.action}, "csrf_token": {token}}

			w := serve(h, http.MethodPost, "/verify", "application/x-www-form-urlencoded", form.Encode(), "Cookie", cookies)

			if w.Code != tc.wantStatus || !strings.Contains(w.Body.String(), tc.wantBody) {
				t.Fatalf("status %d, body %s; want %d containing %q", w.Code, w.Body, tc.wantStatus, tc.wantBody)
			}
			switch {
			case tc.wantCancel == nil && len(reqs) != 1:
				t.Errorf("plugin calls = %+v, want only the page's", reqs)
			case tc.wantCancel != nil && (len(reqs) != 2 || reqs[1].Cancel != *tc.wantCancel || reqs[1].Token != "jt-1"):
				t.Errorf("plugin calls = %+v, want a second for jt-1 with cancel %t", reqs, *tc.wantCancel)
			}
			wantLoginCalls(t, hy, 0, one(tc.wantRejected))
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestRecoveryPage(t *testing.T) {
	t.Parallel()
	h, hy := newServer(t, &fakeAuth{})
	hy.set(func(f *fakeHydra) { f.logins["c1"] = testLoginRequest("c1") })

	w := serve(h, http.MethodGet, "/recover?login_challenge=c1", "", "")
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200 (body %s)", w.Code, w.Body)
	}
	for _, s := range []string{`id="recover"`, `data-login-challenge="c1"`, `id="recovery-form"`, `id="recovery-username"`, `value="alice"`,
		`id="recovery-submit"`, `id="status"`, `href="login?login_challenge=c1"`, "Example Bank", `src="static/passkey.js"`} {
		if !strings.Contains(w.Body.String(), s) {
			t.Errorf("recovery page lacks %q:\n%s", s, w.Body)
		}
	}
	for target, want := range map[string]string{
		"/recover":                      "missing its login_challenge parameter",
		"/recover?login_challenge=nope": "expired or was already used",
	} {
		if w := serve(h, http.MethodGet, target, "", ""); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), want) {
			t.Errorf("%s: status %d, body %s; want 400 saying %q", target, w.Code, w.Body, want)
		}
	}
}

func TestRecoveryBegin(t *testing.T) {
	t.Parallel()
	pending := testPending(idvbridge.JourneyRecovery)
	tests := map[string]struct {
		err          error
		wantStatus   int
		wantBody     map[string]any
		wantCookie   bool
		wantRejected bool
	}{
		"started": {wantStatus: 200, wantCookie: true, wantBody: map[string]any{
			"redirect_to": "http://localhost:8081/verify", "identity_check": map[string]any{
				"journey": "recovery", "capture_url": "https://idv.example/capture/run-1", "expires_at": "2026-03-01T12:15:00Z"}}},
		"rate limited": {err: authenticator.ErrRateLimited, wantStatus: 429,
			wantBody: map[string]any{"error": "rate_limited", "message": authenticator.ErrRateLimited.Message}},
		"refused by policy": {err: authenticator.UserError(authenticator.CodePolicy, "recovery is not available for this account", nil), wantStatus: 403,
			wantBody: map[string]any{"error": "policy_denied", "message": "recovery is not available for this account"}},
		"cannot meet the login's level": {err: authenticator.UserError(authenticator.CodeUnmetRequirements, "recovery cannot reach the requested level", nil),
			wantStatus: 403, wantRejected: true,
			wantBody: map[string]any{"error": "unmet_authentication_requirements", "message": "recovery cannot reach the requested level", "redirect_to": loginRejected}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var got authenticator.BeginRecoveryRequest
			auth := &fakeAuth{beginRecovery: func(_ context.Context, req authenticator.BeginRecoveryRequest) (authenticator.PendingCheck, error) {
				got = req
				if tc.err != nil {
					return authenticator.PendingCheck{}, tc.err
				}
				return pending, nil
			}}
			h, hy := newServer(t, auth)
			lr := testLoginRequest("c1")
			hy.set(func(f *fakeHydra) { f.logins["c1"] = lr })

			w := postJSON(h, "/api/v1/recovery/begin", `{"login_challenge":"c1","username":" alice "}`)

			if w.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", w.Code, tc.wantStatus, w.Body)
			}
			want := authenticator.BeginRecoveryRequest{Username: "alice", ReturnURL: "http://localhost:8081/verify", Login: authenticator.LoginRequest{
				Challenge: "c1", SessionID: "sid-1", ClientID: "bank", ACRValues: []string{acr.StepUpACR}, RequestURL: lr.RequestUrl, LoginHint: "alice"}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("BeginRecovery request mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantBody, decodeBody[map[string]any](t, w)); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
			if c := cookieNamed(w, journeyCookie); (c != nil && c.Value == "jt-1" && c.HttpOnly) != tc.wantCookie {
				t.Errorf("journey cookie = %+v, want set %t", c, tc.wantCookie)
			}
			wantLoginCalls(t, hy, 0, one(tc.wantRejected))
		})
	}
}

func TestEnrollPageResumesAtTheIdentityCheck(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		pending      authenticator.PendingCheck
		err          error
		wantStatus   int
		wantLocation string
		wantCookie   bool
		wantBody     string
	}{
		"biometric_pending user": {pending: testPending(idvbridge.JourneyEnrollment), wantStatus: 303,
			wantLocation: "http://localhost:8081/verify", wantCookie: true},
		"recovery link": {pending: testPending(idvbridge.JourneyRecovery), wantStatus: 303,
			wantLocation: "http://localhost:8081/verify", wantCookie: true},
		"register a passkey first": {wantStatus: 200, wantBody: `id="enroll-button"`},
		"spent link": {err: authenticator.Errorf(authenticator.CodeChallengeUnknown, "used"), wantStatus: 400,
			wantBody: "This link is not valid or has expired. Ask the application for a new one."},
		"unknown link": {err: authenticator.Errorf(authenticator.CodeNotFound, "no such token"), wantStatus: 400,
			wantBody: "This link is not valid or has expired."},
		"rate limited": {err: authenticator.ErrRateLimited, wantStatus: 429, wantBody: "Too many attempts"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			auth := &fakeAuth{resumeEnrollment: func(context.Context, authenticator.ResumeEnrollmentRequest) (authenticator.PendingCheck, error) {
				return tc.pending, tc.err
			}}
			h, _ := newServer(t, auth)

			w := serve(h, http.MethodGet, "/enroll?token=t1", "", "")

			if w.Code != tc.wantStatus || w.Header().Get("Location") != tc.wantLocation || !strings.Contains(w.Body.String(), tc.wantBody) {
				t.Fatalf("status %d, Location %q; want %d, %q, body containing %q (body %s)",
					w.Code, w.Header().Get("Location"), tc.wantStatus, tc.wantLocation, tc.wantBody, w.Body)
			}
			if c := cookieNamed(w, journeyCookie); (c != nil && c.Value == "jt-1" && c.SameSite == http.SameSiteLaxMode) != tc.wantCookie {
				t.Errorf("journey cookie = %+v, want set %t", c, tc.wantCookie)
			}
		})
	}
}

func TestEnrollFinishContinuesTheJourney(t *testing.T) {
	t.Parallel()
	pending := testPending(idvbridge.JourneyEnrollment)
	user := authenticator.User{ExternalID: "cust-1", Status: authenticator.UserBiometricPending}
	tests := map[string]struct {
		reg        authenticator.Registration
		wantBody   map[string]any
		wantCookie bool
		wantHydra  string
	}{
		"identity check next": {
			reg:        authenticator.Registration{User: user, ReturnURL: "https://bank.example/done", Pending: &pending},
			wantCookie: true,
			wantBody: map[string]any{"status": "biometric_pending", "return_url": "https://bank.example/done",
				"redirect_to": "http://localhost:8081/verify", "identity_check": map[string]any{
					"journey": "enrollment", "capture_url": "https://idv.example/capture/run-1", "expires_at": "2026-03-01T12:15:00Z"}},
		},
		"recovery finishes its login": {
			reg: authenticator.Registration{User: authenticator.User{ExternalID: "cust-1", Status: authenticator.UserEnrolled}, Replaced: 2,
				Login: &authenticator.AuthenticationResult{LoginChallenge: "bound", Subject: "cust-1", Outcome: stepUp}},
			wantHydra: hydraLoginAccept,
			wantBody:  map[string]any{"status": "enrolled", "replaced": float64(2), "redirect_to": loginAccepted},
		},
		"recovery refuses its login": {
			reg: authenticator.Registration{User: authenticator.User{ExternalID: "cust-1", Status: authenticator.UserEnrolled}, Replaced: 1,
				Login: &authenticator.AuthenticationResult{LoginChallenge: "bound", Error: acr.ErrorUnmetRequirements, ErrorDescription: "too low"}},
			wantHydra: hydraLoginReject,
			wantBody: map[string]any{"status": "enrolled", "replaced": float64(1), "redirect_to": loginRejected,
				"error": acr.ErrorUnmetRequirements, "message": "too low"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var got authenticator.FinishRequest
			auth := &fakeAuth{finishRegistration: func(_ context.Context, req authenticator.FinishRequest) (authenticator.Registration, error) {
				got = req
				return tc.reg, nil
			}}
			h, hy := newServer(t, auth)

			w := postJSON(h, "/api/v1/enroll/finish", `{"ceremony_id":"reg-1","credential":{}}`)

			if w.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200 (body %s)", w.Code, w.Body)
			}
			if got.ReturnURL != "http://localhost:8081/verify" {
				t.Errorf("FinishRegistration ReturnURL = %q, want the progress page", got.ReturnURL)
			}
			if diff := cmp.Diff(tc.wantBody, decodeBody[map[string]any](t, w)); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
			if c := cookieNamed(w, journeyCookie); (c != nil && c.Value == "jt-1") != tc.wantCookie {
				t.Errorf("journey cookie = %+v, want set %t", c, tc.wantCookie)
			}
			wantLoginCalls(t, hy, one(tc.wantHydra == hydraLoginAccept), one(tc.wantHydra == hydraLoginReject))
		})
	}
}

func TestLoginPageShowsTheAuthorizationDetails(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		details    string
		wantStatus int
		want       []string
		wantNot    []string
	}{
		"payment": {details: paymentDetails, wantStatus: 200, want: []string{`id="authorization-details"`, "You are approving",
			`data-type="payment_initiation"`, "Pay €123.50 to Merchant A (DE02100100109307118603)", "Reference: Ref 42",
			"<dt>instructedAmount.currency</dt><dd>EUR</dd>", "<dt>actions</dt><dd>initiate</dd>",
			"<h1>Approve and sign in</h1>", `id="recovery-hint"`},
			// A recovery signs no transaction (authenticator.BeginRecovery refuses it).
			wantNot: []string{`id="recovery-link"`}},
		"HTML in the creditor name is escaped": {
			details: `[{"type":"payment_initiation","instructedAmount":{"currency":"USD","amount":"5"},` +
				`"creditorName":"<script>alert(1)</script><img src=x onerror=alert(2)>","remittanceInformationUnstructured":"\"><b>x</b>"}]`,
			wantStatus: 200,
			want: []string{"Pay $5 to &lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;",
				"Reference: &#34;&gt;&lt;b&gt;x&lt;/b&gt;"},
			wantNot: []string{"<script>alert", "<img src=x", "<b>x</b>"},
		},
		"another type as a key/value list": {
			details:    `[{"type":"account_information","actions":["read"],"locations":["https://api.bank.example"],"scope":{"accounts":[{"iban":"DE1"}],"history":true}}]`,
			wantStatus: 200,
			want: []string{`<p class="detail-type">account_information</p>`, "<dt>locations</dt><dd>https://api.bank.example</dd>",
				"<dt>scope.accounts[0].iban</dt><dd>DE1</dd>", "<dt>scope.history</dt><dd>true</dd>"},
			wantNot: []string{"detail-summary"},
		},
		"no details": {wantStatus: 200, want: []string{"<h1>Sign in</h1>", `id="recovery-link" href="recover?login_challenge=c1"`},
			wantNot: []string{`id="authorization-details"`, `id="recovery-hint"`}},
		"malformed details are refused, not hidden": {details: `[{"type":"payment_initiation","amount":1.50}]`, wantStatus: 400,
			want: []string{"transaction details that cannot be shown"}, wantNot: []string{`id="passkey-signin"`}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			auth := &fakeAuth{decideLogin: func(context.Context, authenticator.LoginRequest) (authenticator.LoginDecision, error) {
				return authenticator.LoginDecision{Action: acr.ActionAuthenticate, Target: acr.StepUpACR}, nil
			}}
			h, hy := newServer(t, auth)
			lr := testLoginRequest("c1")
			if tc.details != "" {
				lr.RequestUrl += "&authorization_details=" + url.QueryEscape(tc.details)
			}
			hy.set(func(f *fakeHydra) { f.logins["c1"] = lr })

			w := serve(h, http.MethodGet, "/login?login_challenge=c1", "", "")

			if w.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", w.Code, tc.wantStatus, w.Body)
			}
			page := w.Body.String()
			for _, s := range tc.want {
				if !strings.Contains(page, s) {
					t.Errorf("page lacks %q:\n%s", s, page)
				}
			}
			for _, s := range tc.wantNot {
				if strings.Contains(page, s) {
					t.Errorf("page has %q:\n%s", s, page)
				}
			}
		})
	}
}

// The login accept carries what the ceremony approved to the consent step
// (and only there: the browser's answer does not echo it).
func TestLoginFinishCarriesTheApprovalToConsent(t *testing.T) {
	t.Parallel()
	canonical, hash := approvedPayment(t)
	auth := &fakeAuth{finishAuthentication: func(context.Context, authenticator.FinishRequest) (authenticator.AuthenticationResult, error) {
		return authenticator.AuthenticationResult{LoginChallenge: "bound", Subject: "cust-1", Outcome: stepUp, AuthTime: testNow,
			AuthorizationDetails: canonical, DetailsHash: hash, ApprovalID: "apr-1"}, nil
	}}
	h, hy := newServer(t, auth)

	w := postJSON(h, "/api/v1/login/finish", `{"ceremony_id":"cer-1","credential":{}}`)

	if w.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200 (body %s)", w.Code, w.Body)
	}
	if got := decodeBody[map[string]any](t, w); len(got) != 1 || got["redirect_to"] != loginAccepted {
		t.Errorf("finish answered %v, want only redirect_to", got)
	}
	calls := hy.callsTo(hydraLoginAccept)
	if len(calls) != 1 {
		t.Fatalf("hydra accepts = %+v, want one", calls)
	}
	want := map[string]any{"biometric_passkey": map[string]any{"acr": acr.StepUpACR, "auth_time": float64(testNow.Unix()),
		"authorization_details": string(canonical), "authorization_details_hash": hash, "approval_id": "apr-1"}}
	if diff := cmp.Diff(want, calls[0].Body["context"]); diff != "" {
		t.Errorf("accept context mismatch (-want +got):\n%s", diff)
	}
}

// FuzzLoginPageAuthorizationDetails: whatever authorization_details the
// authorize request carries, the sign-in page renders them (200) or refuses
// them (400), never fails otherwise, and never lets markup through.
func FuzzLoginPageAuthorizationDetails(f *testing.F) {
	for _, s := range []string{paymentDetails, `[]`, `[{}]`, `[{"type":""}]`, `[{"type":"x","a":[[[]]]}]`, `[{"type":"x","a":[1,"b",null,true,{}]}]`,
		`[{"type":"payment_initiation","instructedAmount":{"amount":5,"currency":"<i>"},"creditorName":"<b>"}]`,
		`[{"type":"payment_initiation","instructedAmount":"5","creditorName":{"x":1},"creditorAccount":[1]}]`, `{"type":"x"}`, "\xff", ""} {
		f.Add(s)
	}
	hy := newFakeHydra(f)
	f.Fuzz(func(t *testing.T, details string) {
		auth := &fakeAuth{decideLogin: func(context.Context, authenticator.LoginRequest) (authenticator.LoginDecision, error) {
			return authenticator.LoginDecision{Action: acr.ActionAuthenticate}, nil
		}}
		h := newProvider(t, hy, auth)
		lr := testLoginRequest("c1")
		lr.RequestUrl += "&authorization_details=" + url.QueryEscape(details)
		hy.set(func(f *fakeHydra) { f.logins["c1"] = lr })

		w := serve(h, http.MethodGet, "/login?login_challenge=c1", "", "")

		if w.Code != http.StatusOK && w.Code != http.StatusBadRequest {
			t.Fatalf("status %d for %q, want 200 or 400 (body %s)", w.Code, details, w.Body)
		}
		if strings.Contains(w.Body.String(), "<b>") || strings.Contains(w.Body.String(), "<i>") {
			t.Fatalf("markup from the details reached the page for %q", details)
		}
	})
}
