package hydra_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	hydraapi "github.com/ory/hydra-client-go/v2"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
)

// jsonEndpoint is one JSON API endpoint with a body it accepts.
type jsonEndpoint struct {
	path     string
	valid    string
	required string // the first required member
	header   []string
}

// enrollToken is the access token the fake Hydra knows as valid for
// enrollment; bankRedirect is the bank client's registered redirect URI.
const (
	enrollToken  = "good-token"
	bankRedirect = "https://bank.example/callback"
)

var jsonEndpoints = []jsonEndpoint{
	{path: "/api/v1/login/begin", valid: `{"login_challenge":"c1","username":"alice"}`, required: "login_challenge"},
	{path: "/api/v1/login/finish", valid: `{"ceremony_id":"cer-1","credential":{"id":"abc","type":"public-key"}}`, required: "ceremony_id"},
	{path: "/api/v1/enroll/begin", valid: `{"token":"t1"}`, required: "token"},
	{path: "/api/v1/enroll/finish", valid: `{"ceremony_id":"cer-1","credential":{"id":"abc","type":"public-key"}}`, required: "ceremony_id"},
	{path: "/api/v1/enrollments", valid: `{"external_user_id":"cust-1","username":"alice","display_name":"Alice","return_url":"https://bank.example/done"}`,
		required: "external_user_id", header: []string{"Authorization", "Bearer " + enrollToken}},
	{path: "/api/v1/identity-check/continue", valid: `{"token":"jt-1","cancel":false}`, required: "token"},
	{path: "/api/v1/recovery/begin", valid: `{"login_challenge":"c1","username":"alice","return_token":true}`, required: "login_challenge"},
}

// acceptingAuth succeeds at every well-formed request with a plausible
// answer, and fails (so the server answers non-2xx) when a request that
// should never have passed the decoder reaches it.
func acceptingAuth() *fakeAuth {
	ceremony := authenticator.Ceremony{ID: "cer-1", Options: json.RawMessage(requestOptions), ExpiresAt: testNow.Add(5 * time.Minute)}
	user := authenticator.User{ExternalID: "cust-1", Username: "alice", DisplayName: "Alice", Status: authenticator.UserBiometricPending}
	pending := authenticator.PendingCheck{Token: "jt-1", Journey: idvbridge.JourneyStepUp, ExpiresAt: testNow.Add(15 * time.Minute)}
	malformed := func(what string, bad bool) error {
		if bad {
			return fmt.Errorf("%w: the decoder let through %s", errNoFake, what)
		}
		return nil
	}
	credential := func(req authenticator.FinishRequest) error {
		return malformed("a finish request", strings.TrimSpace(req.CeremonyID) == "" || !json.Valid(req.Response) || req.Response[0] != '{')
	}
	return &fakeAuth{
		createEnrollment: func(_ context.Context, req authenticator.CreateEnrollmentRequest) (authenticator.Enrollment, error) {
			return authenticator.Enrollment{Token: "tok", ExpiresAt: testNow.Add(time.Hour), User: user},
				malformed("a blank external_user_id", strings.TrimSpace(req.ExternalUserID) == "")
		},
		beginRegistration: func(_ context.Context, req authenticator.BeginRegistrationRequest) (authenticator.Ceremony, error) {
			return ceremony, malformed("a blank token", strings.TrimSpace(req.EnrollmentToken) == "")
		},
		finishRegistration: func(_ context.Context, req authenticator.FinishRequest) (authenticator.Registration, error) {
			return authenticator.Registration{User: user}, credential(req)
		},
		beginAuthentication: func(_ context.Context, req authenticator.BeginAuthenticationRequest) (authenticator.Ceremony, error) {
			return ceremony, malformed("a blank login challenge", strings.TrimSpace(req.Login.Challenge) == "")
		},
		finishAuthentication: func(_ context.Context, req authenticator.FinishRequest) (authenticator.AuthenticationResult, error) {
			return authenticator.AuthenticationResult{LoginChallenge: "c1", Subject: "cust-1", Outcome: stepUp}, credential(req)
		},
		continueCheck: func(_ context.Context, req authenticator.ContinueRequest) (authenticator.Progress, error) {
			return authenticator.Progress{Journey: idvbridge.JourneyStepUp, Status: authenticator.CheckPending, Pending: &pending},
				malformed("a blank journey token", strings.TrimSpace(req.Token) == "")
		},
		beginRecovery: func(_ context.Context, req authenticator.BeginRecoveryRequest) (authenticator.PendingCheck, error) {
			return pending, malformed("a blank login challenge or username",
				strings.TrimSpace(req.Login.Challenge) == "" || strings.TrimSpace(req.Username) == "")
		},
		resumeEnrollment: func(_ context.Context, req authenticator.ResumeEnrollmentRequest) (authenticator.PendingCheck, error) {
			return authenticator.PendingCheck{}, malformed("a blank token", strings.TrimSpace(req.EnrollmentToken) == "")
		},
	}
}

// enrollingHydra is a fake Hydra that knows every login challenge, the
// enrollment token and the bank client.
func enrollingHydra(t testing.TB) *fakeHydra {
	hy := newFakeHydra(t)
	hy.set(func(f *fakeHydra) {
		f.anyLogin = true
		f.tokens[enrollToken] = hydraapi.IntrospectedOAuth2Token{Active: true, ClientId: hydraapi.PtrString("bank"),
			Scope: hydraapi.PtrString("openid passkey.enroll"), TokenUse: hydraapi.PtrString("access_token")}
		f.clients["bank"] = hydraapi.OAuth2Client{ClientId: hydraapi.PtrString("bank"), RedirectUris: []string{bankRedirect}}
	})
	return hy
}

func TestJSONEndpointsAcceptValidBodies(t *testing.T) {
	t.Parallel()
	hy := enrollingHydra(t)
	for _, ep := range jsonEndpoints {
		t.Run(ep.path, func(t *testing.T) {
			t.Parallel()
			auth := acceptingAuth()
			h := newProvider(t, hy, auth)
			w := serve(h, http.MethodPost, ep.path, "application/json; charset=utf-8", ep.valid, ep.header...)
			if w.Code/100 != 2 || auth.calls.Load() != 1 {
				t.Errorf("status = %d after %d authenticator calls, want 2xx after 1 (body %s)", w.Code, auth.calls.Load(), w.Body)
			}
		})
	}
}

func TestJSONEndpointsRejectBadBodies(t *testing.T) {
	t.Parallel()
	hy := enrollingHydra(t)
	type badCase struct {
		method, contentType, body string
		wantStatus                int
		wantCode, wantField       string
	}
	cases := func(ep jsonEndpoint) map[string]badCase {
		withMember := strings.Replace(ep.valid, "{", `{"bogus":1,`, 1)
		return map[string]badCase{
			"GET":                 {method: http.MethodGet, wantStatus: 405, wantCode: "method_not_allowed"},
			"PUT":                 {method: http.MethodPut, contentType: "application/json", body: ep.valid, wantStatus: 405, wantCode: "method_not_allowed"},
			"no content type":     {body: ep.valid, wantStatus: 415, wantCode: "unsupported_media_type"},
			"form content type":   {contentType: "application/x-www-form-urlencoded", body: ep.valid, wantStatus: 415, wantCode: "unsupported_media_type"},
			"empty body":          {contentType: "application/json", wantStatus: 400, wantCode: "invalid_argument"},
			"malformed":           {contentType: "application/json", body: `{"` + ep.required + `":`, wantStatus: 400, wantCode: "invalid_argument"},
			"syntax error":        {contentType: "application/json", body: `{"` + ep.required + `" "x"}`, wantStatus: 400, wantCode: "invalid_argument"},
			"not an object":       {contentType: "application/json", body: `["x"]`, wantStatus: 400, wantCode: "invalid_argument"},
			"unknown member":      {contentType: "application/json", body: withMember, wantStatus: 400, wantCode: "invalid_argument", wantField: "bogus"},
			"trailing object":     {contentType: "application/json", body: ep.valid + `{}`, wantStatus: 400, wantCode: "invalid_argument"},
			"trailing garbage":    {contentType: "application/json", body: ep.valid + ` x`, wantStatus: 400, wantCode: "invalid_argument"},
			"missing member":      {contentType: "application/json", body: `{}`, wantStatus: 400, wantCode: "invalid_argument", wantField: ep.required},
			"blank member":        {contentType: "application/json", body: `{"` + ep.required + `":"  "}`, wantStatus: 400, wantCode: "invalid_argument", wantField: ep.required},
			"null body":           {contentType: "application/json", body: `null`, wantStatus: 400, wantCode: "invalid_argument", wantField: ep.required},
			"wrong type":          {contentType: "application/json", body: `{"` + ep.required + `":5}`, wantStatus: 400, wantCode: "invalid_argument", wantField: ep.required},
			"oversized":           {contentType: "application/json", body: `{"` + ep.required + `":"` + strings.Repeat("a", 65<<10) + `"}`, wantStatus: 413, wantCode: "payload_too_large"},
			"oversized trailing":  {contentType: "application/json", body: ep.valid + strings.Repeat(" ", 65<<10) + "{}", wantStatus: 413, wantCode: "payload_too_large"},
			"credential a string": {contentType: "application/json", body: `{"ceremony_id":"c","credential":"abc"}`, wantStatus: 400, wantCode: "invalid_argument", wantField: "credential"},
		}
	}
	for _, ep := range jsonEndpoints {
		for name, tc := range cases(ep) {
			if name == "credential a string" && !strings.Contains(ep.valid, "credential") {
				continue
			}
			t.Run(ep.path+"/"+name, func(t *testing.T) {
				t.Parallel()
				auth := acceptingAuth()
				h := newProvider(t, hy, auth)
				method := tc.method
				if method == "" {
					method = http.MethodPost
				}

				w := serve(h, method, ep.path, tc.contentType, tc.body, ep.header...)

				if w.Code != tc.wantStatus {
					t.Errorf("status = %d, want %d (body %s)", w.Code, tc.wantStatus, w.Body)
				}
				got := decodeBody[apiError](t, w)
				if got.Error != tc.wantCode || got.Field != tc.wantField || got.Message == "" {
					t.Errorf("error body = %+v, want code %q, field %q and a message", got, tc.wantCode, tc.wantField)
				}
				if tc.wantStatus == 405 && w.Header().Get("Allow") != http.MethodPost {
					t.Errorf("Allow = %q, want POST", w.Header().Get("Allow"))
				}
				if n := auth.calls.Load(); n != 0 {
					t.Errorf("authenticator called %d times, want 0", n)
				}
			})
		}
	}
}

// fuzzEndpoint posts arbitrary bodies to one endpoint. Whatever the body,
// the server must not panic, must answer JSON, and must call the
// authenticator exactly when it answers 2xx: a rejected body never reaches
// the authenticator, and what does reach it is well-formed.
func fuzzEndpoint(f *testing.F, ep jsonEndpoint, seeds ...string) {
	for _, s := range append([]string{
		ep.valid, "", " ", "{", "}", "null", "true", "0", `"x"`, "[]", "{}", `{"a":1}`, "{}{}", "{} x",
		`{"` + ep.required + `":null}`, `{"` + ep.required + `":"\u0000"}`, `{"` + ep.required + `":"\ud800"}`,
		"{\"" + ep.required + "\":\"\xff\xfe\"}", `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
		strings.ToUpper(ep.valid), ep.valid + "\n", ep.valid + ep.valid,
	}, seeds...) {
		f.Add([]byte(s))
	}
	hy := enrollingHydra(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		auth := acceptingAuth()
		h := newProvider(t, hy, auth)

		w := serve(h, http.MethodPost, ep.path, "application/json", string(body), ep.header...)

		if called := auth.calls.Load() > 0; called != (w.Code/100 == 2) {
			t.Fatalf("status %d after %d authenticator calls; want a call exactly when the answer is 2xx (body %q → %s)",
				w.Code, auth.calls.Load(), body, w.Body)
		}
		if w.Code/100 != 2 {
			if got := decodeBody[apiError](t, w); got.Error == "" || got.Message == "" {
				t.Fatalf("rejection %s lacks error or message", w.Body)
			}
		}
	})
}

func FuzzDecodeLoginBegin(f *testing.F) {
	fuzzEndpoint(f, jsonEndpoints[0], `{"login_challenge":"c1"}`, `{"login_challenge":"c1","username":""}`, `{"login_challenge":"c1","username":5}`)
}

func FuzzDecodeLoginFinish(f *testing.F) {
	fuzzEndpoint(f, jsonEndpoints[1], `{"ceremony_id":"c","credential":null}`, `{"ceremony_id":"c","credential":[]}`,
		`{"ceremony_id":"c","credential":{"response":{"clientDataJSON":"e30"}}}`, `{"ceremony_id":"c","credential": {}}`)
}

func FuzzDecodeEnrollBegin(f *testing.F) {
	fuzzEndpoint(f, jsonEndpoints[2], `{"token":""}`, `{"token":"t","extra":true}`)
}

func FuzzDecodeEnrollFinish(f *testing.F) {
	fuzzEndpoint(f, jsonEndpoints[3], `{"ceremony_id":"c"}`, `{"credential":{}}`)
}

func FuzzDecodeCreateEnrollment(f *testing.F) {
	fuzzEndpoint(f, jsonEndpoints[4], `{"external_user_id":"u"}`, `{"external_user_id":"u","return_url":"javascript:alert(1)"}`,
		`{"external_user_id":"u","return_url":"https://evil.example/"}`, `{"external_user_id":"u","return_url":"https://bank.example:443/x"}`)
}

func FuzzDecodeIdentityCheckContinue(f *testing.F) {
	fuzzEndpoint(f, jsonEndpoints[5], `{"token":"t"}`, `{"cancel":true}`, `{"token":"t","cancel":"yes"}`, `{"token":"t","cancel":null}`,
		`{"token":" "}`, `{"token":"t","extra":1}`)
}

func FuzzDecodeRecoveryBegin(f *testing.F) {
	fuzzEndpoint(f, jsonEndpoints[6], `{"login_challenge":"c1","username":"alice"}`, `{"login_challenge":"c1"}`,
		`{"login_challenge":"c1","username":""}`, `{"login_challenge":"c1","username":"a","return_token":"true"}`)
}
