package bankapp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/biometric-passkey/biometric-passkey/acr"
)

const (
	loginCookie   = "bank_login"
	sessionCookie = "bank_session"
	// loginTTL is how long a started sign-in may take, passkey and biometric
	// check included.
	loginTTL = 10 * time.Minute
	// sessionTTL is the lifetime of a bank session.
	sessionTTL = time.Hour
)

// ladder orders the acr values the bank understands: the project's defaults.
var ladder = acr.DefaultLadder()

// Claims are the ID-token claims the bank reads itself. go-oidc's Verify
// checks signature, iss, aud and exp only; nonce, acr and auth_time are the
// relying party's job, and Hydra does not enforce acr_values.
type Claims struct {
	Subject   string   `json:"sub"`
	ACR       string   `json:"acr"`
	AMR       []string `json:"amr"`
	AuthTime  int64    `json:"auth_time"`
	SessionID string   `json:"sid"`
}

// Errors CheckSignIn wraps.
var (
	// ErrInsufficientACR: the acr claim is below the requested level.
	ErrInsufficientACR = errors.New("acr below the requested level")
	// ErrMissingAuthTime: the ID token has no auth_time.
	ErrMissingAuthTime = errors.New("auth_time missing")
)

// CheckSignIn reports whether an ID token's claims meet the acr the bank
// requested. The acr must equal requested or rank above it on the default
// ladder (step-up satisfies a routine request); any other value, "0" (what
// the identity server sends when it has no acr) included, is refused. An
// auth_time is required so the bank knows how fresh the sign-in is. Every
// problem is reported, each wrapping ErrInsufficientACR or ErrMissingAuthTime.
//
// Specification: OpenID Connect Core 1.0 §3.1.2.1 makes acr_values voluntary
// for the provider, so the relying party must check the acr it got
// (https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest).
func CheckSignIn(requested string, c Claims) error {
	var errs []error
	if c.ACR != requested && !ladder.Satisfies(c.ACR, requested) {
		errs = append(errs, fmt.Errorf("%w: got acr %q, want %q or higher", ErrInsufficientACR, c.ACR, requested))
	}
	if c.AuthTime == 0 {
		errs = append(errs, ErrMissingAuthTime)
	}
	return errors.Join(errs...)
}

// levelName is the ladder's short name for an acr value ("routine",
// "step-up"), or "" when the value is not on the ladder.
func levelName(v string) string {
	if l, ok := ladder.Lookup(v); ok {
		return l.Name
	}
	return ""
}

// pendingLogin is a started sign-in, kept server-side under the random id in
// the login cookie and taken exactly once by the callback.
type pendingLogin struct {
	State    string
	Nonce    string
	Verifier string // PKCE code verifier
	ACR      string // what was requested
}

// session is a signed-in browser, kept server-side under the random id in
// the session cookie.
type session struct {
	Claims    Claims
	RawClaims string // the ID token's claims as indented JSON
	IDToken   string // the raw ID token, for id_token_hint at logout
	// AccessToken is the sign-in's access token, with which the pages
	// call the bank's API. It never reaches the browser.
	AccessToken string
}

// currentSession returns the browser's live session, if any.
func (a *App) currentSession(r *http.Request) (session, bool) {
	_, s, ok := a.currentSessionID(r)
	return s, ok
}

// currentSessionID returns the browser's live session and its id.
func (a *App) currentSessionID(r *http.Request) (string, session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return "", session{}, false
	}
	s, ok := a.sessions.get(c.Value, a.cfg.Now())
	return c.Value, s, ok
}

// login starts an authorization-code flow with PKCE, a state and a nonce,
// asking for cfg.ACR.
func (a *App) login(w http.ResponseWriter, r *http.Request) {
	id := rand.Text()
	pl := pendingLogin{State: rand.Text(), Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier(), ACR: a.cfg.ACR}
	now := a.cfg.Now()
	a.logins.put(id, pl, now.Add(loginTTL), now)
	a.setCookie(w, loginCookie, id, "/callback", int(loginTTL/time.Second))
	http.Redirect(w, r, a.oauth.AuthCodeURL(pl.State,
		oidc.Nonce(pl.Nonce),
		oauth2.S256ChallengeOption(pl.Verifier),
		oauth2.SetAuthURLParam("acr_values", pl.ACR),
	), http.StatusSeeOther)
}

var (
	msgSignInExpired = message{
		Heading: "Your sign-in expired",
		Text:    "It took too long, or it was started in another tab or browser. Please sign in again.",
		Next:    &link{Href: "/login", Label: "Sign in", ID: "signin"},
	}
	msgSignInFailed = message{
		Heading: "We couldn't complete your sign-in",
		Text:    "Something went wrong while checking your sign-in. Please try again in a moment.",
		Next:    &link{Href: "/login", Label: "Sign in", ID: "signin"},
	}
)

// callback finishes the sign-in: state, code exchange with the PKCE
// verifier, ID-token verification, nonce, then the bank's own acr and
// auth_time check, and finally a session.
func (a *App) callback(w http.ResponseWriter, r *http.Request) {
	// A step-up for a transfer or payee comes back here too (the client
	// has one redirect URI); its state names it.
	if st := r.URL.Query().Get("state"); st != "" {
		if p, ok := a.stepUps.take(st, a.cfg.Now()); ok {
			a.finishStepUp(w, r, p)
			return
		}
	}
	c, err := r.Cookie(loginCookie)
	if err != nil {
		a.fail(w, r, http.StatusBadRequest, msgSignInExpired, fmt.Errorf("callback: no login cookie: %w", err))
		return
	}
	a.setCookie(w, loginCookie, "", "/callback", -1)
	pl, ok := a.logins.take(c.Value, a.cfg.Now())
	if !ok {
		a.fail(w, r, http.StatusBadRequest, msgSignInExpired, errors.New("callback: unknown or expired login"))
		return
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(pl.State)) != 1 {
		a.fail(w, r, http.StatusBadRequest, msgSignInExpired, errors.New("callback: state does not match the login cookie"))
		return
	}
	if code := q.Get("error"); code != "" {
		a.fail(w, r, http.StatusForbidden, authorizationErrorMessage(code),
			fmt.Errorf("callback: authorization error %q: %s", code, q.Get("error_description")))
		return
	}
	sess, _, err := a.redeem(r.Context(), q.Get("code"), pl.Verifier, pl.Nonce)
	if err != nil {
		a.fail(w, r, http.StatusBadGateway, msgSignInFailed, err)
		return
	}
	if err := CheckSignIn(pl.ACR, sess.Claims); err != nil {
		a.fail(w, r, http.StatusForbidden, refusalMessage(pl.ACR, sess.Claims, err), fmt.Errorf("callback: sign-in refused: %w", err))
		return
	}
	if old, err := r.Cookie(sessionCookie); err == nil {
		a.sessions.take(old.Value, a.cfg.Now())
	}
	id := rand.Text()
	now := a.cfg.Now()
	a.sessions.put(id, sess, now.Add(sessionTTL), now)
	a.setCookie(w, sessionCookie, id, "/", 0)
	a.cfg.Logger.InfoContext(r.Context(), "signed in",
		"sub", sess.Claims.Subject, "acr", sess.Claims.ACR, "amr", sess.Claims.AMR, "sid", sess.Claims.SessionID)
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

// redeem exchanges the code with the PKCE verifier, verifies the ID token
// and its nonce, and reads the claims. It returns the verified ID token too,
// for callers that read more claims.
func (a *App) redeem(ctx context.Context, code, verifier, nonce string) (session, *oidc.IDToken, error) {
	tok, err := a.oauth.Exchange(oidc.ClientContext(ctx, a.cfg.HTTPClient), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return session{}, nil, fmt.Errorf("callback: exchange code: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return session{}, nil, errors.New("callback: token response has no id_token")
	}
	idt, err := a.verifier.Verify(ctx, raw)
	if err != nil {
		return session{}, nil, fmt.Errorf("callback: verify ID token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return session{}, nil, errors.New("callback: ID token nonce does not match the login")
	}
	s := session{IDToken: raw, AccessToken: tok.AccessToken}
	if err := idt.Claims(&s.Claims); err != nil {
		return session{}, nil, fmt.Errorf("callback: read ID token claims: %w", err)
	}
	var rawClaims json.RawMessage
	if err := idt.Claims(&rawClaims); err != nil {
		return session{}, nil, fmt.Errorf("callback: read raw ID token claims: %w", err)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, rawClaims, "", "  "); err != nil {
		return session{}, nil, fmt.Errorf("callback: indent ID token claims: %w", err)
	}
	s.RawClaims = indented.String()
	return s, idt, nil
}

// authorizationErrorMessage explains an OAuth error sent to the callback.
func authorizationErrorMessage(code string) message {
	m := message{Heading: "Sign-in didn't complete", Next: &link{Href: "/login", Label: "Try again", ID: "signin"}}
	switch code {
	case "access_denied":
		m.Text = "The sign-in was cancelled."
	case "unmet_authentication_requirements":
		m.Text = "Your passkey couldn't give the level of sign-in Example Bank needs."
	default:
		m.Text = "Something interrupted the sign-in. Please try again."
	}
	return m
}

// refusalMessage explains why the bank turned down a sign-in the provider
// accepted.
func refusalMessage(requested string, c Claims, err error) message {
	m := message{Heading: "We couldn't sign you in", Next: &link{Href: "/login", Label: "Try again", ID: "signin"}}
	if errors.Is(err, ErrInsufficientACR) {
		m.Text = fmt.Sprintf("Example Bank asked for a %s sign-in, but the sign-in that came back was %s. For your security you are not signed in.",
			describeACR(requested), describeACR(c.ACR))
	} else {
		m.Text = "The sign-in didn't say when you authenticated, so we can't rely on it. For your security you are not signed in."
	}
	return m
}

func describeACR(v string) string {
	switch name := levelName(v); {
	case name != "":
		return name
	case v == "":
		return "without a level"
	default:
		return strconv.Quote(v)
	}
}

// accountView is the body of the account page.
type accountView struct {
	CSRF      string
	Name      string
	Balance   string
	Transfers []transferRow // newest first, at most recentTransfers
	Payees    []payeeRow
	Claims    Claims
	Level     string // levelName(Claims.ACR)
	AuthTime  time.Time
	AuthAge   string
	RawClaims string
}

// recentTransfers is how many transfers the account page lists.
const recentTransfers = 5

func (a *App) account(w http.ResponseWriter, r *http.Request) {
	sess, ok := a.currentSession(r)
	if !ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	authTime := time.Unix(sess.Claims.AuthTime, 0).UTC()
	acct := a.ledger.snapshot(sess.Claims.Subject)
	v := accountView{
		CSRF:      a.csrfToken(w, r),
		Balance:   acct.Balance.String(),
		Claims:    sess.Claims,
		Level:     levelName(sess.Claims.ACR),
		AuthTime:  authTime,
		AuthAge:   secondsAgo(a.cfg.Now().Sub(authTime)),
		RawClaims: sess.RawClaims,
	}
	for i := len(acct.Transfers) - 1; i >= 0 && len(v.Transfers) < recentTransfers; i-- {
		v.Transfers = append(v.Transfers, newTransferRow(acct.Transfers[i]))
	}
	for _, p := range acct.Payees {
		v.Payees = append(v.Payees, newPayeeRow(p))
	}
	if acct, ok := a.accounts.get(sess.Claims.Subject); ok {
		v.Name = acct.FullName
	}
	a.render(w, r, http.StatusOK, "account", "Your account", v)
}

func secondsAgo(d time.Duration) string {
	n := max(int64(d/time.Second), 0)
	if n == 1 {
		return "1 second ago"
	}
	return fmt.Sprintf("%d seconds ago", n)
}

// logout ends the bank session, then sends the browser to the provider's
// end_session_endpoint (RP-initiated logout) so the provider's session ends
// too, or home when there is no such endpoint or no session.
func (a *App) logout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if !a.checkCSRF(r) {
		a.fail(w, r, http.StatusForbidden, msgFormExpired, errors.New("logout: missing or invalid CSRF token"))
		return
	}
	var idToken string
	if c, err := r.Cookie(sessionCookie); err == nil {
		if s, ok := a.sessions.take(c.Value, a.cfg.Now()); ok {
			idToken = s.IDToken
		}
	}
	a.setCookie(w, sessionCookie, "", "/", -1)
	if a.endSession == nil || idToken == "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	u := *a.endSession
	q := u.Query()
	q.Set("id_token_hint", idToken)
	q.Set("post_logout_redirect_uri", a.cfg.PublicURL+"/")
	q.Set("state", rand.Text())
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}
