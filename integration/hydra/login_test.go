package hydra_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/integration/hydra"
)

var stepUp = acr.Outcome{ACR: acr.StepUpACR, AMR: []string{"face", "hwk", "mfa", "user"}}

func TestLoginPageFollowsTheDecision(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		skip     bool
		decision authenticator.LoginDecision
		// wantStatus and wantLocation describe the answer; wantHydra the
		// admin call made (path and JSON body), if any.
		wantStatus   int
		wantLocation string
		wantBody     []string
		wantHydra    string
		wantHydraReq map[string]any
	}{
		"authenticate shows the sign-in page": {
			decision:   authenticator.LoginDecision{Action: acr.ActionAuthenticate, Target: acr.StepUpACR},
			wantStatus: http.StatusOK,
			wantBody: []string{`id="passkey-signin"`, `data-login-challenge="c1"`, `id="username"`, `value="alice"`,
				`id="username-signin"`, `id="status"`, "Example Bank", `src="static/passkey.js"`},
		},
		"accept sends acr, amr and remember on a skipped login": {
			skip: true,
			decision: authenticator.LoginDecision{Action: acr.ActionAccept, Subject: "cust-1", Outcome: stepUp,
				AuthTime: testNow.Add(-time.Hour)},
			wantStatus:   http.StatusSeeOther,
			wantLocation: loginAccepted,
			wantHydra:    hydraLoginAccept,
			wantHydraReq: map[string]any{
				"subject": "cust-1", "acr": acr.StepUpACR, "amr": []any{"face", "hwk", "mfa", "user"},
				"remember": true, "remember_for": float64(3600),
				// The recorded sign-in's time, not now: for the access token.
				"context": wantLoginContext(acr.StepUpACR, testNow.Add(-time.Hour)),
			},
		},
		"reauthenticate restarts the authorization with prompt=login": {
			skip:       true,
			decision:   authenticator.LoginDecision{Action: acr.ActionReauthenticate, Target: acr.StepUpACR},
			wantStatus: http.StatusSeeOther,
			wantLocation: hydraPublic + "/oauth2/auth?acr_values=urn%3Abiometric-passkey%3Aacr%3Astep-up" +
				"&client_id=bank&prompt=login&state=s1",
		},
		"reject refuses the login at hydra": {
			decision: authenticator.LoginDecision{Action: acr.ActionReject, Error: acr.ErrorUnmetRequirements,
				Description: "none of the requested acr values can be reached"},
			wantStatus:   http.StatusSeeOther,
			wantLocation: loginRejected,
			wantHydra:    hydraLoginReject,
			wantHydraReq: map[string]any{"error": acr.ErrorUnmetRequirements,
				"error_description": "none of the requested acr values can be reached"},
		},
		"an unknown action is an internal error": {
			decision:   authenticator.LoginDecision{Action: "dance"},
			wantStatus: http.StatusInternalServerError,
			wantBody:   []string{`id="error-message"`, "Something went wrong on our side"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var got authenticator.LoginRequest
			auth := &fakeAuth{decideLogin: func(_ context.Context, req authenticator.LoginRequest) (authenticator.LoginDecision, error) {
				got = req
				return tc.decision, nil
			}}
			h, hy := newServer(t, auth)
			lr := testLoginRequest("c1")
			if tc.skip {
				lr.Skip, lr.Subject = true, "cust-1"
			}
			hy.set(func(f *fakeHydra) { f.logins["c1"] = lr })

			w := serve(h, http.MethodGet, "/login?login_challenge=c1", "", "")

			if w.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", w.Code, tc.wantStatus, w.Body)
			}
			if loc := w.Header().Get("Location"); loc != tc.wantLocation {
				t.Errorf("Location = %q, want %q", loc, tc.wantLocation)
			}
			for _, s := range tc.wantBody {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("body lacks %q:\n%s", s, w.Body)
				}
			}
			want := authenticator.LoginRequest{
				Challenge: "c1", SessionID: "sid-1", ClientID: "bank", Skip: tc.skip, Subject: lr.Subject,
				ACRValues: []string{acr.StepUpACR}, RequestURL: lr.RequestUrl, LoginHint: "alice",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("DecideLogin request mismatch (-want +got):\n%s", diff)
			}
			wantLoginOutcome(t, hy, tc.wantHydra, "c1", tc.wantHydraReq)
		})
	}
}

func TestLoginPageRefusesBadChallenges(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		target       string
		decideErr    error
		wantStatus   int
		wantLocation string
		wantBody     string
		wantDecide   bool
	}{
		"missing challenge": {
			target: "/login", wantStatus: http.StatusBadRequest,
			wantBody: "This link is missing its login_challenge parameter",
		},
		"unknown challenge": {
			target: "/login?login_challenge=nope", wantStatus: http.StatusBadRequest,
			wantBody: "This sign-in request has expired or was already used",
		},
		"already handled": {
			target: "/login?login_challenge=done", wantStatus: http.StatusSeeOther,
			wantLocation: hydraPublic + "/oauth2/auth?client_id=bank",
		},
		"plugin unavailable": {
			target: "/login?login_challenge=c1", decideErr: authenticator.Errorf(authenticator.CodeUnavailable, "dial plugin: connection refused"),
			wantStatus: http.StatusServiceUnavailable, wantBody: "The service is temporarily unavailable", wantDecide: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			auth := &fakeAuth{decideLogin: func(context.Context, authenticator.LoginRequest) (authenticator.LoginDecision, error) {
				return authenticator.LoginDecision{}, tc.decideErr
			}}
			h, hy := newServer(t, auth)
			hy.set(func(f *fakeHydra) { f.logins["c1"] = testLoginRequest("c1") })
			hy.set(func(f *fakeHydra) { f.gone["done"] = hydraPublic + "/oauth2/auth?client_id=bank" })

			w := serve(h, http.MethodGet, tc.target, "", "")

			if w.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", w.Code, tc.wantStatus, w.Body)
			}
			if loc := w.Header().Get("Location"); loc != tc.wantLocation {
				t.Errorf("Location = %q, want %q", loc, tc.wantLocation)
			}
			if !strings.Contains(w.Body.String(), tc.wantBody) {
				t.Errorf("body lacks %q:\n%s", tc.wantBody, w.Body)
			}
			if strings.Contains(w.Body.String(), "connection refused") {
				t.Errorf("body leaks internal detail:\n%s", w.Body)
			}
			if got := auth.calls.Load() == 1; got != tc.wantDecide {
				t.Errorf("DecideLogin called = %t, want %t", got, tc.wantDecide)
			}
			if tc.wantStatus == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
				t.Errorf("503 without Retry-After")
			}
		})
	}
}

// requestOptions is what the fake plugin returns from BeginAuthentication.
const requestOptions = `{"publicKey":{"challenge":"Y2hhbGxlbmdl","timeout":60000,"rpId":"localhost","allowCredentials":[],"userVerification":"required"}}`

type ceremonyJSON struct {
	CeremonyID string          `json:"ceremony_id"`
	PublicKey  json.RawMessage `json:"public_key"`
	ExpiresAt  time.Time       `json:"expires_at"`
}

func TestLoginBeginBindsTheHydraLogin(t *testing.T) {
	t.Parallel()
	var got authenticator.BeginAuthenticationRequest
	auth := &fakeAuth{beginAuthentication: func(_ context.Context, req authenticator.BeginAuthenticationRequest) (authenticator.Ceremony, error) {
		got = req
		return authenticator.Ceremony{ID: "cer-1", Options: json.RawMessage(requestOptions), ExpiresAt: testNow.Add(5 * time.Minute)}, nil
	}}
	h, hy := newServer(t, auth)
	lr := testLoginRequest("c1")
	hy.set(func(f *fakeHydra) { f.logins["c1"] = lr })

	w := postJSON(h, "/api/v1/login/begin", `{"login_challenge":"c1","username":" alice "}`)

	if w.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200 (body %s)", w.Code, w.Body)
	}
	want := authenticator.BeginAuthenticationRequest{Username: "alice", Login: authenticator.LoginRequest{
		Challenge: "c1", SessionID: "sid-1", ClientID: "bank", ACRValues: []string{acr.StepUpACR},
		RequestURL: lr.RequestUrl, LoginHint: "alice",
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("BeginAuthentication request mismatch (-want +got):\n%s", diff)
	}
	res := decodeBody[ceremonyJSON](t, w)
	wantPK := `{"challenge":"Y2hhbGxlbmdl","timeout":60000,"rpId":"localhost","allowCredentials":[],"userVerification":"required"}`
	if res.CeremonyID != "cer-1" || string(res.PublicKey) != wantPK || !res.ExpiresAt.Equal(testNow.Add(5*time.Minute)) {
		t.Errorf("begin answered %+v (public_key %s), want cer-1, %s, %v", res, res.PublicKey, wantPK, testNow.Add(5*time.Minute))
	}
}

func TestLoginBeginRefusesUnreachableLevelsAtHydra(t *testing.T) {
	t.Parallel()
	const why = `acr value "urn:x" is not supported by this provider`
	auth := &fakeAuth{beginAuthentication: func(context.Context, authenticator.BeginAuthenticationRequest) (authenticator.Ceremony, error) {
		return authenticator.Ceremony{}, authenticator.UserError(authenticator.CodeUnmetRequirements, why, nil)
	}}
	h, hy := newServer(t, auth)
	hy.set(func(f *fakeHydra) { f.logins["c1"] = testLoginRequest("c1") })

	w := postJSON(h, "/api/v1/login/begin", `{"login_challenge":"c1"}`)

	if w.Code != http.StatusForbidden {
		t.Errorf("status = %d, want 403 (body %s)", w.Code, w.Body)
	}
	want := apiError{Error: acr.ErrorUnmetRequirements, Message: why, RedirectTo: loginRejected}
	if diff := cmp.Diff(want, decodeBody[apiError](t, w)); diff != "" {
		t.Errorf("error body mismatch (-want +got):\n%s", diff)
	}
	wantLoginOutcome(t, hy, hydraLoginReject, "c1", map[string]any{"error": acr.ErrorUnmetRequirements, "error_description": why})
}

func TestLoginBeginRefusesUnknownLogins(t *testing.T) {
	t.Parallel()
	auth := &fakeAuth{}
	h, hy := newServer(t, auth)
	hy.set(func(f *fakeHydra) { f.gone["done"] = hydraPublic + "/oauth2/auth?client_id=bank" })

	for body, want := range map[string]apiError{
		`{"login_challenge":"nope"}`: {Error: "challenge_unknown", Message: authenticator.ErrChallengeUnknown.Message},
		`{"login_challenge":"done"}`: {Error: "challenge_unknown", Message: authenticator.ErrChallengeUnknown.Message,
			RedirectTo: hydraPublic + "/oauth2/auth?client_id=bank"},
	} {
		w := postJSON(h, "/api/v1/login/begin", body)
		if w.Code != http.StatusGone {
			t.Errorf("%s: status = %d, want 410", body, w.Code)
		}
		if diff := cmp.Diff(want, decodeBody[apiError](t, w)); diff != "" {
			t.Errorf("%s: error body mismatch (-want +got):\n%s", body, diff)
		}
	}
	if n := auth.calls.Load(); n != 0 {
		t.Errorf("authenticator called %d times, want 0", n)
	}
}

func TestLoginFinishAcceptsTheBoundLogin(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		rememberFor     time.Duration
		wantRememberFor float64
		authTime        time.Time // the result's
		wantAuthTime    time.Time
	}{
		"the authenticator's remember_for": {rememberFor: 30 * time.Minute, wantRememberFor: 1800,
			authTime: testNow.Add(-2 * time.Second), wantAuthTime: testNow.Add(-2 * time.Second)},
		"the configured default":  {rememberFor: 0, wantRememberFor: 3600, authTime: testNow, wantAuthTime: testNow},
		"no auth time: the clock": {rememberFor: 0, wantRememberFor: 3600, wantAuthTime: testNow},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var got authenticator.FinishRequest
			auth := &fakeAuth{finishAuthentication: func(_ context.Context, req authenticator.FinishRequest) (authenticator.AuthenticationResult, error) {
				got = req
				return authenticator.AuthenticationResult{LoginChallenge: "bound", Subject: "cust-1", Outcome: stepUp,
					AuthTime: tc.authTime, RememberFor: tc.rememberFor}, nil
			}}
			var observed [][3]string
			h, hy := newServer(t, auth, func(c *hydra.Config) {
				c.ObserveLogin = func(result, acr, code string) { observed = append(observed, [3]string{result, acr, code}) }
			})

			w := postJSON(h, "/api/v1/login/finish", `{"ceremony_id":"cer-1","credential":{"id":"abc","type":"public-key"}}`)

			if w.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200 (body %s)", w.Code, w.Body)
			}
			if got.CeremonyID != "cer-1" || string(got.Response) != `{"id":"abc","type":"public-key"}` {
				t.Errorf("FinishAuthentication got %q, %s; want cer-1 and the credential verbatim", got.CeremonyID, got.Response)
			}
			if res := decodeBody[map[string]string](t, w); res["redirect_to"] != loginAccepted || len(res) != 1 {
				t.Errorf("finish answered %v, want only redirect_to %s", res, loginAccepted)
			}
			calls := hy.callsTo(hydraLoginAccept)
			if len(calls) != 1 || calls[0].Challenge != "bound" {
				t.Fatalf("hydra accept calls = %+v, want one for the bound challenge", calls)
			}
			want := map[string]any{"subject": "cust-1", "acr": acr.StepUpACR, "amr": []any{"face", "hwk", "mfa", "user"},
				"remember": true, "remember_for": tc.wantRememberFor, "context": wantLoginContext(acr.StepUpACR, tc.wantAuthTime)}
			if diff := cmp.Diff(want, calls[0].Body); diff != "" {
				t.Errorf("accept body mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([][3]string{{"accepted", acr.StepUpACR, ""}}, observed); diff != "" {
				t.Errorf("ObserveLogin calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoginFinishIgnoresClientChallenges(t *testing.T) {
	t.Parallel()
	auth := &fakeAuth{}
	h, hy := newServer(t, auth)

	w := postJSON(h, "/api/v1/login/finish", `{"ceremony_id":"cer-1","login_challenge":"victim","credential":{}}`)

	if w.Code != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", w.Code)
	}
	if got := decodeBody[apiError](t, w); got.Field != "login_challenge" {
		t.Errorf("error field = %q, want login_challenge", got.Field)
	}
	if n := auth.calls.Load(); n != 0 || len(hy.callsTo(hydraLoginAccept)) != 0 {
		t.Errorf("authenticator calls = %d, hydra accepts = %d; want none", n, len(hy.callsTo(hydraLoginAccept)))
	}
}

func TestLoginFinishRefusesUnmetRequirements(t *testing.T) {
	t.Parallel()
	const why = "the requested level of assurance cannot be met"
	auth := &fakeAuth{finishAuthentication: func(context.Context, authenticator.FinishRequest) (authenticator.AuthenticationResult, error) {
		return authenticator.AuthenticationResult{LoginChallenge: "bound", Error: acr.ErrorUnmetRequirements, ErrorDescription: why}, nil
	}}
	var observed [][3]string
	h, hy := newServer(t, auth, func(c *hydra.Config) {
		c.ObserveLogin = func(result, acr, code string) { observed = append(observed, [3]string{result, acr, code}) }
	})

	w := postJSON(h, "/api/v1/login/finish", `{"ceremony_id":"cer-1","credential":{}}`)

	if w.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200 (body %s)", w.Code, w.Body)
	}
	if diff := cmp.Diff([][3]string{{"rejected", "", acr.ErrorUnmetRequirements}}, observed); diff != "" {
		t.Errorf("ObserveLogin calls (-want +got):\n%s", diff)
	}
	want := map[string]string{"redirect_to": loginRejected, "error": acr.ErrorUnmetRequirements, "message": why}
	if diff := cmp.Diff(want, decodeBody[map[string]string](t, w)); diff != "" {
		t.Errorf("finish body mismatch (-want +got):\n%s", diff)
	}
	wantLoginOutcome(t, hy, hydraLoginReject, "bound", map[string]any{"error": acr.ErrorUnmetRequirements, "error_description": why})
}

// A refusal that names no login cannot be delivered to the relying party:
// it is the plugin's bug, answered as internal without calling Hydra.
func TestLoginFinishRefusalWithoutChallenge(t *testing.T) {
	t.Parallel()
	auth := &fakeAuth{finishAuthentication: func(context.Context, authenticator.FinishRequest) (authenticator.AuthenticationResult, error) {
		return authenticator.AuthenticationResult{Error: acr.ErrorUnmetRequirements, ErrorDescription: "no"}, nil
	}}
	h, hy := newServer(t, auth)

	w := postJSON(h, "/api/v1/login/finish", `{"ceremony_id":"cer-1","credential":{}}`)

	if w.Code != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500 (body %s)", w.Code, w.Body)
	}
	if got := decodeBody[apiError](t, w); got.Error != "internal" || got.RedirectTo != "" {
		t.Errorf("body = %+v, want internal without redirect_to", got)
	}
	wantLoginCalls(t, hy, 0, 0)
}

func TestLoginFinishFollowsHydraWhenAlreadyHandled(t *testing.T) {
	t.Parallel()
	auth := &fakeAuth{finishAuthentication: func(context.Context, authenticator.FinishRequest) (authenticator.AuthenticationResult, error) {
		return authenticator.AuthenticationResult{LoginChallenge: "done", Subject: "cust-1", Outcome: stepUp}, nil
	}}
	h, hy := newServer(t, auth)
	hy.set(func(f *fakeHydra) { f.gone["done"] = hydraPublic + "/oauth2/auth?client_id=bank" })

	w := postJSON(h, "/api/v1/login/finish", `{"ceremony_id":"cer-1","credential":{}}`)

	if w.Code != http.StatusGone {
		t.Fatalf("status = %d, want 410 (body %s)", w.Code, w.Body)
	}
	if got := decodeBody[apiError](t, w); got.RedirectTo != hydraPublic+"/oauth2/auth?client_id=bank" {
		t.Errorf("redirect_to = %q, want hydra's", got.RedirectTo)
	}
}

func TestAPIErrorsMapToStatuses(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		err        error
		wantStatus int
		wantCode   string
	}{
		"invalid argument":  {authenticator.Errorf(authenticator.CodeInvalidArgument, "secret detail"), http.StatusBadRequest, "invalid_argument"},
		"not found":         {authenticator.Errorf(authenticator.CodeNotFound, "secret detail"), http.StatusNotFound, "not_found"},
		"conflict":          {authenticator.Errorf(authenticator.CodeConflict, "secret detail"), http.StatusConflict, "conflict"},
		"challenge unknown": {authenticator.Errorf(authenticator.CodeChallengeUnknown, "secret detail"), http.StatusGone, "challenge_unknown"},
		"verification":      {authenticator.Errorf(authenticator.CodeVerification, "secret detail"), http.StatusForbidden, "verification_failed"},
		"revoked":           {authenticator.Errorf(authenticator.CodeCredentialRevoked, "secret detail"), http.StatusForbidden, "credential_revoked"},
		"flagged":           {authenticator.Errorf(authenticator.CodeCredentialFlagged, "secret detail"), http.StatusForbidden, "credential_flagged"},
		"suspended":         {authenticator.Errorf(authenticator.CodeUserSuspended, "secret detail"), http.StatusForbidden, "user_suspended"},
		"policy":            {authenticator.Errorf(authenticator.CodePolicy, "secret detail"), http.StatusForbidden, "policy_denied"},
		"unmet, unbound":    {authenticator.Errorf(authenticator.CodeUnmetRequirements, "secret detail"), http.StatusForbidden, "unmet_authentication_requirements"},
		"unavailable":       {authenticator.Errorf(authenticator.CodeUnavailable, "secret detail"), http.StatusServiceUnavailable, "unavailable"},
		"rate limited":      {authenticator.Errorf(authenticator.CodeRateLimited, "secret detail"), http.StatusTooManyRequests, "rate_limited"},
		"internal":          {authenticator.Errorf(authenticator.CodeInternal, "secret detail"), http.StatusInternalServerError, "internal"},
		"not typed":         {errors.New("secret detail"), http.StatusInternalServerError, "internal"},
		"newer plugin code": {&authenticator.Error{Code: "quantum", Message: "try later", Err: errors.New("secret detail")}, http.StatusInternalServerError, "quantum"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			auth := &fakeAuth{finishAuthentication: func(context.Context, authenticator.FinishRequest) (authenticator.AuthenticationResult, error) {
				return authenticator.AuthenticationResult{}, tc.err
			}}
			h, hy := newServer(t, auth)

			w := postJSON(h, "/api/v1/login/finish", `{"ceremony_id":"cer-1","credential":{}}`)

			if w.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tc.wantStatus)
			}
			got := decodeBody[apiError](t, w)
			if want := authenticator.PublicMessage(tc.err); got.Error != tc.wantCode || got.Message != want {
				t.Errorf("body = %+v, want error %q and message %q", got, tc.wantCode, want)
			}
			if strings.Contains(w.Body.String(), "secret") {
				t.Errorf("body leaks internal detail: %s", w.Body)
			}
			if ra := w.Header().Get("Retry-After"); (ra != "") != (tc.wantStatus == http.StatusServiceUnavailable) {
				t.Errorf("Retry-After = %q with status %d", ra, w.Code)
			}
			wantLoginCalls(t, hy, 0, 0)
		})
	}
}

// The reauthenticate redirect keeps every parameter and replaces prompt.
func TestReauthenticateReplacesPrompt(t *testing.T) {
	t.Parallel()
	auth := &fakeAuth{decideLogin: func(context.Context, authenticator.LoginRequest) (authenticator.LoginDecision, error) {
		return authenticator.LoginDecision{Action: acr.ActionReauthenticate}, nil
	}}
	h, hy := newServer(t, auth)
	lr := testLoginRequest("c1")
	lr.RequestUrl = hydraPublic + "/oauth2/auth?prompt=none+consent&max_age=0&redirect_uri=https%3A%2F%2Fbank.example%2Fcb&scope=openid+email"
	lr.Skip, lr.Subject = true, "cust-1"
	hy.set(func(f *fakeHydra) { f.logins["c1"] = lr })

	w := serve(h, http.MethodGet, "/login?login_challenge=c1", "", "")

	loc, err := url.Parse(w.Header().Get("Location"))
	if err != nil || w.Code != http.StatusSeeOther {
		t.Fatalf("status %d, Location %q (%v); want 303 with a URL", w.Code, w.Header().Get("Location"), err)
	}
	want := url.Values{"prompt": {"login"}, "max_age": {"0"}, "redirect_uri": {"https://bank.example/cb"}, "scope": {"openid email"}}
	if diff := cmp.Diff(want, loc.Query()); diff != "" {
		t.Errorf("redirect query mismatch (-want +got):\n%s", diff)
	}
	if loc.Host != "hydra.test" || loc.Path != "/oauth2/auth" {
		t.Errorf("redirect to %s, want hydra's authorize endpoint", loc)
	}
}

// wantLoginContext is the login accept's context as the fake Hydra decodes
// it: what the consent step puts into the access token.
func wantLoginContext(acrValue string, authTime time.Time) map[string]any {
	return map[string]any{"biometric_passkey": map[string]any{"acr": acrValue, "auth_time": float64(authTime.Unix())}}
}

// wantLoginOutcome checks that the fake Hydra saw exactly one accept or
// reject (wantPath; "" for neither) for challenge, with wantBody, and no call
// to the other.
func wantLoginOutcome(t *testing.T, hy *fakeHydra, wantPath, challenge string, wantBody map[string]any) {
	t.Helper()
	for _, path := range []string{hydraLoginAccept, hydraLoginReject} {
		calls := hy.callsTo(path)
		if path != wantPath {
			if len(calls) != 0 {
				t.Errorf("hydra got %d calls to %s, want none", len(calls), path)
			}
			continue
		}
		if len(calls) != 1 || calls[0].Challenge != challenge {
			t.Fatalf("hydra calls to %s = %+v, want one for %s", path, calls, challenge)
		}
		if diff := cmp.Diff(wantBody, calls[0].Body); diff != "" {
			t.Errorf("%s body mismatch (-want +got):\n%s", path, diff)
		}
	}
}

// wantLoginCalls checks how many login accepts and rejects the fake Hydra
// saw, whatever their challenge and body.
func wantLoginCalls(t *testing.T, hy *fakeHydra, accepts, rejects int) {
	t.Helper()
	if a, r := len(hy.callsTo(hydraLoginAccept)), len(hy.callsTo(hydraLoginReject)); a != accepts || r != rejects {
		t.Errorf("hydra login accepts, rejects = %d, %d; want %d, %d", a, r, accepts, rejects)
	}
}

// one is the number of calls a test expects when want says there is one.
func one(want bool) int {
	if want {
		return 1
	}
	return 0
}
