package bankapp

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/biometric-passkey/biometric-passkey/acr"
)

// DefaultEnrollScope is the scope the bank asks for when it gets a token for
// the login provider's enrollment API.
const DefaultEnrollScope = "passkey.enroll"

// ErrInvalidConfig is wrapped by every Config validation error of New.
var ErrInvalidConfig = errors.New("invalid bank config")

// Config configures the bank. New works on a copy; the zero values of the
// optional fields mean the documented defaults.
type Config struct {
	// PublicURL is the bank's base URL as the browser sees it, e.g.
	// http://localhost:8080. The OAuth redirect URI is PublicURL+"/callback",
	// the post-logout redirect URI PublicURL+"/". Cookies carry Secure when it
	// is https. Required.
	PublicURL string
	// Issuer is the OpenID provider's issuer (Hydra's public URL), e.g.
	// http://localhost:4444. It must match discovery exactly. Required.
	Issuer string
	// ClientID is the bank's authorization-code client at the issuer. Required.
	ClientID string
	// ClientSecret is ClientID's secret. Required.
	ClientSecret string
	// EnrollClientID is the client_credentials client the bank uses to call
	// the login provider's enrollment API. Required.
	EnrollClientID string
	// EnrollClientSecret is EnrollClientID's secret. Required.
	EnrollClientSecret string
	// EnrollScope is the scope requested for enrollment API tokens; default
	// DefaultEnrollScope.
	EnrollScope string
	// ProviderURL is the login provider's base URL for server-to-server calls,
	// e.g. http://localhost:8081. Required.
	ProviderURL string
	// ACR is the acr value requested at sign-in (acr_values); default
	// acr.RoutineACR.
	ACR string
	// IntrospectionURL is the token introspection endpoint (RFC 7662) the
	// bank's API asks about access tokens: Hydra's admin API,
	// e.g. http://localhost:4445/admin/oauth2/introspect. Required.
	IntrospectionURL string
	// Policy is the API's per-action acr policy, with the actions
	// "transfer" (by amount, in EUR) and "add-payee"; nil means
	// DefaultPolicy.
	Policy *acr.PolicyConfig
	// HTTPClient makes every outgoing call: discovery, JWKS, token and
	// enrollment API. Default: a client with a 10-second timeout.
	HTTPClient *http.Client
	// Logger receives request failures with their detail; default
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock for ID-token expiry, cookie lifetimes and "seconds
	// ago"; default time.Now.
	Now func() time.Time
}

// normalize returns a copy of c with defaults filled in, or every problem
// found, each naming its field.
func (c Config) normalize() (Config, error) {
	if c.EnrollScope == "" {
		c.EnrollScope = DefaultEnrollScope
	}
	if c.ACR == "" {
		c.ACR = acr.RoutineACR
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")

	var errs []error
	for _, f := range []struct{ name, value string }{
		{"PublicURL", c.PublicURL},
		{"Issuer", c.Issuer},
		{"ProviderURL", c.ProviderURL},
		{"IntrospectionURL", c.IntrospectionURL},
	} {
		if err := checkBaseURL(f.value); err != nil {
			errs = append(errs, fmt.Errorf("%w: %s: %w", ErrInvalidConfig, f.name, err))
		}
	}
	for _, f := range []struct{ name, value string }{
		{"ClientID", c.ClientID},
		{"ClientSecret", c.ClientSecret},
		{"EnrollClientID", c.EnrollClientID},
		{"EnrollClientSecret", c.EnrollClientSecret},
	} {
		if f.value == "" {
			errs = append(errs, fmt.Errorf("%w: %s: required", ErrInvalidConfig, f.name))
		}
	}
	if strings.ContainsAny(c.ACR, " \t\r\n") {
		errs = append(errs, fmt.Errorf("%w: ACR: a single acr value without spaces, got %q", ErrInvalidConfig, c.ACR))
	}
	if c.Policy == nil {
		p := DefaultPolicy()
		c.Policy = &p
	}
	if _, err := newPolicy(*c.Policy); err != nil {
		errs = append(errs, fmt.Errorf("%w: Policy: %w", ErrInvalidConfig, err))
	}
	if strings.ContainsAny(c.EnrollScope, " \t\r\n") {
		errs = append(errs, fmt.Errorf("%w: EnrollScope: a single scope without spaces, got %q", ErrInvalidConfig, c.EnrollScope))
	}
	return c, errors.Join(errs...)
}

// checkBaseURL accepts an absolute http(s) URL without query or fragment.
func checkBaseURL(v string) error {
	if v == "" {
		return errors.New("required")
	}
	u, err := url.Parse(v)
	if err != nil {
		return fmt.Errorf("parse %q: %w", v, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("want an absolute http(s) URL without query or fragment, got %q", v)
	}
	return nil
}

// App is the bank: its pages, its in-memory accounts and sessions, and its
// clients for the OpenID provider and the enrollment API.
type App struct {
	cfg          Config
	oauth        oauth2.Config
	verifier     *oidc.IDTokenVerifier
	endSession   *url.URL // nil when the provider has no end_session_endpoint
	enrollURL    string
	enrollTokens oauth2.TokenSource
	csrfKey      []byte
	secure       bool // cookies carry Secure

	accounts accounts
	logins   expiring[pendingLogin]
	sessions expiring[session]

	// The API: its policy and enforcer, the customers' money, and the
	// bound tokens it has accepted once already.
	api      http.Handler
	policy   *acr.Policy
	enforcer *acr.Enforcer
	ledger   ledger
	spent    expiring[struct{}]
	// stepUps are started step-ups for a transfer or payee, by state.
	stepUps expiring[pendingStepUp]
}

// New validates cfg, runs OpenID Connect discovery at cfg.Issuer and returns
// the bank. It makes one attempt; retrying while the provider starts is the
// caller's business.
func New(ctx context.Context, cfg Config) (*App, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	prov, err := oidc.NewProvider(oidc.ClientContext(ctx, cfg.HTTPClient), cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("bankapp: discovery at %s: %w", cfg.Issuer, err)
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := prov.Claims(&meta); err != nil {
		return nil, fmt.Errorf("bankapp: read discovery document: %w", err)
	}
	endpoint := prov.Endpoint()
	if endpoint.TokenURL == "" || endpoint.AuthURL == "" {
		return nil, fmt.Errorf("bankapp: discovery at %s: token_endpoint and authorization_endpoint are required", cfg.Issuer)
	}
	a := &App{
		cfg: cfg,
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     endpoint,
			RedirectURL:  cfg.PublicURL + "/callback",
			Scopes:       []string{oidc.ScopeOpenID},
		},
		verifier: prov.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: cfg.Now}),
		csrfKey:  make([]byte, 32),
		secure:   strings.HasPrefix(cfg.PublicURL, "https://"),
	}
	rand.Read(a.csrfKey)
	if a.policy, err = newPolicy(*cfg.Policy); err != nil { // validated by normalize
		return nil, fmt.Errorf("%w: Policy: %w", ErrInvalidConfig, err)
	}
	a.enforcer = acr.NewEnforcer(ladder, a.tokenFacts,
		acr.WithClock(cfg.Now), acr.WithLogger(cfg.Logger), acr.WithRealm(apiRealm))
	a.api = a.apiHandler()
	if meta.EndSession != "" {
		if a.endSession, err = url.Parse(meta.EndSession); err != nil {
			return nil, fmt.Errorf("bankapp: discovery at %s: end_session_endpoint: %w", cfg.Issuer, err)
		}
	}
	if a.enrollURL, err = url.JoinPath(cfg.ProviderURL, "api/v1/enrollments"); err != nil {
		return nil, fmt.Errorf("bankapp: enrollment API URL: %w", err)
	}
	cc := clientcredentials.Config{
		ClientID:     cfg.EnrollClientID,
		ClientSecret: cfg.EnrollClientSecret,
		TokenURL:     endpoint.TokenURL,
		Scopes:       []string{cfg.EnrollScope},
	}
	// The token source outlives ctx (it refreshes on demand), so it keeps
	// ctx's values but not its cancellation.
	a.enrollTokens = cc.TokenSource(oidc.ClientContext(context.WithoutCancel(ctx), cfg.HTTPClient))
	return a, nil
}

// Handler returns the bank's routes, with security headers on every response.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /signup", a.signupPage)
	mux.HandleFunc("POST /signup", a.signup)
	mux.HandleFunc("GET /enrolled", a.enrolled)
	mux.HandleFunc("GET /login", a.login)
	mux.HandleFunc("GET /callback", a.callback)
	mux.HandleFunc("GET /account", a.account)
	mux.HandleFunc("GET /transfers/new", a.transferPage)
	mux.HandleFunc("POST /transfers", a.newTransfer)
	mux.HandleFunc("GET /transfers/{id}", a.transferDone)
	mux.HandleFunc("GET /payees/new", a.payeePage)
	mux.HandleFunc("POST /payees", a.newPayee)
	mux.HandleFunc("GET /payees/{id}", a.payeeDone)
	mux.Handle("/api/", a.api)
	mux.HandleFunc("POST /logout", a.logout)
	mux.Handle("GET /static/", http.FileServerFS(staticFS))
	mux.HandleFunc("/", a.notFound)
	return securityHeaders(mux)
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

func (a *App) home(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "home", "Welcome", nil)
}

func (a *App) enrolled(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "enrolled", "Passkey ready", nil)
}

func (a *App) notFound(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusNotFound, "message", "Page not found", message{
		Heading: "We couldn't find that page",
		Text:    "The link may be old or mistyped.",
		Next:    &link{Href: "/", Label: "Back to the home page", ID: "home"},
	})
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages holds one template set per page: the shared layout plus the page.
var pages = parsePages("home", "signup", "enrolled", "account", "message", "transfer", "payee", "done")

func parsePages(names ...string) map[string]*template.Template {
	m := make(map[string]*template.Template, len(names))
	for _, n := range names {
		m[n] = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/"+n+".html"))
	}
	return m
}

// page is what the layout renders; Body is the page's own data.
type page struct {
	Title    string
	SignedIn bool
	Body     any
}

// message is the body of the "message" page: errors, refusals, not found.
type message struct {
	Heading string
	Text    string
	// Detail is a further line, such as what the provider said when it
	// refused a step-up; empty for none.
	Detail string
	Next   *link
}

// link is a button-styled link to the next step.
type link struct {
	Href, Label, ID string
}

// render writes a whole page or, if the template fails, a plain 500.
func (a *App) render(w http.ResponseWriter, r *http.Request, status int, name, title string, body any) {
	_, signedIn := a.currentSession(r)
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout", page{Title: title, SignedIn: signedIn, Body: body}); err != nil {
		a.cfg.Logger.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		http.Error(w, "Something went wrong on our side. Please try again.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if _, err := buf.WriteTo(w); err != nil {
		a.cfg.Logger.DebugContext(r.Context(), "write page", "page", name, "err", err)
	}
}

// fail logs err with its detail and shows the user msg, which never
// carries that detail.
func (a *App) fail(w http.ResponseWriter, r *http.Request, status int, msg message, err error) {
	level := slog.LevelWarn
	if status >= http.StatusInternalServerError {
		level = slog.LevelError
	}
	a.cfg.Logger.Log(r.Context(), level, "request failed",
		"method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	a.render(w, r, status, "message", msg.Heading, msg)
}

// Messages shown for failures; the cause goes to the log.
var (
	msgFormExpired = message{
		Heading: "This form has expired",
		Text:    "For your security we couldn't accept it. Please go back, reload the page and try again.",
		Next:    &link{Href: "/", Label: "Back to the home page", ID: "home"},
	}
	msgPasskeyServiceDown = message{
		Heading: "We couldn't set up your passkey right now",
		Text:    "Our passkey service didn't answer as expected. Please try again in a moment.",
		Next:    &link{Href: "/signup", Label: "Try again", ID: "retry"},
	}
)

// maxFormBytes bounds every form body.
const maxFormBytes = 16 << 10

const csrfCookie = "bank_csrf"

// csrfToken returns the form token bound to the browser's CSRF cookie,
// setting the cookie first if the browser has none. The token is an HMAC of
// the cookie under a per-process key, so a cookie planted by someone else is
// useless without its token.
func (a *App) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && c.Value != "" {
		return a.csrfMAC(c.Value)
	}
	v := rand.Text()
	a.setCookie(w, csrfCookie, v, "/", 0)
	return a.csrfMAC(v)
}

func (a *App) csrfMAC(cookie string) string {
	m := hmac.New(sha256.New, a.csrfKey)
	m.Write([]byte(cookie))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF reports whether the posted "csrf" field matches the cookie.
// It parses the form; callers bound the body first.
func (a *App) checkCSRF(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || c.Value == "" {
		return false
	}
	return hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(a.csrfMAC(c.Value)))
}

// setCookie sets an HttpOnly, SameSite=Lax cookie; maxAge 0 makes a browser
// session cookie, a negative maxAge deletes it.
func (a *App) setCookie(w http.ResponseWriter, name, value, path string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     path,
		MaxAge:   maxAge,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		Secure:   a.secure,
	})
}
