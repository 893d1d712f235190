package hydra_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	hydraapi "github.com/ory/hydra-client-go/v2"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/integration/hydra"
)

func TestEnrollmentPage(t *testing.T) {
	t.Parallel()
	var got authenticator.ResumeEnrollmentRequest
	h, _ := newServer(t, &fakeAuth{resumeEnrollment: func(_ context.Context, req authenticator.ResumeEnrollmentRequest) (authenticator.PendingCheck, error) {
		got = req
		return authenticator.PendingCheck{}, nil // register a passkey first
	}})

	w := serve(h, http.MethodGet, "/enroll?token=t%2B1%3C", "", "")
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", w.Code)
	}
	for _, s := range []string{`id="enroll-button"`, `data-enrollment-token="t&#43;1&lt;"`, `id="status"`, `id="return-link"`} {
		if !strings.Contains(w.Body.String(), s) {
			t.Errorf("page lacks %q:\n%s", s, w.Body)
		}
	}

	want := authenticator.ResumeEnrollmentRequest{EnrollmentToken: "t+1<", ReturnURL: "http://localhost:8081/verify"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ResumeEnrollment request mismatch (-want +got):\n%s", diff)
	}
	if c := w.Result().Cookies(); len(c) != 0 {
		t.Errorf("cookies = %+v, want none before a passkey is registered", c)
	}

	w = serve(h, http.MethodGet, "/enroll", "", "")
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "missing its token parameter") {
		t.Errorf("without a token: status %d, body %s; want 400 naming the token", w.Code, w.Body)
	}
}

func TestEnrollBeginAndFinish(t *testing.T) {
	t.Parallel()
	var gotToken string
	var gotFinish authenticator.FinishRequest
	auth := &fakeAuth{
		beginRegistration: func(_ context.Context, req authenticator.BeginRegistrationRequest) (authenticator.Ceremony, error) {
			gotToken = req.EnrollmentToken
			return authenticator.Ceremony{ID: "reg-1", ExpiresAt: testNow.Add(5 * time.Minute),
				Options: json.RawMessage(`{"publicKey":{"rp":{"name":"Bank"},"user":{"id":"dXNlcg","name":"alice","displayName":"Alice"},"challenge":"Y2g"}}`)}, nil
		},
		finishRegistration: func(_ context.Context, req authenticator.FinishRequest) (authenticator.Registration, error) {
			gotFinish = req
			return authenticator.Registration{User: authenticator.User{ExternalID: "cust-1", Status: authenticator.UserBiometricPending},
				ReturnURL: "https://bank.example/done"}, nil
		},
	}
	h, _ := newServer(t, auth)

	w := postJSON(h, "/api/v1/enroll/begin", `{"token":"t1"}`)
	if w.Code != http.StatusOK || gotToken != "t1" {
		t.Fatalf("begin: status %d, token %q; want 200 and t1 (body %s)", w.Code, gotToken, w.Body)
	}
	if got, want := string(decodeBody[ceremonyJSON](t, w).PublicKey), `{"rp":{"name":"Bank"},"user":{"id":"dXNlcg","name":"alice","displayName":"Alice"},"challenge":"Y2g"}`; got != want {
		t.Errorf("public_key = %s, want %s", got, want)
	}

	w = postJSON(h, "/api/v1/enroll/finish", `{"ceremony_id":"reg-1","credential":{"id":"abc"}}`)
	if w.Code != http.StatusOK {
		t.Fatalf("finish: status %d, want 200 (body %s)", w.Code, w.Body)
	}
	if gotFinish.CeremonyID != "reg-1" || string(gotFinish.Response) != `{"id":"abc"}` {
		t.Errorf("FinishRegistration got %q, %s; want reg-1 and the credential", gotFinish.CeremonyID, gotFinish.Response)
	}
	want := map[string]string{"status": "biometric_pending", "return_url": "https://bank.example/done"}
	if diff := cmp.Diff(want, decodeBody[map[string]string](t, w)); diff != "" {
		t.Errorf("finish body mismatch (-want +got):\n%s", diff)
	}
}

func TestEnrollBeginRefusesBadPluginOptions(t *testing.T) {
	t.Parallel()
	for _, opts := range []string{`not json`, `{}`, `{"publicKey":null}`, `{"publicKey":[1]}`} {
		auth := &fakeAuth{beginRegistration: func(context.Context, authenticator.BeginRegistrationRequest) (authenticator.Ceremony, error) {
			return authenticator.Ceremony{ID: "reg-1", Options: json.RawMessage(opts)}, nil
		}}
		h, _ := newServer(t, auth)
		w := postJSON(h, "/api/v1/enroll/begin", `{"token":"t1"}`)
		if got := decodeBody[apiError](t, w); w.Code != http.StatusInternalServerError || got.Error != "internal" {
			t.Errorf("options %s: status %d, body %+v; want 500 internal", opts, w.Code, got)
		}
	}
}

func TestCreateEnrollment(t *testing.T) {
	t.Parallel()
	activeToken := func(scope, use string) hydraapi.IntrospectedOAuth2Token {
		return hydraapi.IntrospectedOAuth2Token{Active: true, ClientId: hydraapi.PtrString("bank"),
			Scope: hydraapi.PtrString(scope), TokenUse: hydraapi.PtrString(use)}
	}
	const body = `{"external_user_id":"cust-1","username":"alice","display_name":"Alice Example"`
	tests := map[string]struct {
		authorization string
		body          string
		token         hydraapi.IntrospectedOAuth2Token // introspection answer for "tok"
		edit          func(*hydra.Config)
		wantStatus    int
		wantCode      string
		wantChallenge string // WWW-Authenticate
		wantField     string
		wantClients   int // GET /admin/clients calls
	}{
		"no token": {
			body: body + `}`, wantStatus: 401, wantCode: "invalid_token", wantChallenge: `Bearer scope="passkey.enroll"`,
		},
		"another scheme": {
			authorization: "Basic YmFuazpzZWNyZXQ=", body: body + `}`,
			wantStatus: 401, wantCode: "invalid_token", wantChallenge: `Bearer scope="passkey.enroll"`,
		},
		"inactive token": {
			authorization: "Bearer tok", body: body + `}`, token: hydraapi.IntrospectedOAuth2Token{Active: false},
			wantStatus: 401, wantCode: "invalid_token", wantChallenge: `Bearer error="invalid_token", error_description="the access token is not active"`,
		},
		"refresh token": {
			authorization: "Bearer tok", body: body + `}`, token: activeToken("passkey.enroll", "refresh_token"),
			wantStatus: 401, wantCode: "invalid_token", wantChallenge: `Bearer error="invalid_token", error_description="the access token is not active"`,
		},
		"wrong scope": {
			authorization: "Bearer tok", body: body + `}`, token: activeToken("openid passkey.enrol", "access_token"),
			wantStatus: 403, wantCode: "insufficient_scope", wantChallenge: `Bearer error="insufficient_scope", scope="passkey.enroll"`,
		},
		"configured scope": {
			authorization: "Bearer tok", body: body + `}`, token: activeToken("passkey.enroll", "access_token"),
			edit:       func(c *hydra.Config) { c.EnrollmentScope = "bank:enroll" },
			wantStatus: 403, wantCode: "insufficient_scope", wantChallenge: `Bearer error="insufficient_scope", scope="bank:enroll"`,
		},
		"return_url on another host": {
			authorization: "Bearer tok", body: body + `,"return_url":"https://evil.example/done"}`, token: activeToken("passkey.enroll", "access_token"),
			wantStatus: 400, wantCode: "invalid_argument", wantField: "return_url", wantClients: 1,
		},
		"return_url on another port": {
			authorization: "Bearer tok", body: body + `,"return_url":"https://bank.example:8443/done"}`, token: activeToken("passkey.enroll", "access_token"),
			wantStatus: 400, wantCode: "invalid_argument", wantField: "return_url", wantClients: 1,
		},
		"return_url with another scheme": {
			authorization: "Bearer tok", body: body + `,"return_url":"http://bank.example/done"}`, token: activeToken("passkey.enroll", "access_token"),
			wantStatus: 400, wantCode: "invalid_argument", wantField: "return_url", wantClients: 1,
		},
		"return_url not http": {
			authorization: "Bearer tok", body: body + `,"return_url":"javascript:alert(1)"}`, token: activeToken("passkey.enroll", "access_token"),
			wantStatus: 400, wantCode: "invalid_argument", wantField: "return_url",
		},
		"unknown purpose": {
			authorization: "Bearer tok", body: body + `,"purpose":"takeover"}`, token: activeToken("passkey.enroll", "access_token"),
			wantStatus: 400, wantCode: "invalid_argument", wantField: "purpose",
		},
		"hydra unreachable": {
			authorization: "Bearer tok", body: body + `}`,
			edit:       func(c *hydra.Config) { c.HydraAdminURL = "http://127.0.0.1:1" },
			wantStatus: 503, wantCode: "unavailable",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			auth := &fakeAuth{}
			hy := newFakeHydra(t)
			hy.set(func(f *fakeHydra) {
				f.tokens["tok"] = tc.token
				f.clients["bank"] = hydraapi.OAuth2Client{ClientId: hydraapi.PtrString("bank"), RedirectUris: []string{bankRedirect}}
			})
			var edits []func(*hydra.Config)
			if tc.edit != nil {
				edits = append(edits, tc.edit)
			}
			h := newProvider(t, hy, auth, edits...)

			w := postJSON(h, "/api/v1/enrollments", tc.body, "Authorization", tc.authorization)

			if w.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", w.Code, tc.wantStatus, w.Body)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tc.wantChallenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tc.wantChallenge)
			}
			if got := decodeBody[apiError](t, w); got.Error != tc.wantCode || got.Field != tc.wantField {
				t.Errorf("error body = %+v, want code %q, field %q", got, tc.wantCode, tc.wantField)
			}
			if n := auth.calls.Load(); n != 0 {
				t.Errorf("authenticator called %d times, want 0", n)
			}
			if n := len(hy.callsTo("/admin/clients/bank")); n != tc.wantClients {
				t.Errorf("hydra client look-ups = %d, want %d", n, tc.wantClients)
			}
		})
	}
}

func TestCreateEnrollmentSucceeds(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		body, wantReturn string
		wantPurpose      string
		wantClients      int
	}{
		"without return_url":              {body: `{"external_user_id":"cust-1"}`},
		"enrollment purpose":              {body: `{"external_user_id":"cust-1","purpose":"enrollment"}`, wantPurpose: "enrollment"},
		"recovery link":                   {body: `{"external_user_id":"cust-1","purpose":"recovery"}`, wantPurpose: "recovery"},
		"with return_url on the redirect": {body: `{"external_user_id":"cust-1","return_url":"https://bank.example/done?x=1"}`, wantReturn: "https://bank.example/done?x=1", wantClients: 1},
		"with the default port spelt out": {body: `{"external_user_id":"cust-1","return_url":"https://BANK.example:443/done"}`, wantReturn: "https://BANK.example:443/done", wantClients: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var got authenticator.CreateEnrollmentRequest
			auth := &fakeAuth{createEnrollment: func(_ context.Context, req authenticator.CreateEnrollmentRequest) (authenticator.Enrollment, error) {
				got = req
				return authenticator.Enrollment{Token: "a/b+c=", ExpiresAt: testNow.Add(time.Hour), User: authenticator.User{
					ExternalID: "cust-1", Username: "cust-1", DisplayName: "cust-1", Status: authenticator.UserInvited}}, nil
			}}
			hy := enrollingHydra(t)
			h := newProvider(t, hy, auth)

			w := postJSON(h, "/api/v1/enrollments", tc.body, "Authorization", "bearer "+enrollToken)

			if w.Code != http.StatusCreated {
				t.Fatalf("status = %d, want 201 (body %s)", w.Code, w.Body)
			}
			want := authenticator.CreateEnrollmentRequest{ExternalUserID: "cust-1", ClientID: "bank", ReturnURL: tc.wantReturn, Purpose: tc.wantPurpose}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("CreateEnrollment request mismatch (-want +got):\n%s", diff)
			}
			wantBody := map[string]any{
				"enrollment_url": "http://localhost:8081/enroll?token=a%2Fb%2Bc%3D",
				"expires_at":     "2026-03-01T13:00:00Z",
				"user":           map[string]any{"external_user_id": "cust-1", "username": "cust-1", "display_name": "cust-1", "status": "invited"},
			}
			if diff := cmp.Diff(wantBody, decodeBody[map[string]any](t, w)); diff != "" {
				t.Errorf("response mismatch (-want +got):\n%s", diff)
			}
			if n := len(hy.callsTo("/admin/clients/bank")); n != tc.wantClients {
				t.Errorf("hydra client look-ups = %d, want %d", n, tc.wantClients)
			}
		})
	}
}
