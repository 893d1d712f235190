package hydra_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	hydraapi "github.com/ory/hydra-client-go/v2"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

func TestApprovalsAPI(t *testing.T) {
	t.Parallel()
	canonical, hash := approvedPayment(t)
	stored := authenticator.Approval{ID: "apr-1", UserExternalID: "cust-1", ClientID: "bank", CredentialID: []byte("cred-1"),
		ACR: acr.StepUpACR, AuthorizationDetails: canonical, DetailsHash: hash, AuthenticatorData: []byte("authdata"),
		ClientDataJSON: []byte(`{"type":"webauthn.get"}`), Signature: []byte("sig"), CreatedAt: testNow.Add(-time.Hour)}
	token := func(client, scope string) hydraapi.IntrospectedOAuth2Token {
		return hydraapi.IntrospectedOAuth2Token{Active: true, ClientId: hydraapi.PtrString(client),
			Scope: hydraapi.PtrString(scope), TokenUse: hydraapi.PtrString("access_token")}
	}
	tests := map[string]struct {
		method        string
		authorization string
		token         hydraapi.IntrospectedOAuth2Token
		id            string
		verification  authenticator.ApprovalVerification
		err           error
		wantStatus    int
		wantCode      string
		wantChallenge string
		wantGolden    string
		wantCalls     int64
	}{
		"no token": {authorization: "", wantStatus: 401, wantCode: "invalid_token", wantChallenge: `Bearer scope="passkey.approvals"`},
		"inactive token": {authorization: "Bearer tok", token: hydraapi.IntrospectedOAuth2Token{Active: false}, wantStatus: 401,
			wantCode: "invalid_token", wantChallenge: `Bearer error="invalid_token", error_description="the access token is not active"`},
		"enrollment scope only": {authorization: "Bearer tok", token: token("bank", "passkey.enroll"), wantStatus: 403,
			wantCode: "insufficient_scope", wantChallenge: `Bearer error="insufficient_scope", scope="passkey.approvals"`},
		"unknown id": {authorization: "Bearer tok", token: token("bank", "passkey.approvals"), id: "nope",
			err: authenticator.Errorf(authenticator.CodeNotFound, "no approval nope"), wantStatus: 404, wantCode: "not_found", wantCalls: 1},
		"another client's approval": {authorization: "Bearer tok", token: token("shop", "passkey.approvals"),
			verification: authenticator.ApprovalVerification{Approval: stored, Valid: true}, wantStatus: 404, wantCode: "not_found", wantCalls: 1},
		"valid": {authorization: "Bearer tok", token: token("bank", "openid passkey.approvals"),
			verification: authenticator.ApprovalVerification{Approval: stored, Valid: true}, wantStatus: 200, wantGolden: "approval_valid", wantCalls: 1},
		"signature no longer verifies": {authorization: "Bearer tok", token: token("bank", "passkey.approvals"),
			verification: authenticator.ApprovalVerification{Approval: stored, Problem: "signature does not verify with the credential's key"},
			wantStatus:   200, wantGolden: "approval_invalid", wantCalls: 1},
		"POST": {method: http.MethodPost, authorization: "Bearer tok", token: token("bank", "passkey.approvals"),
			wantStatus: 405, wantCode: "method_not_allowed"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var gotID string
			auth := &fakeAuth{verifyApproval: func(_ context.Context, id string) (authenticator.ApprovalVerification, error) {
				gotID = id
				return tc.verification, tc.err
			}}
			h, hy := newServer(t, auth)
			hy.set(func(f *fakeHydra) { f.tokens["tok"] = tc.token })
			method, id := tc.method, tc.id
			if method == "" {
				method = http.MethodGet
			}
			if id == "" {
				id = "apr-1"
			}

			w := serve(h, method, "/api/v1/approvals/"+id, "", "", "Authorization", tc.authorization)

			if w.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", w.Code, tc.wantStatus, w.Body)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tc.wantChallenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tc.wantChallenge)
			}
			if tc.wantStatus == 405 && w.Header().Get("Allow") != http.MethodGet {
				t.Errorf("Allow = %q, want GET", w.Header().Get("Allow"))
			}
			if n := auth.calls.Load(); n != tc.wantCalls || (n == 1 && gotID != id) {
				t.Errorf("VerifyApproval calls = %d for %q, want %d for %q", n, gotID, tc.wantCalls, id)
			}
			if tc.wantGolden != "" {
				golden(t, tc.wantGolden, w.Body.Bytes())
				var body struct {
					Details json.RawMessage `json:"authorization_details"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || string(body.Details) != string(canonical) {
					t.Errorf("authorization_details = %s, want the canonical form %s verbatim", body.Details, canonical)
				}
				return
			}
			if got := decodeBody[apiError](t, w); got.Error != tc.wantCode || got.Message == "" {
				t.Errorf("error body = %+v, want code %q and a message", got, tc.wantCode)
			}
		})
	}
}

// TestConsentCarriesTheLoginsApproval: what a login approved reaches both
// tokens, only from the login context Hydra returns; the consent form's
// fields and anything unverifiable never get there.
func TestConsentCarriesTheLoginsApproval(t *testing.T) {
	t.Parallel()
	canonical, hash := approvedPayment(t)
	signedIn := testNow.Add(-time.Minute)
	ctxWith := func(acrValue, details, hash, approval string) map[string]any {
		lc := map[string]any{"acr": acrValue, "auth_time": signedIn.Unix()}
		for k, v := range map[string]string{"authorization_details": details, "authorization_details_hash": hash, "approval_id": approval} {
			if v != "" {
				lc[k] = v
			}
		}
		return map[string]any{"biometric_passkey": lc}
	}
	var detailsJSON any
	if err := json.Unmarshal(canonical, &detailsJSON); err != nil {
		t.Fatal(err)
	}
	approved := map[string]any{"authorization_details": detailsJSON, "authorization_details_hash": hash, "approval_id": "apr-1"}
	base := map[string]any{"acr": acr.StepUpACR, "auth_time": float64(signedIn.Unix())}
	withApproval := map[string]any{"acr": acr.StepUpACR, "auth_time": float64(signedIn.Unix()),
		"authorization_details": detailsJSON, "authorization_details_hash": hash, "approval_id": "apr-1"}
	tests := map[string]struct {
		context     any
		acr         string
		form        bool // through the consent form, with forged fields
		wantAccess  map[string]any
		wantIDToken map[string]any
	}{
		"approved details":                 {context: ctxWith(acr.StepUpACR, string(canonical), hash, "apr-1"), wantAccess: withApproval, wantIDToken: approved},
		"approved details, via the form":   {context: ctxWith(acr.StepUpACR, string(canonical), hash, "apr-1"), form: true, wantAccess: withApproval, wantIDToken: approved},
		"no details":                       {context: ctxWith(acr.StepUpACR, "", "", ""), wantAccess: base},
		"no details; the form forges some": {context: ctxWith(acr.StepUpACR, "", "", ""), form: true, wantAccess: base},
		"hash mismatch":                    {context: ctxWith(acr.StepUpACR, string(canonical), "AAAA", "apr-1"), wantAccess: base},
		"details altered":                  {context: ctxWith(acr.StepUpACR, strings.Replace(string(canonical), "123.50", "1.00", 1), hash, "apr-1"), wantAccess: base},
		"no approval id":                   {context: ctxWith(acr.StepUpACR, string(canonical), hash, ""), wantAccess: base},
		"not an array":                     {context: ctxWith(acr.StepUpACR, `{"type":"x"}`, hash, "apr-1"), wantAccess: base},
		"acr differs: nothing":             {context: ctxWith(acr.StepUpACR, string(canonical), hash, "apr-1"), acr: acr.RoutineACR},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			client := "first-party"
			if tc.form {
				client = "bank"
			}
			h, hy := newServer(t, &fakeAuth{})
			cr := testConsentRequest("c1", client, false)
			cr.Acr = hydraapi.PtrString(acr.StepUpACR)
			if tc.acr != "" {
				cr.Acr = hydraapi.PtrString(tc.acr)
			}
			cr.Context = tc.context
			hy.set(func(f *fakeHydra) { f.consents["c1"] = cr })

			var w *httptest.ResponseRecorder
			if tc.form {
				cookie, token := showConsent(t, h)
				form := url.Values{"consent_challenge": {"c1"}, "csrf_token": {token}, "action": {"allow"},
					"authorization_details":      {`[{"type":"payment_initiation","creditorName":"Mallory"}]`},
					"authorization_details_hash": {"forged"}, "approval_id": {"apr-forged"}}
				w = serve(h, http.MethodPost, "/consent", "application/x-www-form-urlencoded", form.Encode(), "Cookie", cookie.Name+"="+cookie.Value)
			} else {
				w = serve(h, http.MethodGet, "/consent?consent_challenge=c1", "", "")
			}

			if w.Code != http.StatusSeeOther || w.Header().Get("Location") != consentAccepted {
				t.Fatalf("status %d, Location %q; want 303 to %s (body %s)", w.Code, w.Header().Get("Location"), consentAccepted, w.Body)
			}
			calls := hy.callsTo(hydraConsentAccept)
			if len(calls) != 1 {
				t.Fatalf("hydra consent accepts = %+v, want one", calls)
			}
			var want any
			if tc.wantAccess != nil {
				session := map[string]any{"access_token": tc.wantAccess}
				if tc.wantIDToken != nil {
					session["id_token"] = tc.wantIDToken
				}
				want = session
			}
			if diff := cmp.Diff(want, calls[0].Body["session"]); diff != "" {
				t.Errorf("accept session mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
