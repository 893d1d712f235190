package e2e_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/onfido/onfidofake"
	"github.com/biometric-passkey/biometric-passkey/internal/app"
	"github.com/biometric-passkey/biometric-passkey/internal/softauthn"
)

// The identity-verification vendor of IDV stacks: Entrust/Onfido API v3.6
// as onfidofake serves it, with these credentials and Studio workflows.
const (
	approvalScope      = "passkey.approvals"
	onfidoAPIToken     = "api_sandbox.e2e_0123456789abcdefghij"
	onfidoWebhookToken = "e2e-webhook-signing-token-0123456789"
	wfEnrollment       = "0f5b8a3e-6f2a-4c1b-9a51-1d2e3f405161"
	wfStepUp           = "1a6c9b4f-7a3b-4d2c-8b62-2e3f40516272"
	wfRecovery         = "2b7dac50-8b4c-4e3d-9c73-3f4051627383"
)

// idvVendor is the vendor API the stack's plugin calls: onfidofake behind
// an httptest server (plain http on loopback, which onfido accepts outside
// production). It records the run each started check created, so that a
// test finds the run behind a capture link and plays the user and the
// vendor: Complete, then the signed webhook.
type idvVendor struct {
	fake *onfidofake.Server
	srv  *httptest.Server

	mu   sync.Mutex
	runs map[string]string // capture link and SDK token → run id
}

func startIDVVendor(t *testing.T) *idvVendor {
	t.Helper()
	v := &idvVendor{runs: map[string]string{}, fake: onfidofake.New(onfidofake.Config{
		APIToken: onfidoAPIToken, WebhookToken: onfidoWebhookToken,
		EnrollmentWorkflows: []string{wfEnrollment}, AuthenticationWorkflows: []string{wfStepUp, wfRecovery},
	})}
	v.srv = httptest.NewServer(http.HandlerFunc(v.serve))
	t.Cleanup(v.srv.Close)
	return v
}

// serve hands every request to the fake and notes the runs it creates.
func (v *idvVendor) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v3.6/workflow_runs" {
		v.fake.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	v.fake.ServeHTTP(rec, r)
	if rec.Code == http.StatusCreated {
		var run struct {
			ID       string `json:"id"`
			SDKToken string `json:"sdk_token"`
			Link     struct {
				URL string `json:"url"`
			} `json:"link"`
		}
		if json.Unmarshal(rec.Body.Bytes(), &run) == nil && run.ID != "" {
			v.mu.Lock()
			v.runs[run.Link.URL], v.runs[run.SDKToken] = run.ID, run.ID
			v.mu.Unlock()
		}
	}
	for k, vals := range rec.Header() {
		w.Header()[k] = vals
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// configure points authenticator.idv at the vendor.
func (v *idvVendor) configure(c *app.IDVConfig) {
	key := make([]byte, authenticator.ReferenceKeySize)
	_, _ = rand.Read(key)
	c.Provider = app.IDVProviderOnfido
	c.ReferenceKey = app.Secret(base64.StdEncoding.EncodeToString(key))
	c.Onfido = app.OnfidoConfig{
		APIToken: app.Secret(onfidoAPIToken), BaseURL: v.srv.URL + "/v3.6",
		Workflows:    app.OnfidoWorkflowsConfig{Enrollment: wfEnrollment, StepUp: wfStepUp, Recovery: wfRecovery},
		WebhookToken: app.Secret(onfidoWebhookToken),
	}
}

// run returns the id of the run behind a pending check.
func (v *idvVendor) run(t *testing.T, ic *identityCheck) string {
	t.Helper()
	if ic == nil {
		t.Fatal("no identity check in the answer")
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, k := range []string{ic.CaptureURL, ic.SDKToken} {
		if id, ok := v.runs[k]; ok && k != "" {
			return id
		}
	}
	t.Fatalf("identity check %+v: no run at the vendor has this capture link", *ic)
	return ""
}

// foreignRun starts a run at the vendor that the deployment never asked
// for (another integration on the same vendor account), as the vendor's
// API would, and returns its id.
func (v *idvVendor) foreignRun(t *testing.T) string {
	t.Helper()
	post := func(path string, body any) map[string]any {
		b, _ := json.Marshal(body)
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, v.srv.URL+"/v3.6"+path, bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Token token="+onfidoAPIToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("POST %s at the vendor: %d %v %v", path, resp.StatusCode, out, err)
		}
		return out
	}
	applicant := post("/applicants", map[string]any{"first_name": "Other", "last_name": "Integration"})
	run := post("/workflow_runs", map[string]any{"workflow_id": wfStepUp, "applicant_id": applicant["id"], "customer_user_id": "someone-else"})
	id, _ := run["id"].(string)
	return id
}

// startedRuns counts the workflow runs the plugin asked the vendor for.
func (v *idvVendor) startedRuns() int {
	n := 0
	for _, r := range v.fake.Requests() {
		if r.Method == http.MethodPost && r.Path == "/v3.6/workflow_runs" {
			n++
		}
	}
	return n
}

// identityCheck is a pending identity check in API answers.
type identityCheck struct {
	Journey    string     `json:"journey"`
	CaptureURL string     `json:"capture_url"`
	SDKToken   string     `json:"sdk_token"`
	Token      string     `json:"token"`
	ExpiresAt  *time.Time `json:"expires_at"`
}

// journeyAnswer is what login/finish, enroll/finish and recovery/begin
// answer (LoginFinishResponse, EnrollFinishResponse, errors).
type journeyAnswer struct {
	RedirectTo    string         `json:"redirect_to"`
	Error         string         `json:"error"`
	Message       string         `json:"message"`
	Status        string         `json:"status"`
	Replaced      int            `json:"replaced"`
	IdentityCheck *identityCheck `json:"identity_check"`
}

// progress answers POST /api/v1/identity-check/continue.
type progress struct {
	Journey       string         `json:"journey"`
	Status        string         `json:"status"`
	Reason        string         `json:"reason"`
	Message       string         `json:"message"`
	IdentityCheck *identityCheck `json:"identity_check"`
	RedirectTo    string         `json:"redirect_to"`
	Error         string         `json:"error"`
	ReturnURL     string         `json:"return_url"`
	Ceremony      *ceremony      `json:"ceremony"`
}

// newAuthenticator is a new device's platform authenticator.
func (s *stack) newAuthenticator() *softauthn.Authenticator {
	s.t.Helper()
	a, err := softauthn.New(softauthn.Options{RPID: "localhost", Origin: s.providerURL})
	if err != nil {
		s.t.Fatal(err)
	}
	return a
}

// createEnrollment is the RP's backend asking for an enrollment link.
func (s *stack) createEnrollment(externalID string) string {
	s.t.Helper()
	return s.createLink(map[string]any{"external_user_id": externalID})
}

// createLink is the RP's backend asking for a link (POST /api/v1/enrollments).
func (s *stack) createLink(body map[string]any) string {
	s.t.Helper()
	tok, err := s.enroll.Token(s.t.Context())
	if err != nil {
		s.t.Fatal(err)
	}
	var enr struct {
		EnrollmentURL string `json:"enrollment_url"`
		apiError
	}
	if code := s.postJSON(s.newBrowser(), "/api/v1/enrollments", tok.AccessToken, body, &enr); code != http.StatusCreated {
		s.t.Fatalf("POST /api/v1/enrollments %v: status %d: %+v", body, code, enr.apiError)
	}
	if !strings.HasPrefix(enr.EnrollmentURL, s.providerURL+"/enroll?") {
		s.t.Fatalf("enrollment_url %q is not a link to the provider", enr.EnrollmentURL)
	}
	return enr.EnrollmentURL
}

// registerPasskey creates a passkey for the registration ceremony cer on a
// new device and finishes the ceremony in b (POST /api/v1/enroll/finish).
func (s *stack) registerPasskey(b *browser, cer ceremony) (*softauthn.Authenticator, journeyAnswer, int) {
	s.t.Helper()
	a := s.newAuthenticator()
	cred, err := a.Register(cer.PublicKey)
	if err != nil {
		s.t.Fatal(err)
	}
	var ans journeyAnswer
	code := s.postJSON(b, "/api/v1/enroll/finish", "", map[string]any{"ceremony_id": cer.CeremonyID, "credential": rawJSON(cred)}, &ans)
	return a, ans, code
}

// enrollPasskey runs an enrollment link in a new browser up to the
// registered passkey; the enrollment's identity check has started.
func (s *stack) enrollPasskey(externalID string) (*browser, *softauthn.Authenticator, journeyAnswer) {
	s.t.Helper()
	return s.enrollPasskeyWith(map[string]any{"external_user_id": externalID})
}

// enrollPasskeyWith is enrollPasskey for a link made with body.
func (s *stack) enrollPasskeyWith(body map[string]any) (*browser, *softauthn.Authenticator, journeyAnswer) {
	s.t.Helper()
	link, err := url.Parse(s.createLink(body))
	if err != nil {
		s.t.Fatal(err)
	}
	b := s.newBrowser()
	var cer ceremony
	if code := s.postJSON(b, "/api/v1/enroll/begin", "", map[string]string{"token": link.Query().Get("token")}, &cer); code != http.StatusOK {
		s.t.Fatalf("enroll begin: status %d: %+v", code, cer.apiError)
	}
	a, ans, code := s.registerPasskey(b, cer)
	if code != http.StatusOK {
		s.t.Fatalf("enroll finish: status %d: %s", code, s.last)
	}
	if ans.Status != string(authenticator.UserBiometricPending) || ans.RedirectTo != s.providerURL+"/verify" ||
		ans.IdentityCheck == nil || ans.IdentityCheck.Journey != "enrollment" || ans.IdentityCheck.CaptureURL == "" {
		s.t.Fatalf("enroll finish: got %s, want biometric_pending, redirect_to the progress page and an enrollment check", s.last)
	}
	return b, a, ans
}

// enrolled enrolls a user whose identity check is approved: a passkey and
// a biometric reference.
func (s *stack) enrolled(externalID string) *softauthn.Authenticator {
	s.t.Helper()
	b, a, ans := s.enrollPasskey(externalID)
	if p := s.decide(b, ans.IdentityCheck, "approved", nil); p.Status != "passed" || p.Journey != "enrollment" {
		s.t.Fatalf("enrollment check of %s: got %+v, want passed", externalID, p)
	}
	s.wantUserStatus(externalID, authenticator.UserEnrolled)
	return a
}

// wantUserStatus checks a user's enrollment status.
func (s *stack) wantUserStatus(externalID string, want authenticator.UserStatus) {
	s.t.Helper()
	d, err := s.provider.Admin().GetUser(s.t.Context(), externalID)
	if err != nil {
		s.t.Fatalf("GetUser(%s): %v", externalID, err)
	}
	if d.User.Status != want {
		s.t.Errorf("status of %s: got %q, want %q", externalID, d.User.Status, want)
	}
}

// events counts a user's lifecycle events of one type.
func (s *stack) events(externalID string, typ authenticator.EventType) int {
	s.t.Helper()
	d, err := s.provider.Admin().GetUser(s.t.Context(), externalID)
	if err != nil {
		s.t.Fatalf("GetUser(%s): %v", externalID, err)
	}
	n := 0
	for _, e := range d.Events {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// decide plays the user and the vendor: the run ends with status, the
// vendor delivers its signed webhook, and the browser's progress page
// (continue with its cookie, or body for a native app) reads the result.
func (s *stack) decide(b *browser, ic *identityCheck, status string, body map[string]any) progress {
	s.t.Helper()
	run := s.idv.run(s.t, ic)
	if err := s.idv.fake.Complete(run, status); err != nil {
		s.t.Fatal(err)
	}
	if code, answer := s.vendorWebhook(run); code != http.StatusOK {
		s.t.Fatalf("webhook for run %s: status %d: %s", run, code, answer)
	}
	p, code := s.continueJourney(b, body)
	if code != http.StatusOK {
		s.t.Fatalf("continue: status %d: %s", code, s.last)
	}
	return p
}

// vendorWebhook delivers the vendor's signed notification for run now.
func (s *stack) vendorWebhook(run string) (int, []byte) {
	s.t.Helper()
	h, body, err := s.idv.fake.Webhook(run)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.postWebhook(h, body)
}

// postWebhook posts a notification to the provider's webhook endpoint as
// the vendor would: server to server, no cookies.
func (s *stack) postWebhook(h http.Header, body []byte) (int, []byte) {
	s.t.Helper()
	req, err := http.NewRequestWithContext(s.t.Context(), http.MethodPost, s.providerURL+"/idv/webhooks", bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header = h.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("POST /idv/webhooks: %v", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, answer
}

// continueJourney is POST /api/v1/identity-check/continue; a nil body
// sends {} (the browser's cookie carries the journey).
func (s *stack) continueJourney(b *browser, body map[string]any) (progress, int) {
	s.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	var p progress
	code := s.postJSON(b, "/api/v1/identity-check/continue", "", body, &p)
	return p, code
}

// awaitFinal polls continue, as the progress page does, until the check
// is final: the result reaches the plugin by its poll of the vendor.
func (s *stack) awaitFinal(b *browser, body map[string]any) progress {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		p, code := s.continueJourney(b, body)
		if code != http.StatusOK {
			s.t.Fatalf("continue: status %d: %s", code, s.last)
		}
		if p.Status != "pending" {
			return p
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the check is still pending after 15s: %+v", p)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// passkey runs login begin, the authenticator and login finish for a
// login; edit, when set, changes public_key before the authenticator sees
// it (a tampering client).
func (s *stack) passkey(b *browser, challenge string, a *softauthn.Authenticator, returnToken bool, edit func(map[string]any)) (journeyAnswer, int) {
	s.t.Helper()
	var cer ceremony
	if code := s.postJSON(b, "/api/v1/login/begin", "", map[string]string{"login_challenge": challenge}, &cer); code != http.StatusOK {
		s.t.Fatalf("login begin: status %d: %s", code, s.last)
	}
	pk := cer.PublicKey
	if edit != nil {
		var m map[string]any
		if err := json.Unmarshal(pk, &m); err != nil {
			s.t.Fatal(err)
		}
		edit(m)
		var err error
		if pk, err = json.Marshal(m); err != nil {
			s.t.Fatal(err)
		}
	}
	assertion, err := a.Assert(pk)
	if err != nil {
		s.t.Fatal(err)
	}
	body := map[string]any{"ceremony_id": cer.CeremonyID, "credential": rawJSON(assertion)}
	if returnToken {
		body["return_token"] = true
	}
	var ans journeyAnswer
	code := s.postJSON(b, "/api/v1/login/finish", "", body, &ans)
	return ans, code
}

// loginPage follows an authorization request to the provider's login page.
func (s *stack) loginPage(b *browser, r authRequest) string {
	s.t.Helper()
	at := s.follow(b, r.url)
	if at.loginChallenge == "" {
		s.t.Fatalf("expected the login page, went %v", at.hops)
	}
	return at.loginChallenge
}

// stepUp asks for acr step-up (a fresh login) and signs in with a's
// passkey; the answer is normally a pending identity check.
func (s *stack) stepUp(b *browser, a *softauthn.Authenticator, params ...oauth2.AuthCodeOption) (authRequest, journeyAnswer) {
	s.t.Helper()
	r := s.authorize(append([]oauth2.AuthCodeOption{acrValues(acr.StepUpACR), oauth2.SetAuthURLParam("prompt", "login")}, params...)...)
	ans, code := s.passkey(b, s.loginPage(b, r), a, false, nil)
	if code != http.StatusOK {
		s.t.Fatalf("step-up login finish: status %d: %s", code, s.last)
	}
	return r, ans
}

// wantPending checks that an answer sends a browser to the progress page
// with a check of journey, its token only in the cookie.
func (s *stack) wantPending(b *browser, ans journeyAnswer, journey string) {
	s.t.Helper()
	ic := ans.IdentityCheck
	if ans.RedirectTo != s.providerURL+"/verify" || ans.Error != "" || ic == nil || ic.Journey != journey ||
		!strings.HasPrefix(ic.CaptureURL, "https://") || ic.ExpiresAt == nil || !ic.ExpiresAt.After(time.Now()) {
		s.t.Fatalf("got %s, want redirect_to %s/verify and a pending %s check", s.last, s.providerURL, journey)
	}
	if ic.Token != "" || ic.SDKToken != "" {
		s.t.Errorf("a browser's answer carries the journey token or SDK token: %+v", *ic)
	}
	if s.journeyCookie(b) == "" {
		s.t.Errorf("no bp_identity_check cookie after %s", s.last)
	}
}

// journeyCookie returns the browser's bp_identity_check cookie.
func (s *stack) journeyCookie(b *browser) string {
	u, _ := url.Parse(s.providerURL + "/verify")
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "bp_identity_check" {
			return c.Value
		}
	}
	return ""
}

// wantRefused follows a refused login to the RP and checks that it got
// unmet_authentication_requirements and no code.
func (s *stack) wantRefused(b *browser, redirectTo string) {
	s.t.Helper()
	if redirectTo == "" {
		s.t.Fatalf("no redirect_to after a refusal: %s", s.last)
	}
	cb := s.follow(b, redirectTo).callback
	if cb == nil || cb.Get("error") != acr.ErrorUnmetRequirements || cb.Get("code") != "" {
		s.t.Errorf("RP callback: got %v, want error=%s and no code", cb, acr.ErrorUnmetRequirements)
	}
}

// getApproval is the RP's backend asking GET /api/v1/approvals/{id} with
// a client-credentials token of cfg.
func (s *stack) getApproval(cfg clientcredentials.Config, id string) (int, []byte) {
	s.t.Helper()
	tok, err := cfg.Token(s.t.Context())
	if err != nil {
		s.t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(s.t.Context(), http.MethodGet, s.providerURL+"/api/v1/approvals/"+url.PathEscape(id), nil)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// normalizeAlso replaces, recursively, the values of keys by "<key>":
// members that are per-run in journeys' answers besides those normalize
// knows.
func normalizeAlso(v any, keys ...string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[k] = normalizeAlso(val, keys...)
			for _, key := range keys {
				if k == key {
					out[k] = "<" + k + ">"
				}
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = normalizeAlso(val, keys...)
		}
		return out
	}
	return v
}

// goldenJSON compares an API answer with testdata/<name>.golden as the
// package's goldenJSON does, with keys also normalised and the provider's
// URL (a free port) written <provider>.
func (s *stack) goldenJSON(name string, body []byte, keys ...string) {
	t := s.t
	t.Helper()
	body = bytes.ReplaceAll(body, []byte(s.providerURL), []byte("<provider>"))
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: %v: %s", name, err, body)
	}
	golden(t, name, normalizeAlso(normalize(v), keys...))
}

// authenticatorMinIDVTimeout is the smallest authenticator.idv.timeout.
const authenticatorMinIDVTimeout = time.Second

// waitUntil sleeps until a little after deadline.
func waitUntil(deadline time.Time) {
	time.Sleep(time.Until(deadline) + 200*time.Millisecond)
}
