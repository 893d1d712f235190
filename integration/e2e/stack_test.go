package e2e_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	hydraapi "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"gopkg.in/yaml.v3"

	"github.com/biometric-passkey/biometric-passkey/internal/app"
	"github.com/biometric-passkey/biometric-passkey/internal/hydraproc"
	"github.com/biometric-passkey/biometric-passkey/internal/hydraproc/hydratest"
	"github.com/biometric-passkey/biometric-passkey/internal/softauthn"
	"github.com/biometric-passkey/biometric-passkey/internal/testenv"
)

// stack is Hydra + Redis + the provider (in this process) + the plugin
// (a subprocess), with an RP client and an enrollment client registered.
type stack struct {
	t           *testing.T
	hydra       *hydraproc.Hydra
	provider    *app.Provider
	providerURL string
	rpRedirect  string
	oauth       oauth2.Config
	verifier    *oidc.IDTokenVerifier
	enroll      clientcredentials.Config
	// last is the body of the last postJSON answer, for golden files.
	last []byte
	// goldens makes enrollUser compare the API answers with golden files.
	goldens bool
	// configPath is the configuration file the provider and plugin read.
	configPath string
	// idv is the identity-verification vendor's fake, when the stack has one.
	idv *idvVendor
	// approvals gets the RP's client-credentials tokens with the approvals
	// scope (IDV stacks only).
	approvals clientcredentials.Config
	// cfg is the provider's configuration, for replicas of it (addReplica).
	cfg app.Config
	// lb is the load balancer serving providerURL (balanced stacks only).
	lb *balancer
}

// stackOptions shape a stack; the zero value is the default stack, without
// an identity-verification provider.
type stackOptions struct {
	// idv runs the stack with the onfido provider pointed at an onfidofake
	// server the test starts (idvVendor).
	idv bool
	// idvTimeout is authenticator.idv.timeout (0: the default; min 1s).
	idvTimeout time.Duration
	// postgres puts the plugin's durable store on a PostgreSQL database of
	// the test's own (testenv.Postgres, auto_migrate on) instead of a
	// SQLite file.
	postgres bool
	// balanced serves providerURL from a load balancer (replicas_test.go)
	// with the provider behind it, so that addReplica can start more
	// providers behind the same public origin.
	balanced bool
}

// with returns a copy of s whose helpers report to t: subtests that share
// one stack each get their own.
func (s *stack) with(t *testing.T) *stack {
	c := *s
	c.t, c.last = t, nil
	return &c
}

const (
	rpClientID     = "rp"
	enrollClientID = "rp-backend"
)

func newStack(t *testing.T) *stack {
	t.Helper()
	return newStackWith(t, stackOptions{})
}

func newStackWith(t *testing.T, o stackOptions) *stack {
	t.Helper()
	ctx := t.Context()
	redisAddr := testenv.RedisAddr(t)
	port := testenv.FreePort(t)
	s := &stack{t: t, providerURL: "http://localhost:" + strconv.Itoa(port), rpRedirect: "http://localhost:1/callback"}
	s.hydra = hydratest.Start(t, hydraproc.Options{
		LoginURL: s.providerURL + "/login", ConsentURL: s.providerURL + "/consent", LogoutURL: s.providerURL + "/logout",
	})
	rpSecret, enrollSecret := secret(), secret()
	rpGrants, rpScope, enrollScope := []string{"authorization_code"}, "openid", "passkey.enroll other.scope"
	var enrollRedirects []string
	if o.idv {
		// The RP's backend verifies its approvals with its own client
		// (GET /api/v1/approvals/{id} shows a client only its own); the
		// enrollment client may ask too, and must be told "not found".
		rpGrants, rpScope = append(rpGrants, "client_credentials"), rpScope+" "+approvalScope
		enrollScope += " " + approvalScope
		// Enrollment links may carry a return_url on the RP's origin.
		enrollRedirects = []string{s.rpRedirect}
	}
	for _, c := range []hydraapi.OAuth2Client{{
		ClientId: hydraapi.PtrString(rpClientID), ClientSecret: hydraapi.PtrString(rpSecret),
		GrantTypes: rpGrants, ResponseTypes: []string{"code"}, Scope: hydraapi.PtrString(rpScope),
		RedirectUris: []string{s.rpRedirect}, TokenEndpointAuthMethod: hydraapi.PtrString("client_secret_basic"),
	}, {
		ClientId: hydraapi.PtrString(enrollClientID), ClientSecret: hydraapi.PtrString(enrollSecret),
		GrantTypes: []string{"client_credentials"}, Scope: hydraapi.PtrString(enrollScope), RedirectUris: enrollRedirects,
		TokenEndpointAuthMethod: hydraapi.PtrString("client_secret_basic"),
	}} {
		if _, err := s.hydra.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
	}

	cfg := app.Defaults()
	cfg.Host.Listen = "127.0.0.1:" + strconv.Itoa(port)
	if o.balanced {
		s.lb = startBalancer(t, port)
		cfg.Host.Listen = "127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))
	}
	cfg.Host.PublicURL, cfg.Host.HydraAdminURL = s.providerURL, s.hydra.AdminURL()
	cfg.Host.FirstPartyClients = []string{rpClientID}
	cfg.Plugin.Path = filepath.Join(binDir, "biometric-passkey-plugin")
	a := &cfg.Authenticator
	a.RPOrigins = []string{s.providerURL}
	a.Store.DSN = filepath.Join(t.TempDir(), "passkey.db")
	if o.postgres {
		a.Store.Driver, a.Store.DSN, a.Store.AutoMigrate = app.StorePostgres, testenv.Postgres(t), true
	}
	a.Ephemeral.Driver, a.Ephemeral.Redis.Addrs, a.Ephemeral.Redis.Prefix = "redis", []string{redisAddr}, "e2e-"+secret()[:8]+":"
	if o.idv {
		s.idv = startIDVVendor(t)
		s.idv.configure(&a.IDV)
		if o.idvTimeout != 0 {
			a.IDV.Timeout = o.idvTimeout
		}
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	s.configPath, s.cfg = path, cfg
	b, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	if s.provider, err = app.StartProvider(ctx, cfg, path, log); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.provider.Close(); err != nil {
			t.Errorf("close provider: %v", err)
		}
	})
	if s.lb != nil {
		s.lb.add(s.provider)
	}

	op, err := oidc.NewProvider(ctx, s.hydra.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	s.oauth = oauth2.Config{ClientID: rpClientID, ClientSecret: rpSecret, Endpoint: op.Endpoint(), RedirectURL: s.rpRedirect, Scopes: []string{oidc.ScopeOpenID}}
	s.verifier = op.Verifier(&oidc.Config{ClientID: rpClientID})
	s.enroll = clientcredentials.Config{ClientID: enrollClientID, ClientSecret: enrollSecret, TokenURL: op.Endpoint().TokenURL, Scopes: []string{"passkey.enroll"}}
	s.approvals = clientcredentials.Config{ClientID: rpClientID, ClientSecret: rpSecret, TokenURL: op.Endpoint().TokenURL, Scopes: []string{approvalScope}}
	return s
}

func secret() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// browser is a cookie-keeping client that stops at every redirect, so the
// test sees each hop.
type browser struct {
	t *testing.T
	c *http.Client
}

func (s *stack) newBrowser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return &browser{t: s.t, c: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// stop is where a followed chain of redirects ended.
type stop struct {
	loginChallenge string     // at the provider's login page
	consent        url.Values // the consent form's hidden fields, at the provider's consent page
	callback       url.Values // at the RP's redirect URI
	hops           []string
}

// follow walks redirects from u until the provider shows its login page or
// the browser is sent to the RP's redirect URI.
func (s *stack) follow(b *browser, u string) stop {
	s.t.Helper()
	var st stop
	for range 20 {
		st.hops = append(st.hops, u)
		if strings.HasPrefix(u, s.rpRedirect) {
			pu, err := url.Parse(u)
			if err != nil {
				s.t.Fatal(err)
			}
			st.callback = pu.Query()
			return st
		}
		resp, err := b.c.Get(u)
		if err != nil {
			s.t.Fatalf("GET %s: %v", u, err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc, err := resp.Location()
			if err != nil {
				s.t.Fatalf("redirect without Location from %s", u)
			}
			u = loc.String()
		case resp.StatusCode == http.StatusOK && strings.HasPrefix(u, s.providerURL+"/login"):
			pu, _ := url.Parse(u)
			st.loginChallenge = pu.Query().Get("login_challenge")
			return st
		case resp.StatusCode == http.StatusOK && strings.HasPrefix(u, s.providerURL+"/consent"):
			st.consent = url.Values{}
			for _, m := range hiddenField.FindAllStringSubmatch(string(body), -1) {
				st.consent.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
			}
			return st
		default:
			s.t.Fatalf("GET %s: status %d: %s", u, resp.StatusCode, body)
		}
	}
	s.t.Fatalf("too many redirects: %v", st.hops)
	return st
}

// hiddenField matches the consent form's hidden inputs.
var hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// postJSON posts v to the provider and decodes the JSON answer into out.
func (s *stack) postJSON(b *browser, path, bearer string, v, out any) int {
	s.t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		s.t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(s.t.Context(), http.MethodPost, s.providerURL+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		s.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	if s.last, err = io.ReadAll(resp.Body); err != nil {
		s.t.Fatalf("POST %s: read: %v", path, err)
	}
	if out != nil {
		if err := json.Unmarshal(s.last, out); err != nil {
			s.t.Fatalf("POST %s: status %d, decode: %v", path, resp.StatusCode, err)
		}
	}
	return resp.StatusCode
}

type apiError struct {
	Error      string `json:"error"`
	Message    string `json:"message"`
	RedirectTo string `json:"redirect_to"`
}

type ceremony struct {
	CeremonyID string          `json:"ceremony_id"`
	PublicKey  json.RawMessage `json:"public_key"`
	apiError
}

// enrollUser starts an enrollment as the RP's backend and registers a passkey
// through the provider's API, returning the software authenticator.
func (s *stack) enrollUser(externalID string, o softauthn.Options) *softauthn.Authenticator {
	s.t.Helper()
	tok, err := s.enroll.Token(s.t.Context())
	if err != nil {
		s.t.Fatal(err)
	}
	b := s.newBrowser()
	var enr struct {
		EnrollmentURL string `json:"enrollment_url"`
		User          struct {
			Status string `json:"status"`
		} `json:"user"`
		apiError
	}
	if code := s.postJSON(b, "/api/v1/enrollments", tok.AccessToken, map[string]string{"external_user_id": externalID}, &enr); code != http.StatusCreated {
		s.t.Fatalf("start enrollment: status %d: %+v", code, enr.apiError)
	}
	if s.goldens {
		goldenJSON(s.t, "api_enrollments", s.last)
	}
	eu, err := url.Parse(enr.EnrollmentURL)
	if err != nil || !strings.HasPrefix(enr.EnrollmentURL, s.providerURL+"/enroll?") {
		s.t.Fatalf("enrollment_url %q is not a link to the provider", enr.EnrollmentURL)
	}
	var cer ceremony
	if code := s.postJSON(b, "/api/v1/enroll/begin", "", map[string]string{"token": eu.Query().Get("token")}, &cer); code != http.StatusOK {
		s.t.Fatalf("enroll begin: status %d: %+v", code, cer.apiError)
	}
	if s.goldens {
		goldenJSON(s.t, "api_enroll_begin", s.last)
	}
	o.RPID, o.Origin = "localhost", s.providerURL
	a, err := softauthn.New(o)
	if err != nil {
		s.t.Fatal(err)
	}
	cred, err := a.Register(cer.PublicKey)
	if err != nil {
		s.t.Fatal(err)
	}
	var done struct {
		Status string `json:"status"`
		apiError
	}
	if code := s.postJSON(b, "/api/v1/enroll/finish", "", map[string]any{"ceremony_id": cer.CeremonyID, "credential": json.RawMessage(cred)}, &done); code != http.StatusOK {
		s.t.Fatalf("enroll finish: status %d: %+v", code, done.apiError)
	}
	if s.goldens {
		goldenJSON(s.t, "api_enroll_finish", s.last)
	}
	if done.Status != "biometric_pending" {
		s.t.Errorf("status after enrollment: got %q, want biometric_pending", done.Status)
	}
	return a
}

// authRequest is one authorization request the RP sends.
type authRequest struct {
	state, nonce, verifier string
	url                    string
}

func (s *stack) authorize(params ...oauth2.AuthCodeOption) authRequest {
	r := authRequest{state: secret(), nonce: secret(), verifier: oauth2.GenerateVerifier()}
	opts := append([]oauth2.AuthCodeOption{oidc.Nonce(r.nonce), oauth2.S256ChallengeOption(r.verifier)}, params...)
	r.url = s.oauth.AuthCodeURL(r.state, opts...)
	return r
}

// signIn runs a passkey ceremony for the login at the provider and returns
// where the browser is sent next, or the API error.
func (s *stack) signIn(b *browser, challenge string, a *softauthn.Authenticator, username string) (string, apiError, int) {
	s.t.Helper()
	var cer ceremony
	if code := s.postJSON(b, "/api/v1/login/begin", "", map[string]string{"login_challenge": challenge, "username": username}, &cer); code != http.StatusOK {
		return "", cer.apiError, code
	}
	assertion, err := a.Assert(cer.PublicKey)
	if err != nil {
		s.t.Fatal(err)
	}
	var out apiError
	code := s.postJSON(b, "/api/v1/login/finish", "", map[string]any{"ceremony_id": cer.CeremonyID, "credential": json.RawMessage(assertion)}, &out)
	return out.RedirectTo, out, code
}

// claims are the ID token claims the tests check.
type claims struct {
	Subject  string   `json:"sub"`
	ACR      string   `json:"acr"`
	AMR      []string `json:"amr"`
	AuthTime int64    `json:"auth_time"`
	SID      string   `json:"sid"`
	Nonce    string   `json:"nonce"`
	// All is every claim, for the golden file.
	All map[string]any `json:"-"`
	// AccessToken is the access token issued with the ID token.
	AccessToken string `json:"-"`
}

// redeem checks the callback's state, exchanges the code with the PKCE
// verifier and verifies the ID token with go-oidc, including the nonce.
func (s *stack) redeem(r authRequest, cb url.Values) claims {
	s.t.Helper()
	if cb.Get("error") != "" {
		s.t.Fatalf("callback error %s: %s", cb.Get("error"), cb.Get("error_description"))
	}
	if cb.Get("state") != r.state {
		s.t.Fatalf("state: got %q, want %q", cb.Get("state"), r.state)
	}
	ctx := context.Background()
	tok, err := s.oauth.Exchange(ctx, cb.Get("code"), oauth2.VerifierOption(r.verifier))
	if err != nil {
		s.t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := s.verifier.Verify(ctx, raw)
	if err != nil {
		s.t.Fatalf("verify ID token: %v", err)
	}
	var c claims
	if err := idt.Claims(&c); err != nil {
		s.t.Fatal(err)
	}
	if err := idt.Claims(&c.All); err != nil {
		s.t.Fatal(err)
	}
	if c.Nonce != r.nonce {
		s.t.Fatalf("nonce: got %q, want %q", c.Nonce, r.nonce)
	}
	c.AccessToken = tok.AccessToken
	return c
}

// introspect asks Hydra's admin API about an access token, as a resource
// server would, and returns the answer and its claims as JSON decodes them.
func (s *stack) introspect(token string) (hydraapi.IntrospectedOAuth2Token, map[string]any) {
	s.t.Helper()
	it, _, err := s.hydra.Admin().OAuth2API.IntrospectOAuth2Token(s.t.Context()).Token(token).Execute()
	if err != nil {
		s.t.Fatalf("introspect: %v", err)
	}
	raw, err := json.Marshal(it)
	if err != nil {
		s.t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		s.t.Fatal(err)
	}
	return *it, claims
}

func rawJSON(b []byte) json.RawMessage { return json.RawMessage(b) }
