package adminui

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc/oidctest"
	"golang.org/x/oauth2"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/plugin"
)

const (
	testClientID     = "dashboard"
	testClientSecret = "dashboard-secret"
	testKeyID        = "test-key"
	testPublicURL    = "http://127.0.0.1:8090"
)

var testNow = time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

var testSessionKey = []byte("0123456789abcdef0123456789abcdef")

// fakeIdP is a tiny OpenID provider: oidctest serves discovery and JWKS;
// the token endpoint redeems codes registered by issue, checking PKCE.
type fakeIdP struct {
	srv  *httptest.Server
	keys *oidctest.Server

	mu     sync.Mutex
	grants map[string]grant
}

type grant struct {
	challenge string
	claims    map[string]any
}

func newFakeIdP(t *testing.T) *fakeIdP {
	t.Helper()
	p := &fakeIdP{grants: map[string]grant{},
		keys: &oidctest.Server{PublicKeys: []oidctest.PublicKey{{PublicKey: testKey().Public(), KeyID: testKeyID, Algorithm: "RS256"}}}}
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			p.token(w, r)
			return
		}
		p.keys.ServeHTTP(w, r)
	}))
	p.srv.Start()
	p.keys.SetIssuer(p.srv.URL)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *fakeIdP) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if err := r.ParseForm(); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"invalid_request"}`)
		return
	}
	id, secret, _ := r.BasicAuth()
	p.mu.Lock()
	g, ok := p.grants[r.PostForm.Get("code")]
	delete(p.grants, r.PostForm.Get("code"))
	p.mu.Unlock()
	if id != testClientID || secret != testClientSecret || !ok || r.PostForm.Get("grant_type") != "authorization_code" ||
		oauth2.S256ChallengeFromVerifier(r.PostForm.Get("code_verifier")) != g.challenge {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"invalid_grant"}`)
		return
	}
	body, _ := json.Marshal(g.claims)
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at-" + rand.Text(), "token_type": "bearer", "expires_in": 3600,
		"id_token": oidctest.SignIDToken(testKey(), testKeyID, "RS256", string(body))})
}

// issue reads the authorization request, registers a code redeeming to the
// default claims with overrides (a nil value deletes a claim; "nonce"
// overrides the request's) and returns the callback query.
func (p *fakeIdP) issue(t *testing.T, authURL string, over map[string]any) url.Values {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatalf("authorization URL %q: %v", authURL, err)
	}
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("client_id") != testClientID || q.Get("redirect_uri") != testPublicURL+"/callback" {
		t.Fatalf("authorization request %q lacks PKCE S256, client or redirect", authURL)
	}
	claims := map[string]any{"iss": p.srv.URL, "aud": testClientID, "sub": "op-alice",
		"exp": testNow.Add(time.Hour).Unix(), "iat": testNow.Unix(), "nonce": q.Get("nonce"), "roles": []string{"dash-support"}}
	for k, v := range over {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	code := rand.Text()
	p.mu.Lock()
	p.grants[code] = grant{challenge: q.Get("code_challenge"), claims: claims}
	p.mu.Unlock()
	return url.Values{"code": {code}, "state": {q.Get("state")}}
}

// fakeAdmin is the Admin contract with function fields; a method without
// one panics through the nil embedded interface.
type fakeAdmin struct {
	plugin.Admin
	mu    sync.Mutex
	reads []authenticator.ReadUserRequest

	users  []authenticator.User
	detail authenticator.UserDetail
	audit  []authenticator.AuditRecord
	verify authenticator.AuditVerification

	countErr      error // returned by CountUsersByStatus when set
	countCalls    int   // CountUsersByStatus calls
	listUserCalls int   // ListUsers calls

	activity     authenticator.Activity
	activityErr  error // returned by ActivityByDay when set
	activityDays []int // every ActivityByDay argument

	calls     []actionCall // every action method called
	actionErr error        // returned by every action method when set

	verifies    int                                   // VerifyAudit calls
	opRecords   []authenticator.OperatorActionRequest // every RecordOperatorAction request
	deadLetters []authenticator.Delivery
}

// actionCall is one call of an action method of Admin.
type actionCall struct {
	Method     string
	User       string // user actions
	Credential []byte // credential actions
	Reason     string
	Operator   string
}

func (f *fakeAdmin) record(c actionCall) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
	return f.actionErr
}

func (f *fakeAdmin) userAction(method string, r authenticator.UserActionRequest, st authenticator.UserStatus) (authenticator.User, error) {
	if err := f.record(actionCall{Method: method, User: r.ExternalID, Reason: r.Reason, Operator: r.Operator}); err != nil {
		return authenticator.User{}, err
	}
	return authenticator.User{ExternalID: r.ExternalID, Status: st}, nil
}

func (f *fakeAdmin) credAction(method string, r authenticator.CredentialActionRequest, st authenticator.CredentialStatus) (authenticator.Credential, error) {
	if err := f.record(actionCall{Method: method, Credential: r.CredentialID, Reason: r.Reason, Operator: r.Operator}); err != nil {
		return authenticator.Credential{}, err
	}
	return authenticator.Credential{ID: r.CredentialID, UserExternalID: "alice", Status: st}, nil
}

func (f *fakeAdmin) SuspendUser(_ context.Context, r authenticator.UserActionRequest) (authenticator.User, error) {
	return f.userAction("SuspendUser", r, authenticator.UserSuspended)
}

func (f *fakeAdmin) UnsuspendUser(_ context.Context, r authenticator.UserActionRequest) (authenticator.User, error) {
	return f.userAction("UnsuspendUser", r, authenticator.UserEnrolled)
}

func (f *fakeAdmin) RequireReverification(_ context.Context, r authenticator.UserActionRequest) (authenticator.User, error) {
	return f.userAction("RequireReverification", r, authenticator.UserBiometricPending)
}

func (f *fakeAdmin) RevokeCredential(_ context.Context, r authenticator.RevokeCredentialRequest) (authenticator.Credential, error) {
	return f.credAction("RevokeCredential", authenticator.CredentialActionRequest(r), authenticator.CredentialRevoked)
}

func (f *fakeAdmin) SuspendCredential(_ context.Context, r authenticator.CredentialActionRequest) (authenticator.Credential, error) {
	return f.credAction("SuspendCredential", r, authenticator.CredentialSuspended)
}

func (f *fakeAdmin) UnsuspendCredential(_ context.Context, r authenticator.CredentialActionRequest) (authenticator.Credential, error) {
	return f.credAction("UnsuspendCredential", r, authenticator.CredentialActive)
}

func (f *fakeAdmin) actionCalls() []actionCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]actionCall(nil), f.calls...)
}

func (f *fakeAdmin) ListUsers(_ context.Context, q authenticator.UserQuery) ([]authenticator.User, error) {
	f.mu.Lock()
	f.listUserCalls++
	f.mu.Unlock()
	var out []authenticator.User
	for _, u := range f.users {
		if u.ExternalID > q.After && len(out) < q.Limit {
			out = append(out, u)
		}
	}
	return out, nil
}

// CountUsersByStatus counts users by their status, or returns countErr.
func (f *fakeAdmin) CountUsersByStatus(context.Context) (map[authenticator.UserStatus]int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.countCalls++
	if f.countErr != nil {
		return nil, f.countErr
	}
	counts := map[authenticator.UserStatus]int{}
	for _, u := range f.users {
		counts[u.Status]++
	}
	return counts, nil
}

func (f *fakeAdmin) ReadUser(_ context.Context, req authenticator.ReadUserRequest) (authenticator.UserDetail, error) {
	f.mu.Lock()
	f.reads = append(f.reads, req)
	f.mu.Unlock()
	if req.ExternalID != f.detail.User.ExternalID {
		return authenticator.UserDetail{}, authenticator.UserError(authenticator.CodeNotFound, "user not found", nil)
	}
	return f.detail, nil
}

func (f *fakeAdmin) VerifyAudit(context.Context, ...authenticator.AuditAnchor) (authenticator.AuditVerification, error) {
	f.mu.Lock()
	f.verifies++
	f.mu.Unlock()
	return f.verify, nil
}

func (f *fakeAdmin) ListAudit(_ context.Context, after int64, limit int) ([]authenticator.AuditRecord, error) {
	var out []authenticator.AuditRecord
	for _, r := range f.audit {
		if r.Seq > after && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakeAdmin) ActivityByDay(_ context.Context, days int) (authenticator.Activity, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.activityDays = append(f.activityDays, days)
	if f.activityErr != nil {
		return authenticator.Activity{}, f.activityErr
	}
	return f.activity, nil
}

func testConfig(idp *fakeIdP) Config {
	issuer := "http://127.0.0.1:1"
	if idp != nil {
		issuer = idp.srv.URL
	}
	return Config{PublicURL: testPublicURL, Issuer: issuer, ClientID: testClientID, ClientSecret: testClientSecret,
		RoleMap:    map[string]Role{"dash-support": RoleSupport, "dash-fraud": RoleFraud, "dash-admin": RoleAdmin},
		SessionKey: testSessionKey, Now: func() time.Time { return testNow }}
}

// harness is a dashboard on a fake provider and a fake Admin.
type harness struct {
	t     *testing.T
	idp   *fakeIdP
	admin *fakeAdmin
	srv   *Server
	h     http.Handler
}

func newHarness(t *testing.T, mutate func(*Config)) *harness {
	t.Helper()
	idp := newFakeIdP(t)
	cfg := testConfig(idp)
	cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	if mutate != nil {
		mutate(&cfg)
	}
	admin := sampleAdmin()
	srv, err := New(cfg, admin)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &harness{t: t, idp: idp, admin: admin, srv: srv, h: srv.Handler()}
}

// do serves one request with cookies and returns the response.
func (h *harness) do(method, target string, cookies []*http.Cookie, form url.Values) *http.Response {
	h.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h.h.ServeHTTP(w, r)
	return w.Result()
}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// signIn runs /login → provider → /callback with claim overrides and
// returns the callback's response.
func (h *harness) signIn(over map[string]any) *http.Response {
	h.t.Helper()
	resp := h.do(http.MethodGet, "/login", nil, nil)
	if resp.StatusCode != http.StatusSeeOther {
		h.t.Fatalf("GET /login: status %d, want 303: %s", resp.StatusCode, readBody(h.t, resp))
	}
	login := cookieNamed(resp, "adminui_login")
	if login == nil || !login.HttpOnly || login.SameSite != http.SameSiteLaxMode {
		h.t.Fatalf("GET /login: login cookie %+v, want HttpOnly SameSite=Lax", login)
	}
	q := h.idp.issue(h.t, resp.Header.Get("Location"), over)
	return h.do(http.MethodGet, "/callback?"+q.Encode(), []*http.Cookie{login}, nil)
}

// session signs in with over and returns the session cookie.
func (h *harness) session(over map[string]any) *http.Cookie {
	h.t.Helper()
	resp := h.signIn(over)
	c := cookieNamed(resp, "adminui_session")
	if resp.StatusCode != http.StatusSeeOther || c == nil || c.Value == "" {
		h.t.Fatalf("callback: status %d, cookie %v: %s", resp.StatusCode, c, readBody(h.t, resp))
	}
	return c
}

// testAliceSubject is alice's audit pseudonym.
const testAliceSubject = "p-a11cea11cea11cea11cea11cea11cea1"

// sampleAdmin holds users, one detailed user with hostile strings, and audit records.
func sampleAdmin() *fakeAdmin {
	t0 := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	alice := authenticator.User{ExternalID: "alice", Username: "alice@example.com", DisplayName: `<script>alert("x")</script> Alice`,
		Status: authenticator.UserEnrolled, CreatedAt: t0, UpdatedAt: t0.Add(time.Hour), AuditSubject: testAliceSubject}
	users := []authenticator.User{
		alice,
		{ExternalID: "alan", Username: "alan", DisplayName: "Alan", Status: authenticator.UserBiometricPending, CreatedAt: t0},
		{ExternalID: "bob", Username: "bob", DisplayName: "Bob", Status: authenticator.UserSuspended, CreatedAt: t0},
	}
	// ListUsers is in ExternalID order.
	users[0], users[1] = users[1], users[0]
	aaguid := []byte{0xea, 0x9b, 0x8d, 0x66, 0x4d, 0x01, 0x1d, 0x21, 0x3c, 0xe4, 0xb6, 0xb4, 0x8c, 0xb5, 0x75, 0xd4}
	return &fakeAdmin{
		users: users,
		detail: authenticator.UserDetail{User: alice,
			Credentials: []authenticator.Credential{
				{ID: []byte{1, 2, 3}, UserExternalID: "alice", AAGUID: aaguid, BackupEligible: true, BackupState: true,
					Status: authenticator.CredentialActive, Name: `Phone <b>"work"</b>`, CreatedAt: t0, LastUsedAt: t0.Add(48 * time.Hour),
					PublicKey: []byte("public-key-bytes")},
				{ID: []byte{4, 5, 6}, UserExternalID: "alice", AAGUID: make([]byte, 16), Status: authenticator.CredentialRevoked,
					StatusReason: "lost", CreatedAt: t0},
			},
			Events: []authenticator.Event{
				{ID: 6, Type: authenticator.EventAuthenticationSuccess, UserExternalID: "alice", CredentialID: []byte{1, 2, 3}, Actor: "user",
					Detail: map[string]string{"acr": acr.StepUpACR, "client": `bank<img src=x onerror=alert(1)>`}, At: t0.Add(48*time.Hour + 20*time.Second)},
				{ID: 5, Type: authenticator.EventStepUpPassed, UserExternalID: "alice", CredentialID: []byte{1, 2, 3}, Actor: "system",
					Detail: map[string]string{"acr": acr.StepUpACR, "client": `bank<img src=x onerror=alert(1)>`, "provider": "sandbox", "run_id": "run-2"}, At: t0.Add(48 * time.Hour)},
				{ID: 4, Type: authenticator.EventStepUpFailed, UserExternalID: "alice", CredentialID: []byte{1, 2, 3}, Actor: "system",
					Detail: map[string]string{"client": `shop"><script>alert(2)</script>`, "reason": `declined <b>by user</b>`, "provider": "sandbox", "run_id": "run-1"}, At: t0.Add(47 * time.Hour)},
				{ID: 3, Type: authenticator.EventAuthenticationSuccess, UserExternalID: "alice", CredentialID: []byte{1, 2, 3}, Actor: "user",
					Detail: map[string]string{"acr": acr.RoutineACR, "client": "portal"}, At: t0.Add(2 * time.Hour)},
				{ID: 2, Type: authenticator.EventReferenceCreated, UserExternalID: "alice", Actor: "system",
					Detail: map[string]string{"reference_id": "ref-SECRET-123", "provider": "sandbox", "sealed_ref": "c2VhbGVk"}, At: t0.Add(time.Hour)},
				{ID: 1, Type: authenticator.EventCredentialRegistered, UserExternalID: "alice", CredentialID: []byte{1, 2, 3}, Actor: "user", At: t0},
			}},
		audit: []authenticator.AuditRecord{
			{Seq: 1, At: t0, Actor: "op-bob", Action: authenticator.AuditUserRead, Target: testAliceSubject, Hash: make([]byte, 32)},
			{Seq: 2, At: t0, Actor: "op-carol", Action: authenticator.AuditCredentialRevoke, Target: "BAUG",
				Detail: map[string]string{"reason": "<i>stolen</i>", "reference_id": "ref-SECRET-456", "user": testAliceSubject}, Hash: make([]byte, 32)},
			{Seq: 3, At: t0, Actor: "op-bob", Action: authenticator.AuditUserRead, Target: "p-b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0", Hash: make([]byte, 32)},
		},
		verify: authenticator.AuditVerification{Records: 3, Head: []byte{0xab, 0xcd}},
		activity: authenticator.Activity{Days: []authenticator.ActivityDay{
			{Day: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), SignIns: 40, StepUps: 3, Failures: 1},
			{Day: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC), SignIns: 10, StepUps: 6},
			{Day: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), SignIns: 20, StepUps: 0, Failures: 2, Recoveries: 1},
		}},
	}
}

// The Admin methods for the dashboard's operator actions and dead letters.
// Each action is recorded in calls, its Method naming what was done:
// "RecordOperatorAction:<action>" (User is the request's ExternalID, and
// the request is kept in opRecords), "RedeliverEvent:<delivery id>" and
// "EraseUser"; an action returns actionErr when set.

func (f *fakeAdmin) RecordOperatorAction(_ context.Context, r authenticator.OperatorActionRequest) (authenticator.AuditRecord, error) {
	f.mu.Lock()
	f.opRecords = append(f.opRecords, r)
	f.mu.Unlock()
	if err := f.record(actionCall{Method: "RecordOperatorAction:" + r.Action, User: r.ExternalID, Reason: r.Reason, Operator: r.Operator}); err != nil {
		return authenticator.AuditRecord{}, err
	}
	return authenticator.AuditRecord{At: testNow, Actor: r.Operator, Action: r.Action, Detail: r.Detail}, nil
}

func (f *fakeAdmin) operatorRecords() []authenticator.OperatorActionRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]authenticator.OperatorActionRequest(nil), f.opRecords...)
}

func (f *fakeAdmin) ListDeadLetters(_ context.Context, after int64, limit int) ([]authenticator.Delivery, error) {
	var out []authenticator.Delivery
	for _, d := range f.deadLetters {
		if d.ID > after && len(out) < limit {
			out = append(out, d)
		}
	}
	return out, nil
}

func (f *fakeAdmin) RedeliverEvent(_ context.Context, r authenticator.RedeliverRequest) (authenticator.Delivery, error) {
	if err := f.record(actionCall{Method: "RedeliverEvent:" + strconv.FormatInt(r.DeliveryID, 10), Reason: r.Reason, Operator: r.Operator}); err != nil {
		return authenticator.Delivery{}, err
	}
	return authenticator.Delivery{ID: r.DeliveryID, EventID: 40 + r.DeliveryID, Endpoint: "https://rp.example/hook", Status: authenticator.DeliveryPending}, nil
}

func (f *fakeAdmin) EraseUser(_ context.Context, r authenticator.UserActionRequest) (authenticator.Erasure, error) {
	if err := f.record(actionCall{Method: "EraseUser", User: r.ExternalID, Reason: r.Reason, Operator: r.Operator}); err != nil {
		return authenticator.Erasure{}, err
	}
	return authenticator.Erasure{ExternalID: r.ExternalID, AuditSubject: "p-00112233445566778899aabbccddeeff", Credentials: 2, References: 1, Events: 6}, nil
}
