package adminui

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/plugin"
)

// Security headers of every response. The CSP allows no script at all: the
// read-only views work without JavaScript.
const (
	cspHeader    = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	noStore      = "no-store"
	staticCache  = "public, max-age=3600"
	csrfFormName = "csrf"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Page names; each is templates/<name>.html rendered inside layout.html.
const (
	pageOverview    = "overview"
	pageUsers       = "users"
	pageUser        = "user"
	pageAudit       = "audit"
	pageFail        = "error"
	pageSignedOut   = "signedout"
	pageConfirm     = "confirm"
	pageConfig      = "config"
	pageDeadLetters = "deadletters"
)

// Server is the dashboard. Its zero value is not usable; call New.
type Server struct {
	cfg    Config
	admin  plugin.Admin
	log    *slog.Logger
	seal   sealer
	pages  map[string]*template.Template
	secure bool // PublicURL is https: Secure cookies with the __Host- prefix

	mu       sync.Mutex
	provider *oidc.Provider // discovered at the first sign-in
}

// New checks cfg, reporting every problem, and returns the dashboard.
func New(cfg Config, admin plugin.Admin) (*Server, error) {
	cfg = cfg.withDefaults()
	err := cfg.validate()
	if admin == nil {
		err = errors.Join(err, errors.New("adminui: the Admin service is nil"))
	}
	if err != nil {
		return nil, err
	}
	cfg.PublicURL = strings.TrimSuffix(cfg.PublicURL, "/")
	seal, err := newSealer(cfg.SessionKey)
	if err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, admin: admin, log: cfg.Logger, seal: seal, pages: pages,
		secure: strings.HasPrefix(cfg.PublicURL, "https://")}, nil
}

func parsePages() (map[string]*template.Template, error) {
	pages := make(map[string]*template.Template)
	for _, name := range []string{pageOverview, pageUsers, pageUser, pageAudit, pageFail, pageSignedOut, pageConfirm, pageConfig, pageDeadLetters} {
		t, err := template.New(name).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("adminui: parse page %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// Handler serves the dashboard.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", s.login)
	mux.HandleFunc("GET /callback", s.callback)
	mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			s.fail(w, r, nil, &pageError{status: http.StatusMethodNotAllowed, message: "Sign out with the button on any page."})
			return
		}
		s.logout(w, r)
	})
	mux.Handle("GET /{$}", s.authed(s.overview))
	mux.Handle("GET /users", s.authed(s.users))
	mux.Handle("GET /users/{id}", s.authed(s.user))
	mux.Handle("POST /users/{id}/act", s.authed(s.act))
	mux.Handle("GET /audit", s.authed(s.audit))
	mux.Handle("GET /audit/export", s.authed(s.auditExport))
	mux.Handle("GET /config", s.authed(s.config))
	mux.Handle("GET /events/dead", s.authed(s.deadLetters))
	mux.Handle("POST /events/dead/{id}/redeliver", s.authed(s.redeliver))
	static, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	mux.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", staticCache)
		files.ServeHTTP(w, r)
	}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, nil, &pageError{status: http.StatusNotFound, message: "There is no page at this address."})
	})
	return s.withHeaders(mux)
}

// withHeaders sets the security headers every response carries and logs
// each request (path only: the callback's query carries the code).
func (s *Server) withHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", cspHeader)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", noStore)
		if s.secure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "http request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path))
	})
}

// pageError is a failure with a status and an operator-safe message.
type pageError struct {
	status  int
	message string
	cause   error  // logged, never shown
	back    string // a page to go back to, if any
}

func (e *pageError) Error() string {
	if e.cause != nil {
		return e.message + ": " + e.cause.Error()
	}
	return e.message
}

func (e *pageError) Unwrap() error { return e.cause }

// statusByCode maps the Admin contract's codes to HTTP statuses; any other is 500.
var statusByCode = map[authenticator.Code]int{
	authenticator.CodeInvalidArgument: http.StatusBadRequest,
	authenticator.CodeNotFound:        http.StatusNotFound,
	authenticator.CodeConflict:        http.StatusConflict,
	authenticator.CodeUnavailable:     http.StatusServiceUnavailable,
	authenticator.CodeRateLimited:     http.StatusTooManyRequests,
}

// fail renders the error page for err. sess may be nil.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, sess *session, err error) {
	status, message := http.StatusInternalServerError, authenticator.PublicMessage(err)
	var (
		pe   *pageError
		be   *backError
		back string
	)
	if errors.As(err, &pe) {
		status, message, back = pe.status, pe.message, pe.back
	} else if st, ok := statusByCode[authenticator.CodeOf(err)]; ok {
		status = st
	}
	if errors.As(err, &be) {
		back = be.back
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	s.log.LogAttrs(r.Context(), level, "request failed", slog.String("path", r.URL.Path),
		slog.Int("status", status), slog.String("error", err.Error()))
	s.render(w, r, status, pageFail, sess, http.StatusText(status), errorView{Status: status, Message: message, Back: back})
}

// errorView is the error page's data.
type errorView struct {
	Status  int
	Message string
	SignIn  bool   // offer to sign in again
	Back    string // a link back, such as the user page an action came from
}

// view is what layout.html receives.
type view struct {
	Title    string
	Sandbox  bool
	Operator *session // nil when signed out
	Body     any
	Version  string
}

// render executes page into a buffer first, so a template failure never
// sends half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, sess *session, title string, body any) {
	var buf bytes.Buffer
	if err := s.pages[page].ExecuteTemplate(&buf, "layout", view{Title: title, Sandbox: s.cfg.Sandbox, Operator: sess, Body: body, Version: s.cfg.Version}); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "render page", slog.String("page", page), slog.String("error", err.Error()))
		http.Error(w, "Something went wrong on our side.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// Cookies.

func (s *Server) sessionCookieName() string {
	if s.secure {
		return "__Host-adminui_session"
	}
	return "adminui_session"
}

func (s *Server) loginCookieName() string {
	if s.secure {
		return "__Host-adminui_login"
	}
	return "adminui_login"
}

func (s *Server) cookie(name, value string, expires time.Time) *http.Cookie {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode}
	if value == "" {
		c.MaxAge = -1
	} else {
		c.Expires = expires
		c.MaxAge = int(expires.Sub(s.cfg.Now()) / time.Second)
	}
	return c
}

// currentSession returns the operator's session, or an error when there is
// none, it is expired or the cookie does not open.
func (s *Server) currentSession(r *http.Request) (session, error) {
	c, err := r.Cookie(s.sessionCookieName())
	if err != nil {
		return session{}, err
	}
	return s.seal.parseSession(c.Value, s.cfg.Now())
}

// pageHandler serves a page for a signed-in operator.
type pageHandler func(w http.ResponseWriter, r *http.Request, sess *session) error

// authed requires a session: without one (or with an expired or tampered
// one) the operator is sent to /login and any bad cookie is cleared.
func (s *Server) authed(h pageHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.currentSession(r)
		if err != nil {
			if !errors.Is(err, http.ErrNoCookie) {
				s.log.LogAttrs(r.Context(), slog.LevelInfo, "session refused", slog.String("error", err.Error()))
				http.SetCookie(w, s.cookie(s.sessionCookieName(), "", time.Time{}))
			}
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if err := h(w, r, &sess); err != nil {
			s.fail(w, r, &sess, err)
		}
	})
}

// Sign-in.

// oidcProvider discovers the provider once; a failed discovery is retried
// at the next sign-in.
func (s *Server) oidcProvider(ctx context.Context) (*oidc.Provider, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.provider != nil {
		return s.provider, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, s.cfg.HTTPClient), s.cfg.Issuer)
	if err != nil {
		return nil, err
	}
	s.provider = p
	return p, nil
}

func (s *Server) oauth2Config(p *oidc.Provider) *oauth2.Config {
	scopes := append([]string{oidc.ScopeOpenID}, s.cfg.Scopes...)
	return &oauth2.Config{ClientID: s.cfg.ClientID, ClientSecret: s.cfg.ClientSecret,
		Endpoint: p.Endpoint(), RedirectURL: s.cfg.PublicURL + "/callback", Scopes: scopes}
}

var errProviderDown = &pageError{status: http.StatusBadGateway,
	message: "The identity provider cannot be reached. Please try again in a moment."}

// login is GET /login: start the authorization code flow with PKCE S256,
// state and nonce, remembered in the sealed login cookie.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	p, err := s.oidcProvider(r.Context())
	if err != nil {
		s.fail(w, r, nil, &pageError{status: errProviderDown.status, message: errProviderDown.message, cause: err})
		return
	}
	ls := loginState{State: rand.Text(), Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier(),
		Expires: s.cfg.Now().Add(loginTTL).Unix()}
	value, err := s.seal.seal(purposeLogin, ls)
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	http.SetCookie(w, s.cookie(s.loginCookieName(), value, s.cfg.Now().Add(loginTTL)))
	http.Redirect(w, r, s.oauth2Config(p).AuthCodeURL(ls.State, oauth2.S256ChallengeOption(ls.Verifier), oidc.Nonce(ls.Nonce)), http.StatusSeeOther)
}

// signInAgain is the error of a callback that cannot be completed.
func signInAgain(message string, cause error) error {
	return &pageError{status: http.StatusBadRequest, message: message, cause: cause}
}

// callback is GET /callback: finish the sign-in. The login cookie is
// cleared whatever happens, so a code can be tried once.
func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, s.cookie(s.loginCookieName(), "", time.Time{}))
	sess, err := s.finishSignIn(r)
	if err != nil {
		var pe *pageError
		if errors.As(err, &pe) && pe.status == http.StatusForbidden {
			http.SetCookie(w, s.cookie(s.sessionCookieName(), "", time.Time{}))
		}
		s.failSignIn(w, r, err)
		return
	}
	value, err := s.seal.seal(purposeSession, sess)
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	http.SetCookie(w, s.cookie(s.sessionCookieName(), value, time.Unix(sess.Expires, 0)))
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "operator signed in", slog.String("sub", sess.Sub), slog.String("role", string(sess.Role)))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// failSignIn renders a sign-in failure with a way to start again.
func (s *Server) failSignIn(w http.ResponseWriter, r *http.Request, err error) {
	status, message := http.StatusInternalServerError, "Something went wrong on our side."
	var pe *pageError
	if errors.As(err, &pe) {
		status, message = pe.status, pe.message
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "sign-in refused", slog.Int("status", status), slog.String("error", err.Error()))
	s.render(w, r, status, pageFail, nil, http.StatusText(status), errorView{Status: status, Message: message, SignIn: true})
}

func (s *Server) finishSignIn(r *http.Request) (session, error) {
	now := s.cfg.Now()
	c, err := r.Cookie(s.loginCookieName())
	if err != nil {
		return session{}, signInAgain("This sign-in was not started here, or took too long. Please sign in again.", err)
	}
	ls, err := s.seal.parseLogin(c.Value, now)
	if err != nil {
		return session{}, signInAgain("This sign-in was not started here, or took too long. Please sign in again.", err)
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(ls.State)) != 1 {
		return session{}, signInAgain("This sign-in does not match the one started here. Please sign in again.", errors.New("state mismatch"))
	}
	if e := q.Get("error"); e != "" {
		return session{}, &pageError{status: http.StatusForbidden, message: "The identity provider did not sign you in (" + e + ")."}
	}
	code := q.Get("code")
	if code == "" {
		return session{}, signInAgain("The identity provider sent no authorization code. Please sign in again.", nil)
	}
	p, err := s.oidcProvider(r.Context())
	if err != nil {
		return session{}, &pageError{status: errProviderDown.status, message: errProviderDown.message, cause: err}
	}
	ctx := oidc.ClientContext(r.Context(), s.cfg.HTTPClient)
	tok, err := s.oauth2Config(p).Exchange(ctx, code, oauth2.VerifierOption(ls.Verifier))
	if err != nil {
		return session{}, signInAgain("The identity provider refused the authorization code. Please sign in again.", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return session{}, signInAgain("The identity provider sent no ID token.", nil)
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: s.cfg.ClientID, Now: s.cfg.Now}).Verify(ctx, raw)
	if err != nil {
		return session{}, signInAgain("The ID token did not verify. Please sign in again.", err)
	}
	if idt.Nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(ls.Nonce)) != 1 {
		return session{}, signInAgain("The ID token was not issued for this sign-in. Please sign in again.", errors.New("nonce mismatch"))
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return session{}, signInAgain("The ID token's claims cannot be read.", err)
	}
	role := s.roleOf(claims[s.cfg.RoleClaim])
	if role == "" {
		return session{}, &pageError{status: http.StatusForbidden,
			message: fmt.Sprintf("You are signed in at the identity provider as %s, but that account has no dashboard role (support, fraud or admin). Ask an administrator for access.", idt.Subject)}
	}
	ttl := s.cfg.SessionTTL
	return session{Sub: idt.Subject, Role: role, CSRF: rand.Text(), Expires: now.Add(ttl).Unix()}, nil
}

// roleOf maps the role claim (a string or an array of strings) to the
// strongest dashboard role, or "" when none maps.
func (s *Server) roleOf(claim any) Role {
	var values []string
	switch v := claim.(type) {
	case string:
		values = []string{v}
	case []any:
		for _, e := range v {
			if str, ok := e.(string); ok {
				values = append(values, str)
			}
		}
	}
	var best Role
	for _, v := range values {
		if r := s.cfg.RoleMap[v]; r.rank() > best.rank() {
			best = r
		}
	}
	return best
}

// logout is POST /logout: the form must carry the session's CSRF token.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	sess, err := s.currentSession(r)
	if err != nil {
		http.SetCookie(w, s.cookie(s.sessionCookieName(), "", time.Time{}))
		s.render(w, r, http.StatusOK, pageSignedOut, nil, "Signed out", nil)
		return
	}
	if _, err := checkedForm(w, r, &sess, 4096); err != nil {
		s.fail(w, r, &sess, err)
		return
	}
	http.SetCookie(w, s.cookie(s.sessionCookieName(), "", time.Time{}))
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "operator signed out", slog.String("sub", sess.Sub))
	s.render(w, r, http.StatusOK, pageSignedOut, nil, "Signed out", nil)
}

// queryURL builds path?query with the non-empty values.
func queryURL(path string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
