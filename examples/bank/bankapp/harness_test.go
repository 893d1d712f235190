package bankapp

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc/oidctest"
	"golang.org/x/oauth2"

	"github.com/biometric-passkey/biometric-passkey/acr"
)

// Test doubles. The real end-to-end run through Hydra and the login provider
// lives elsewhere; these stand-ins only speak the few endpoints the bank
// calls.
const (
	testClientID           = "bank"
	testClientSecret       = "bank-secret"
	testEnrollClientID     = "bank-enroll"
	testEnrollClientSecret = "bank-enroll-secret"
	testEnrollToken        = "enroll-access-token"
	testKeyID              = "test-key"
)

// testNow is the fixed clock of every harness.
var testNow = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// testIdP is a tiny OpenID provider: discovery, JWKS, and a token endpoint
// for client_credentials and authorization_code (with PKCE).
type testIdP struct {
	issuer     string
	endSession bool
	keys       *oidctest.Server

	mu         sync.Mutex
	grants     map[string]grant          // by code
	exchange   int                       // authorization_code exchanges served
	idTokens   []string                  // every ID token issued
	tokens     map[string]map[string]any // introspection answers by access token
	introspect int                       // introspection requests served
}

// grant is what an issued code redeems to.
type grant struct {
	challenge string
	nonce     string
	claims    map[string]any
	access    map[string]any // overrides of the access token's ext claims
}

func (p *testIdP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		doc := map[string]any{
			"issuer":                                p.issuer,
			"authorization_endpoint":                p.issuer + "/oauth2/auth",
			"token_endpoint":                        p.issuer + "/oauth2/token",
			"jwks_uri":                              p.issuer + "/keys",
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		}
		if p.endSession {
			doc["end_session_endpoint"] = p.issuer + "/oauth2/sessions/logout"
		}
		writeJSON(w, http.StatusOK, doc)
	case "/keys":
		p.keys.ServeHTTP(w, r)
	case "/oauth2/token":
		p.token(w, r)
	case "/admin/oauth2/introspect":
		p.introspection(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (p *testIdP) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	id, secret, _ := r.BasicAuth()
	switch r.PostForm.Get("grant_type") {
	case "client_credentials":
		if id != testEnrollClientID || secret != testEnrollClientSecret || r.PostForm.Get("scope") != DefaultEnrollScope {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"access_token": testEnrollToken, "token_type": "bearer", "expires_in": 3600})
	case "authorization_code":
		p.mu.Lock()
		defer p.mu.Unlock()
		p.exchange++
		g, ok := p.grants[r.PostForm.Get("code")]
		delete(p.grants, r.PostForm.Get("code"))
		if id != testClientID || secret != testClientSecret || !ok ||
			oauth2.S256ChallengeFromVerifier(r.PostForm.Get("code_verifier")) != g.challenge {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
			return
		}
		claims := map[string]any{
			"iss":   p.issuer,
			"aud":   []string{testClientID},
			"exp":   testNow.Add(time.Hour).Unix(),
			"iat":   testNow.Unix(),
			"nonce": g.nonce,
		}
		for k, v := range g.claims {
			if v == nil {
				delete(claims, k)
				continue
			}
			claims[k] = v
		}
		body, err := json.Marshal(claims)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
			return
		}
		idt := oidctest.SignIDToken(testKey(), testKeyID, "RS256", string(body))
		p.idTokens = append(p.idTokens, idt)
		at := "at-" + rand.Text()
		p.tokens[at] = accessTokenClaims(claims, g.access)
		writeJSON(w, http.StatusOK, map[string]any{"access_token": at, "token_type": "bearer", "expires_in": 3600, "id_token": idt})
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
	}
}

// issue reads the authorization request the bank sent, registers a code that
// redeems to claims (a nil value deletes a default claim; "nonce" overrides
// the request's), and returns the callback query the provider would send.
func (p *testIdP) issue(t *testing.T, authURL string, claims map[string]any) url.Values {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatalf("parse authorization URL %q: %v", authURL, err)
	}
	q := u.Query()
	code := rand.Text()
	g := grant{challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), claims: claims}
	if n, ok := claims["nonce"].(string); ok {
		g.nonce = n
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.grants == nil {
		p.grants = map[string]grant{}
		p.tokens = map[string]map[string]any{}
	}
	p.grants[code] = g
	return url.Values{"code": {code}, "state": {q.Get("state")}}
}

// issueWithAccess is issue with overrides of the access token's claims as
// introspection reports them under ext (a nil value deletes one).
func (p *testIdP) issueWithAccess(t *testing.T, authURL string, claims, access map[string]any) url.Values {
	t.Helper()
	q := p.issue(t, authURL, claims)
	p.mu.Lock()
	defer p.mu.Unlock()
	g := p.grants[q.Get("code")]
	g.access = access
	p.grants[q.Get("code")] = g
	return q
}

// accessTokenClaims is the introspection answer for an access token issued
// with the ID-token claims: what the login provider copies into
// session.access_token comes back under ext, as Hydra returns it.
func accessTokenClaims(idClaims, overrides map[string]any) map[string]any {
	ext := map[string]any{}
	for _, k := range []string{"acr", "auth_time", "authorization_details", "authorization_details_hash", "approval_id"} {
		if v, ok := idClaims[k]; ok {
			ext[k] = v
		}
	}
	for k, v := range overrides {
		if v == nil {
			delete(ext, k)
			continue
		}
		ext[k] = v
	}
	return map[string]any{
		"active":     true,
		"client_id":  testClientID,
		"sub":        idClaims["sub"],
		"token_type": "Bearer",
		"exp":        testNow.Add(time.Hour).Unix(),
		"ext":        ext,
	}
}

// introspection is RFC 7662's endpoint, as Hydra's admin API serves it.
func (p *testIdP) introspection(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.introspect++
	claims, ok := p.tokens[r.PostForm.Get("token")]
	if !ok {
		writeJSON(w, http.StatusOK, map[string]any{"active": false})
		return
	}
	writeJSON(w, http.StatusOK, claims)
}

func (p *testIdP) introspections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.introspect
}

func (p *testIdP) exchanges() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exchange
}

func (p *testIdP) lastIDToken() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idTokens) == 0 {
		return ""
	}
	return p.idTokens[len(p.idTokens)-1]
}

// enrollStub stands in for the login provider's enrollment API.
type enrollStub struct {
	mu       sync.Mutex
	status   int    // answer status; 0 means 201 with a well-formed body
	body     string // answer body when status is set
	requests []enrollCall
}

// enrollCall is one request the stub received.
type enrollCall struct {
	Method, Path, Authorization, ContentType string
	Body                                     map[string]any
}

func (s *enrollStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	call := enrollCall{Method: r.Method, Path: r.URL.Path, Authorization: r.Header.Get("Authorization"), ContentType: r.Header.Get("Content-Type")}
	if err := json.Unmarshal(data, &call.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, call)
	if s.status != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(s.status)
		io.WriteString(w, s.body)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"enrollment_url": "https://passkey.example/enroll/abc123",
		"expires_at":     testNow.Add(15 * time.Minute).Format(time.RFC3339),
		"user": map[string]any{
			"external_user_id": call.Body["external_user_id"],
			"username":         call.Body["username"],
			"display_name":     call.Body["display_name"],
			"status":           "pending",
		},
	})
}

func (s *enrollStub) answer(status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

func (s *enrollStub) calls() []enrollCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]enrollCall(nil), s.requests...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// harness is a bank wired to a testIdP and an enrollStub, with a browser-like
// client that keeps cookies and does not follow redirects.
type harness struct {
	bank   string
	app    *App
	idp    *testIdP
	enroll *enrollStub
	client *http.Client
}

type harnessOpts struct {
	noEndSession bool
}

func newHarness(t *testing.T, opts harnessOpts) *harness {
	t.Helper()
	h := &harness{
		idp:    &testIdP{endSession: !opts.noEndSession},
		enroll: &enrollStub{},
	}
	idpSrv := httptest.NewUnstartedServer(h.idp)
	h.idp.issuer = "http://" + idpSrv.Listener.Addr().String()
	h.idp.keys = &oidctest.Server{PublicKeys: []oidctest.PublicKey{{PublicKey: testKey().Public(), KeyID: testKeyID, Algorithm: "RS256"}}}
	idpSrv.Start()
	t.Cleanup(idpSrv.Close)

	provider := httptest.NewServer(h.enroll)
	t.Cleanup(provider.Close)

	bankSrv := httptest.NewUnstartedServer(nil)
	h.bank = "http://" + bankSrv.Listener.Addr().String()
	app, err := New(t.Context(), Config{
		PublicURL:          h.bank,
		Issuer:             h.idp.issuer,
		ClientID:           testClientID,
		ClientSecret:       testClientSecret,
		EnrollClientID:     testEnrollClientID,
		EnrollClientSecret: testEnrollClientSecret,
		ProviderURL:        provider.URL,
		IntrospectionURL:   h.idp.issuer + "/admin/oauth2/introspect",
		Logger:             slog.New(slog.NewTextHandler(t.Output(), nil)),
		Now:                func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.app = app
	bankSrv.Config.Handler = app.Handler()
	bankSrv.Start()
	t.Cleanup(bankSrv.Close)

	h.client = newBrowser(t)
	return h
}

// newBrowser returns a client with its own cookie jar that stops at
// redirects.
func newBrowser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatalf("cookie jar: %v", err)
	}
	return &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// response is a read response.
type response struct {
	*http.Response
	Body string
}

func (h *harness) do(t *testing.T, c *http.Client, method, path string, form url.Values) response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(t.Context(), method, h.bank+path, body)
	if err != nil {
		t.Fatalf("new request %s %s: %v", method, path, err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s %s: %v", method, path, err)
	}
	return response{Response: resp, Body: string(data)}
}

func (h *harness) get(t *testing.T, path string) response {
	t.Helper()
	return h.do(t, h.client, http.MethodGet, path, nil)
}

func (h *harness) post(t *testing.T, path string, form url.Values) response {
	t.Helper()
	return h.do(t, h.client, http.MethodPost, path, form)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf loads path and returns the form's CSRF token.
func (h *harness) csrf(t *testing.T, path string) string {
	t.Helper()
	res := h.get(t, path)
	m := csrfField.FindStringSubmatch(res.Body)
	if m == nil {
		t.Fatalf("GET %s: no csrf field in:\n%s", path, res.Body)
	}
	return m[1]
}

// signIn runs /login and /callback with an ID token carrying claims and
// returns the callback's response.
func (h *harness) signIn(t *testing.T, claims map[string]any) response {
	t.Helper()
	res := h.get(t, "/login")
	wantStatus(t, res, http.StatusSeeOther)
	q := h.idp.issue(t, res.Header.Get("Location"), claims)
	return h.get(t, "/callback?"+q.Encode())
}

// routineClaims are the claims of a good routine sign-in for sub.
func routineClaims(sub string) map[string]any {
	return map[string]any{
		"sub":       sub,
		"acr":       acr.RoutineACR,
		"amr":       []string{"hwk", "user"},
		"auth_time": testNow.Add(-42 * time.Second).Unix(),
		"sid":       "hydra-session-1",
	}
}

func wantStatus(t *testing.T, res response, want int) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("%s %s: got status %d, want %d; body:\n%s", res.Request.Method, res.Request.URL.Path, res.StatusCode, want, res.Body)
	}
}

func wantContains(t *testing.T, res response, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(res.Body, w) {
			t.Errorf("%s %s: body does not contain %q; body:\n%s", res.Request.Method, res.Request.URL.Path, w, res.Body)
		}
	}
}

// wantText checks that the page shows each text, HTML-escaped as
// html/template writes it.
func wantText(t *testing.T, res response, texts ...string) {
	t.Helper()
	for _, text := range texts {
		if w := html.EscapeString(text); !strings.Contains(res.Body, w) {
			t.Errorf("%s %s: page does not show %q; body:\n%s", res.Request.Method, res.Request.URL.Path, text, res.Body)
		}
	}
}

// cookie returns the cookie named name set by res.
func cookie(res response, name string) (*http.Cookie, bool) {
	for _, c := range res.Cookies() {
		if c.Name == name {
			return c, true
		}
	}
	return nil, false
}
