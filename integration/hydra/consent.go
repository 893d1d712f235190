package hydra

import (
	"crypto/rand"
	"crypto/subtle"
	"net/http"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// The consent form's CSRF defence is a double-submit cookie: GET /consent
// sets a random token in an HttpOnly, SameSite=Strict cookie and in a hidden
// form field; POST /consent requires both and compares them in constant
// time (csrfCookie, checkCSRF; the progress page's cancel does the same).
// The provider stays stateless.
const (
	csrfCookieName = "bp_consent_csrf"
	csrfFormField  = "csrf_token"
	csrfLifetime   = 10 * time.Minute
	maxFormBytes   = 16 << 10
)

// scopeDescriptions explain well-known scopes on the consent page.
var scopeDescriptions = map[string]string{
	"openid":         "Confirm who you are",
	"profile":        "See your basic profile",
	"email":          "See your email address",
	"offline_access": "Stay connected while you are not using it",
}

// consentView is the consent page's data.
type consentView struct {
	Challenge  string
	CSRFToken  string
	ClientName string
	Scopes     []scopeView
}

type scopeView struct {
	Name        string
	Description string
}

// consent is GET /consent?consent_challenge=…. Consent is granted without
// asking when Hydra already has it (skip), when the client is registered
// with skip_consent, or when it is one of FirstPartyClients; otherwise the
// user sees the requested scopes and chooses.
func (s *Server) consent(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	challenge := r.URL.Query().Get("consent_challenge")
	if challenge == "" {
		return missingParam("consent_challenge")
	}
	cr, err := s.getConsentRequest(ctx, challenge)
	if err != nil {
		return err
	}
	client := cr.GetClient()
	if cr.GetSkip() || client.GetSkipConsent() || s.firstParty[client.GetClientId()] {
		to, err := s.acceptConsent(ctx, challenge, cr)
		if err != nil {
			return err
		}
		return seeOther(w, r, to)
	}

	token := rand.Text()
	http.SetCookie(w, s.csrfCookie(csrfCookieName, pathConsent, token, csrfLifetime))
	scopes := make([]scopeView, 0, len(cr.RequestedScope))
	for _, sc := range cr.RequestedScope {
		desc := scopeDescriptions[sc]
		if sc == s.cfg.EnrollmentScope {
			desc = "Set up passkeys for your accounts"
		}
		scopes = append(scopes, scopeView{Name: sc, Description: desc})
	}
	s.render(w, r, http.StatusOK, pageConsent, view{Title: "Allow access?", Body: consentView{
		Challenge: challenge, CSRFToken: token, ClientName: clientName(&client), Scopes: scopes,
	}})
	return nil
}

// consentSubmit is POST /consent from the consent page: allow grants what
// Hydra says was requested (never what the form says), deny rejects with
// access_denied.
func (s *Server) consentSubmit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return invalid("", "The form could not be read. Go back and try again.", err)
	}
	challenge := r.PostForm.Get("consent_challenge")
	if challenge == "" {
		return missingParam("consent_challenge")
	}
	if err := checkCSRF(r, csrfCookieName,
		"This form has expired or was not sent from this page. Go back to the application and try again."); err != nil {
		return err
	}
	http.SetCookie(w, s.csrfCookie(csrfCookieName, pathConsent, "", -1))

	var to string
	switch r.PostForm.Get("action") {
	case "allow":
		cr, err := s.getConsentRequest(ctx, challenge)
		if err != nil {
			return err
		}
		to, err = s.acceptConsent(ctx, challenge, cr)
		if err != nil {
			return err
		}
	case "deny":
		var err error
		if to, err = s.rejectConsent(ctx, challenge); err != nil {
			return err
		}
	default:
		return invalid("action", "Choose Allow or Deny.", nil)
	}
	return seeOther(w, r, to)
}

// csrfCookie returns the double-submit CSRF cookie name of the form at
// page (a path below the base path); a negative lifetime deletes it.
func (s *Server) csrfCookie(name, page, value string, lifetime time.Duration) *http.Cookie {
	return s.cookie(name, s.basePath+page, http.SameSiteStrictMode, value, lifetime)
}

// cookie returns one of the provider's cookies: HttpOnly, and Secure on
// https. A negative lifetime deletes it.
func (s *Server) cookie(name, path string, sameSite http.SameSite, value string, lifetime time.Duration) *http.Cookie {
	c := &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     path,
		Secure:   s.secure,
		HttpOnly: true,
		SameSite: sameSite,
		MaxAge:   int(lifetime / time.Second),
	}
	if lifetime > 0 {
		c.Expires = s.cfg.Now().Add(lifetime)
	} else {
		c.MaxAge = -1
	}
	return c
}

// checkCSRF is the double-submit check of a parsed form post: the form's
// csrf_token must equal the cookie name (constant-time). A mismatch is a 403
// with the user-safe message.
func checkCSRF(r *http.Request, name, message string) error {
	cookie, err := r.Cookie(name)
	sent := r.PostForm.Get(csrfFormField)
	if err != nil || sent == "" || subtle.ConstantTimeCompare([]byte(cookie.Value), []byte(sent)) != 1 {
		return &httpError{status: http.StatusForbidden, code: codeCSRF, cause: err, message: message}
	}
	return nil
}

// logout is GET /logout?logout_challenge=…: an RP-initiated logout. It is
// accepted at once; Hydra ends the session and sends the browser on.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	challenge := r.URL.Query().Get("logout_challenge")
	if challenge == "" {
		return missingParam("logout_challenge")
	}
	to, err := s.acceptLogout(r.Context(), challenge)
	if err != nil {
		return err
	}
	return seeOther(w, r, to)
}

// seeOther sends the browser on with 303 See Other.
func seeOther(w http.ResponseWriter, r *http.Request, to string) error {
	if to == "" {
		return authenticator.Errorf(authenticator.CodeInternal, "hydra gave no redirect_to for %s", r.URL.Path)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
