package hydra_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	hydraapi "github.com/ory/hydra-client-go/v2"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/integration/hydra"
	"github.com/biometric-passkey/biometric-passkey/plugin"
)

// errNoFake is returned by a fakeAuth method whose function is not set.
var errNoFake = errors.New("fakeAuth: method not set for this test")

// fakeAuth is a hand-written plugin.Authenticator: each method counts the
// call and runs its function field.
type fakeAuth struct {
	capabilities         func(context.Context) (authenticator.Capabilities, error)
	createEnrollment     func(context.Context, authenticator.CreateEnrollmentRequest) (authenticator.Enrollment, error)
	beginRegistration    func(context.Context, authenticator.BeginRegistrationRequest) (authenticator.Ceremony, error)
	finishRegistration   func(context.Context, authenticator.FinishRequest) (authenticator.Registration, error)
	decideLogin          func(context.Context, authenticator.LoginRequest) (authenticator.LoginDecision, error)
	beginAuthentication  func(context.Context, authenticator.BeginAuthenticationRequest) (authenticator.Ceremony, error)
	finishAuthentication func(context.Context, authenticator.FinishRequest) (authenticator.AuthenticationResult, error)
	applyIDVWebhook      func(context.Context, http.Header, []byte) (authenticator.IDVCheck, error)
	continueCheck        func(context.Context, authenticator.ContinueRequest) (authenticator.Progress, error)
	resumeEnrollment     func(context.Context, authenticator.ResumeEnrollmentRequest) (authenticator.PendingCheck, error)
	beginRecovery        func(context.Context, authenticator.BeginRecoveryRequest) (authenticator.PendingCheck, error)
	verifyApproval       func(context.Context, string) (authenticator.ApprovalVerification, error)

	calls atomic.Int64
}

var _ plugin.Authenticator = (*fakeAuth)(nil)

// call counts a call and runs fn, or fails with errNoFake when fn is nil.
func call[Req, Res any](f *fakeAuth, fn func(context.Context, Req) (Res, error), ctx context.Context, req Req) (Res, error) {
	f.calls.Add(1)
	if fn == nil {
		var zero Res
		return zero, errNoFake
	}
	return fn(ctx, req)
}

func (f *fakeAuth) Capabilities(ctx context.Context) (authenticator.Capabilities, error) {
	f.calls.Add(1)
	if f.capabilities == nil {
		return authenticator.Capabilities{}, errNoFake
	}
	return f.capabilities(ctx)
}

func (f *fakeAuth) CreateEnrollment(ctx context.Context, req authenticator.CreateEnrollmentRequest) (authenticator.Enrollment, error) {
	return call(f, f.createEnrollment, ctx, req)
}

func (f *fakeAuth) BeginRegistration(ctx context.Context, req authenticator.BeginRegistrationRequest) (authenticator.Ceremony, error) {
	return call(f, f.beginRegistration, ctx, req)
}

func (f *fakeAuth) FinishRegistration(ctx context.Context, req authenticator.FinishRequest) (authenticator.Registration, error) {
	return call(f, f.finishRegistration, ctx, req)
}

func (f *fakeAuth) DecideLogin(ctx context.Context, req authenticator.LoginRequest) (authenticator.LoginDecision, error) {
	return call(f, f.decideLogin, ctx, req)
}

func (f *fakeAuth) BeginAuthentication(ctx context.Context, req authenticator.BeginAuthenticationRequest) (authenticator.Ceremony, error) {
	return call(f, f.beginAuthentication, ctx, req)
}

func (f *fakeAuth) FinishAuthentication(ctx context.Context, req authenticator.FinishRequest) (authenticator.AuthenticationResult, error) {
	return call(f, f.finishAuthentication, ctx, req)
}

// The identity-check methods other than ApplyIDVWebhook are not used by the
// login provider: they only count the call and fail.

func (f *fakeAuth) StartIdentityCheck(context.Context, authenticator.StartIdentityCheckRequest) (idvbridge.Check, error) {
	f.calls.Add(1)
	return idvbridge.Check{}, errNoFake
}

func (f *fakeAuth) ApplyIDVWebhook(ctx context.Context, header http.Header, body []byte) (authenticator.IDVCheck, error) {
	f.calls.Add(1)
	if f.applyIDVWebhook == nil {
		return authenticator.IDVCheck{}, errNoFake
	}
	return f.applyIDVWebhook(ctx, header, body)
}

func (f *fakeAuth) RefreshIdentityCheck(context.Context, string, string) (authenticator.IDVCheck, error) {
	f.calls.Add(1)
	return authenticator.IDVCheck{}, errNoFake
}

func (f *fakeAuth) IdentityCheckStatus(context.Context, string, string, string) (authenticator.IDVCheck, error) {
	f.calls.Add(1)
	return authenticator.IDVCheck{}, errNoFake
}

func (f *fakeAuth) ContinueIdentityCheck(ctx context.Context, req authenticator.ContinueRequest) (authenticator.Progress, error) {
	return call(f, f.continueCheck, ctx, req)
}

func (f *fakeAuth) ResumeEnrollment(ctx context.Context, req authenticator.ResumeEnrollmentRequest) (authenticator.PendingCheck, error) {
	return call(f, f.resumeEnrollment, ctx, req)
}

func (f *fakeAuth) BeginRecovery(ctx context.Context, req authenticator.BeginRecoveryRequest) (authenticator.PendingCheck, error) {
	return call(f, f.beginRecovery, ctx, req)
}

func (f *fakeAuth) VerifyApproval(ctx context.Context, id string) (authenticator.ApprovalVerification, error) {
	return call(f, f.verifyApproval, ctx, id)
}

// hydraCall is one request the fake Hydra received.
type hydraCall struct {
	Method    string
	Path      string
	Challenge string         // the login_, consent_ or logout_challenge query parameter
	Body      map[string]any // the JSON body of a PUT, nil otherwise
}

// fakeHydra plays the few admin API routes the provider calls. It is a
// unit-test double only; the end-to-end tests run real Hydra.
type fakeHydra struct {
	URL string

	mu       sync.Mutex
	logins   map[string]hydraapi.OAuth2LoginRequest
	consents map[string]hydraapi.OAuth2ConsentRequest
	tokens   map[string]hydraapi.IntrospectedOAuth2Token
	clients  map[string]hydraapi.OAuth2Client
	gone     map[string]string // challenge → redirect_to, answered with 410
	anyLogin bool              // unknown login challenges get testLoginRequest
	notReady bool
	calls    []hydraCall
}

// Where the fake Hydra sends browsers after each kind of handled request.
const (
	hydraPublic     = "http://hydra.test"
	loginAccepted   = hydraPublic + "/oauth2/auth?login_verifier=accepted"
	loginRejected   = hydraPublic + "/oauth2/auth?login_verifier=rejected"
	consentAccepted = hydraPublic + "/oauth2/auth?consent_verifier=accepted"
	consentRejected = hydraPublic + "/oauth2/auth?consent_verifier=rejected"
	logoutAccepted  = hydraPublic + "/oauth2/sessions/logout?logout_verifier=accepted"
)

func newFakeHydra(t testing.TB) *fakeHydra {
	t.Helper()
	h := &fakeHydra{
		logins:   map[string]hydraapi.OAuth2LoginRequest{},
		consents: map[string]hydraapi.OAuth2ConsentRequest{},
		tokens:   map[string]hydraapi.IntrospectedOAuth2Token{},
		clients:  map[string]hydraapi.OAuth2Client{},
		gone:     map[string]string{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin/oauth2/auth/requests/login", func(w http.ResponseWriter, r *http.Request) {
		ch := h.record(r)
		h.mu.Lock()
		lr, ok := h.logins[ch]
		if !ok && h.anyLogin {
			lr, ok = testLoginRequest(ch), true
		}
		h.mu.Unlock()
		h.answer(w, ch, lr, ok)
	})
	mux.HandleFunc("GET /admin/oauth2/auth/requests/consent", func(w http.ResponseWriter, r *http.Request) {
		ch := h.record(r)
		h.mu.Lock()
		cr, ok := h.consents[ch]
		h.mu.Unlock()
		h.answer(w, ch, cr, ok)
	})
	for route, to := range map[string]string{
		"PUT /admin/oauth2/auth/requests/login/accept":   loginAccepted,
		"PUT /admin/oauth2/auth/requests/login/reject":   loginRejected,
		"PUT /admin/oauth2/auth/requests/consent/accept": consentAccepted,
		"PUT /admin/oauth2/auth/requests/consent/reject": consentRejected,
		"PUT /admin/oauth2/auth/requests/logout/accept":  logoutAccepted,
	} {
		mux.HandleFunc(route, func(w http.ResponseWriter, r *http.Request) {
			h.answer(w, h.record(r), map[string]string{"redirect_to": to}, true)
		})
	}
	mux.HandleFunc("POST /admin/oauth2/introspect", func(w http.ResponseWriter, r *http.Request) {
		h.record(r)
		h.mu.Lock()
		it, ok := h.tokens[r.PostFormValue("token")]
		h.mu.Unlock()
		if !ok {
			it = hydraapi.IntrospectedOAuth2Token{Active: false}
		}
		writeJSON(w, http.StatusOK, it)
	})
	mux.HandleFunc("GET /admin/clients/{id}", func(w http.ResponseWriter, r *http.Request) {
		h.record(r)
		h.mu.Lock()
		c, ok := h.clients[r.PathValue("id")]
		h.mu.Unlock()
		h.answer(w, "", c, ok)
	})
	mux.HandleFunc("GET /health/ready", func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		notReady := h.notReady
		h.mu.Unlock()
		if notReady {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"errors": map[string]string{"database": "down"}})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

// set changes the fake's data under its lock.
func (h *fakeHydra) set(fn func(*fakeHydra)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fn(h)
}

// record notes a request and returns its challenge.
func (h *fakeHydra) record(r *http.Request) string {
	q := r.URL.Query()
	c := hydraCall{Method: r.Method, Path: r.URL.Path,
		Challenge: q.Get("login_challenge") + q.Get("consent_challenge") + q.Get("logout_challenge")}
	if r.Method == http.MethodPut {
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &c.Body)
	}
	h.mu.Lock()
	h.calls = append(h.calls, c)
	h.mu.Unlock()
	return c.Challenge
}

// answer writes v, or Hydra's 410 for a handled challenge, or 404.
func (h *fakeHydra) answer(w http.ResponseWriter, challenge string, v any, ok bool) {
	h.mu.Lock()
	to, gone := h.gone[challenge]
	h.mu.Unlock()
	switch {
	case gone:
		writeJSON(w, http.StatusGone, map[string]string{"redirect_to": to})
	case ok:
		writeJSON(w, http.StatusOK, v)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "Not Found", "error_description": "Unable to locate the resource"})
	}
}

// callsTo returns the recorded calls to path.
func (h *fakeHydra) callsTo(path string) []hydraCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []hydraCall
	for _, c := range h.calls {
		if c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Admin API paths the tests inspect.
const (
	hydraLoginAccept   = "/admin/oauth2/auth/requests/login/accept"
	hydraLoginReject   = "/admin/oauth2/auth/requests/login/reject"
	hydraConsentAccept = "/admin/oauth2/auth/requests/consent/accept"
	hydraConsentReject = "/admin/oauth2/auth/requests/consent/reject"
	hydraLogoutAccept  = "/admin/oauth2/auth/requests/logout/accept"
)

// testLoginRequest is a login request for the demo bank asking for step-up.
func testLoginRequest(challenge string) hydraapi.OAuth2LoginRequest {
	return hydraapi.OAuth2LoginRequest{
		Challenge: challenge,
		Client:    hydraapi.OAuth2Client{ClientId: hydraapi.PtrString("bank"), ClientName: hydraapi.PtrString("Example Bank")},
		RequestUrl: hydraPublic + "/oauth2/auth?client_id=bank&prompt=consent&state=s1&acr_values=" +
			"urn%3Abiometric-passkey%3Aacr%3Astep-up",
		SessionId: hydraapi.PtrString("sid-1"),
		OidcContext: &hydraapi.OAuth2ConsentRequestOpenIDConnectContext{
			AcrValues: []string{acr.StepUpACR},
			LoginHint: hydraapi.PtrString("alice"),
		},
	}
}

// testNow is the fixed clock every test server runs on.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newServer starts a fake Hydra and a provider in front of it with auth,
// after applying edit to the config.
func newServer(t *testing.T, auth *fakeAuth, edit ...func(*hydra.Config)) (http.Handler, *fakeHydra) {
	t.Helper()
	hy := newFakeHydra(t)
	return newProvider(t, hy, auth, edit...), hy
}

// newProvider returns a provider in front of hy that logs to t.
func newProvider(t testing.TB, hy *fakeHydra, auth *fakeAuth, edit ...func(*hydra.Config)) http.Handler {
	t.Helper()
	cfg := hydra.Config{
		PublicURL:         "http://localhost:8081",
		HydraAdminURL:     hy.URL,
		FirstPartyClients: []string{"first-party"},
		Logger:            slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:               func() time.Time { return testNow },
	}
	for _, e := range edit {
		e(&cfg)
	}
	s, err := hydra.New(cfg, auth)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	return s.Handler()
}

// serve runs one request through h. body is sent as JSON when contentType
// is empty and body is not.
func serve(h http.Handler, method, target, contentType, body string, header ...string) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// postJSON posts body as application/json.
func postJSON(h http.Handler, path, body string, header ...string) *httptest.ResponseRecorder {
	return serve(h, http.MethodPost, path, "application/json", body, header...)
}

// apiError is the JSON API's error body.
type apiError struct {
	Error      string `json:"error"`
	Message    string `json:"message"`
	Field      string `json:"field"`
	RedirectTo string `json:"redirect_to"`
}

// decodeBody decodes a JSON response, failing the test if it is not JSON.
func decodeBody[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q, want application/json (body %q)", ct, w.Body.String())
	}
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %q: %v", w.Body.String(), err)
	}
	return v
}

// cookieNamed returns the Set-Cookie of w named name, or nil.
func cookieNamed(w *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// formCSRF returns the double-submit CSRF cookie name that w sets and the
// form token of its page, failing the test unless the cookie is HttpOnly
// and SameSite=Strict on path and the form carries the same value.
func formCSRF(t *testing.T, w *httptest.ResponseRecorder, name, path string) (*http.Cookie, string) {
	t.Helper()
	c := cookieNamed(w, name)
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != path {
		t.Fatalf("csrf cookie %s = %+v, want HttpOnly SameSite=Strict on %s", name, c, path)
	}
	_, rest, ok := strings.Cut(w.Body.String(), `name="csrf_token" value="`)
	token, _, _ := strings.Cut(rest, `"`)
	if !ok || token != c.Value {
		t.Fatalf("form token %q, cookie %q: want the same value", token, c.Value)
	}
	return c, token
}
