package hydraproc_test

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	hydra "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/biometric-passkey/biometric-passkey/internal/hydraproc"
	"github.com/biometric-passkey/biometric-passkey/internal/hydraproc/hydratest"
	"github.com/biometric-passkey/biometric-passkey/internal/testenv"
)

// These tests run the real Hydra binary (make hydra).

func TestDiscovery(t *testing.T) {
	t.Parallel()
	h := hydratest.Start(t, hydraproc.Options{})

	resp, err := http.Get(h.PublicURL() + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("discovery: got HTTP %d, want 200", resp.StatusCode)
	}
	var doc struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatalf("decode discovery: %v", err)
	}
	if doc.Issuer != h.Issuer() || doc.Issuer != h.PublicURL() {
		t.Errorf("issuer: got %q, want %q (Issuer) and %q (PublicURL)", doc.Issuer, h.Issuer(), h.PublicURL())
	}
	if want := h.PublicURL() + "/oauth2/token"; doc.TokenEndpoint != want {
		t.Errorf("token_endpoint: got %q, want %q", doc.TokenEndpoint, want)
	}
}

func TestClientCredentialsAndIntrospection(t *testing.T) {
	t.Parallel()
	h := hydratest.Start(t, hydraproc.Options{})
	ctx := t.Context()

	c, err := h.CreateClient(ctx, hydra.OAuth2Client{
		ClientName:              hydra.PtrString("reports service"),
		GrantTypes:              []string{"client_credentials"},
		Scope:                   hydra.PtrString("reports.read"),
		TokenEndpointAuthMethod: hydra.PtrString("client_secret_basic"),
	})
	if err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	if c.GetClientId() == "" || c.GetClientSecret() == "" {
		t.Fatalf("CreateClient: got client_id %q and a secret of %d characters, want both set",
			c.GetClientId(), len(c.GetClientSecret()))
	}

	cc := clientcredentials.Config{
		ClientID:     c.GetClientId(),
		ClientSecret: c.GetClientSecret(),
		TokenURL:     h.PublicURL() + "/oauth2/token",
		Scopes:       []string{"reports.read"},
	}
	tok, err := cc.Token(ctx)
	if err != nil {
		t.Fatalf("client_credentials token: %v", err)
	}

	in, resp, err := h.Admin().OAuth2API.IntrospectOAuth2Token(ctx).Token(tok.AccessToken).Execute()
	if err != nil {
		t.Fatalf("introspect: %v", hydraproc.APIError("introspect", resp, err))
	}
	if !in.Active {
		t.Errorf("introspection active: got false, want true")
	}
	if got, want := in.GetScope(), "reports.read"; got != want {
		t.Errorf("introspection scope: got %q, want %q", got, want)
	}
	if got, want := in.GetClientId(), c.GetClientId(); got != want {
		t.Errorf("introspection client_id: got %q, want %q", got, want)
	}

	// A scope the client does not have is refused.
	cc.Scopes = []string{"reports.write"}
	if _, err := cc.Token(ctx); err == nil || !strings.Contains(err.Error(), "invalid_scope") {
		t.Errorf("token for an unregistered scope: got %v, want invalid_scope", err)
	}

	// CreateClient's errors carry Hydra's answer.
	_, err = h.CreateClient(ctx, hydra.OAuth2Client{RedirectUris: []string{"http://127.0.0.1/cb#fragment"}})
	if err == nil || !strings.Contains(err.Error(), "HTTP 400") || !strings.Contains(err.Error(), "fragments") {
		t.Errorf("CreateClient with a redirect URI with a fragment: got %v, want an HTTP 400 error that says why", err)
	}
}

// TestAuthorizationCodeFlow drives a whole OIDC login through Hydra with a
// minimal login and consent provider, as the end-to-end tests of the real
// provider will: it checks that Start wires the login and consent URLs and
// that acr and amr sent at login reach the ID token.
func TestAuthorizationCodeFlow(t *testing.T) {
	t.Parallel()
	const (
		subject = "user-1234"
		acr     = "urn:example:routine"
	)
	amr := []string{"hwk", "user"}

	var hp atomic.Pointer[hydraproc.Hydra]
	codes := make(chan string, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		admin := hp.Load().Admin().OAuth2API
		ch := r.URL.Query().Get("login_challenge")
		lr, resp, err := admin.GetOAuth2LoginRequest(r.Context()).LoginChallenge(ch).Execute()
		if err != nil {
			http.Error(w, hydraproc.APIError("get login request", resp, err).Error(), http.StatusBadGateway)
			return
		}
		if got := lr.GetOidcContext().AcrValues; !slices.Equal(got, []string{acr}) {
			http.Error(w, "acr_values: got "+strings.Join(got, " "), http.StatusBadRequest)
			return
		}
		red, resp, err := admin.AcceptOAuth2LoginRequest(r.Context()).LoginChallenge(ch).
			AcceptOAuth2LoginRequest(hydra.AcceptOAuth2LoginRequest{
				Subject: subject, Acr: hydra.PtrString(acr), Amr: amr,
			}).Execute()
		if err != nil {
			http.Error(w, hydraproc.APIError("accept login", resp, err).Error(), http.StatusBadGateway)
			return
		}
		http.Redirect(w, r, red.RedirectTo, http.StatusFound)
	})
	mux.HandleFunc("GET /consent", func(w http.ResponseWriter, r *http.Request) {
		admin := hp.Load().Admin().OAuth2API
		ch := r.URL.Query().Get("consent_challenge")
		cr, resp, err := admin.GetOAuth2ConsentRequest(r.Context()).ConsentChallenge(ch).Execute()
		if err != nil {
			http.Error(w, hydraproc.APIError("get consent request", resp, err).Error(), http.StatusBadGateway)
			return
		}
		red, resp, err := admin.AcceptOAuth2ConsentRequest(r.Context()).ConsentChallenge(ch).
			AcceptOAuth2ConsentRequest(hydra.AcceptOAuth2ConsentRequest{
				GrantScope:               cr.RequestedScope,
				GrantAccessTokenAudience: cr.RequestedAccessTokenAudience,
			}).Execute()
		if err != nil {
			http.Error(w, hydraproc.APIError("accept consent", resp, err).Error(), http.StatusBadGateway)
			return
		}
		http.Redirect(w, r, red.RedirectTo, http.StatusFound)
	})
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if e := q.Get("error"); e != "" {
			http.Error(w, e+": "+q.Get("error_description")+" "+q.Get("error_debug"), http.StatusBadRequest)
			return
		}
		codes <- q.Get("code")
		_, _ = w.Write([]byte("signed in"))
	})
	lp := httptest.NewServer(mux)
	defer lp.Close()

	h := hydratest.Start(t, hydraproc.Options{
		LoginURL:   lp.URL + "/login",
		ConsentURL: lp.URL + "/consent",
	})
	hp.Store(h)
	ctx := t.Context()

	c, err := h.CreateClient(ctx, hydra.OAuth2Client{
		GrantTypes:              []string{"authorization_code"},
		ResponseTypes:           []string{"code"},
		Scope:                   hydra.PtrString("openid"),
		RedirectUris:            []string{lp.URL + "/callback"},
		TokenEndpointAuthMethod: hydra.PtrString("client_secret_basic"),
	})
	if err != nil {
		t.Fatalf("CreateClient: %v", err)
	}

	prov, err := oidc.NewProvider(ctx, h.Issuer())
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	conf := oauth2.Config{
		ClientID:     c.GetClientId(),
		ClientSecret: c.GetClientSecret(),
		Endpoint:     prov.Endpoint(),
		RedirectURL:  lp.URL + "/callback",
		Scopes:       []string{oidc.ScopeOpenID},
	}
	const state, nonce = "state-0123456789", "nonce-0123456789"
	authURL := conf.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.SetAuthURLParam("acr_values", acr))

	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{Jar: jar}
	resp, err := browser.Get(authURL)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("browser ended on %s with HTTP %d, want 200 at the callback", resp.Request.URL, resp.StatusCode)
	}
	if got := resp.Request.URL.Query().Get("state"); got != state {
		t.Errorf("callback state: got %q, want %q", got, state)
	}
	code := <-codes

	tok, err := conf.Exchange(ctx, code)
	if err != nil {
		t.Fatalf("exchange code: %v", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		t.Fatal("token response has no id_token")
	}
	idt, err := prov.Verifier(&oidc.Config{ClientID: c.GetClientId()}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("verify id_token: %v", err)
	}
	var claims struct {
		ACR      string   `json:"acr"`
		AMR      []string `json:"amr"`
		AuthTime int64    `json:"auth_time"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatalf("id_token claims: %v", err)
	}
	if idt.Subject != subject {
		t.Errorf("sub: got %q, want %q", idt.Subject, subject)
	}
	if idt.Nonce != nonce {
		t.Errorf("nonce: got %q, want %q", idt.Nonce, nonce)
	}
	if claims.ACR != acr {
		t.Errorf("acr: got %q, want %q", claims.ACR, acr)
	}
	if !slices.Equal(claims.AMR, amr) {
		t.Errorf("amr: got %v, want %v", claims.AMR, amr)
	}
	if claims.AuthTime == 0 {
		t.Error("auth_time: got 0, want the login time")
	}
}

// TestIssuerOverride checks that the issuer can differ from the listen
// address, as `make run` needs for http://localhost:4444.
func TestIssuerOverride(t *testing.T) {
	t.Parallel()
	port := testenv.FreePort(t)
	issuer := "http://localhost:" + strconv.Itoa(port)
	h := hydratest.Start(t, hydraproc.Options{PublicPort: port, Issuer: issuer})
	if h.Issuer() != issuer {
		t.Errorf("Issuer: got %q, want %q", h.Issuer(), issuer)
	}
	ctx := oidc.InsecureIssuerURLContext(t.Context(), issuer)
	prov, err := oidc.NewProvider(ctx, h.PublicURL())
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	u, err := url.Parse(prov.Endpoint().TokenURL)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.Host, "localhost:"+strconv.Itoa(port); got != want {
		t.Errorf("token endpoint host: got %q, want %q", got, want)
	}
}
