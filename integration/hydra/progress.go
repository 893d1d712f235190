package hydra

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
)

// A journey waiting on an identity check (a step-up's biometric match, an
// enrollment's reference, a recovery's match; ADR 0005) is identified by the
// plugin's PendingCheck.Token, a short-lived bearer secret. The provider
// stays stateless: browsers keep the token in the journeyCookieName cookie
// (HttpOnly, SameSite=Lax so that it comes back with the identity-verification
// provider's top-level redirect to /verify, Secure on https, scoped to the
// base path, never in a URL); native apps keep it in memory and send it in
// the body of POST /api/v1/identity-check/continue. The cookie is cleared as
// soon as the journey is over (the plugin spends the token then) or unknown.
const (
	journeyCookieName      = "bp_identity_check"
	verifyCSRFCookieName   = "bp_verify_csrf"
	defaultJourneyLifetime = 30 * time.Minute // when the plugin gives no ExpiresAt
	maxJourneyLifetime     = 2 * time.Hour
	minJourneyLifetime     = time.Minute
)

// identityCheckJSON is a pending identity check in API answers. Token and
// SDKToken are only sent to a client that asked with return_token.
type identityCheckJSON struct {
	Journey    string     `json:"journey"`
	CaptureURL string     `json:"capture_url,omitempty"`
	SDKToken   string     `json:"sdk_token,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	Token      string     `json:"token,omitempty"`
}

// progressResponse answers POST /api/v1/identity-check/continue.
type progressResponse struct {
	Journey string `json:"journey"`
	Status  string `json:"status"`           // pending, passed or failed
	Reason  string `json:"reason,omitempty"` // failed: why
	Message string `json:"message"`          // user-safe
	// IdentityCheck is the check still to complete (pending only).
	IdentityCheck *identityCheckJSON `json:"identity_check,omitempty"`
	// RedirectTo and Error: the login this journey finished at Hydra
	// (accepted, or refused with the OAuth error Error). Follow RedirectTo.
	RedirectTo string `json:"redirect_to,omitempty"`
	Error      string `json:"error,omitempty"`
	// ReturnURL is the relying party's page for enrollment and recovery links.
	ReturnURL string `json:"return_url,omitempty"`
	// Ceremony is, after a passed recovery check, the registration ceremony
	// for the replacement passkey: finish it at /api/v1/enroll/finish.
	Ceremony *ceremonyResponse `json:"ceremony,omitempty"`
}

// journeyCookie returns the cookie that carries p's token until p expires
// (bounded to [minJourneyLifetime, maxJourneyLifetime]).
func (s *Server) journeyCookie(p authenticator.PendingCheck) *http.Cookie {
	lifetime := defaultJourneyLifetime
	if !p.ExpiresAt.IsZero() {
		lifetime = min(max(p.ExpiresAt.Sub(s.cfg.Now()), minJourneyLifetime), maxJourneyLifetime)
	}
	return s.cookie(journeyCookieName, s.cookiePath(), http.SameSiteLaxMode, p.Token, lifetime)
}

// clearJourneyCookie deletes the journey cookie.
func (s *Server) clearJourneyCookie(w http.ResponseWriter) {
	http.SetCookie(w, s.cookie(journeyCookieName, s.cookiePath(), http.SameSiteLaxMode, "", -1))
}

// cookiePath scopes the journey cookie to the provider's base path.
func (s *Server) cookiePath() string {
	if s.basePath == "" {
		return "/"
	}
	return s.basePath
}

// journeyToken returns the token of the journey the browser is in.
func journeyToken(r *http.Request) string {
	c, err := r.Cookie(journeyCookieName)
	if err != nil {
		return ""
	}
	return c.Value
}

// identityCheck converts a pending check for an API answer.
func (s *Server) identityCheck(ctx context.Context, p authenticator.PendingCheck, withSecrets bool) *identityCheckJSON {
	out := &identityCheckJSON{Journey: string(p.Journey), CaptureURL: s.captureURL(ctx, p.CaptureURL)}
	if !p.ExpiresAt.IsZero() {
		t := p.ExpiresAt.UTC()
		out.ExpiresAt = &t
	}
	if withSecrets {
		out.Token, out.SDKToken = p.Token, p.SDKToken
	}
	return out
}

// captureURL returns raw when it is an absolute http(s) URL: the page links
// there, so nothing else (javascript:, data:) may get through.
func (s *Server) captureURL(ctx context.Context, raw string) string {
	if raw == "" {
		return ""
	}
	if !httpURL(raw) {
		s.log.LogAttrs(ctx, slog.LevelError, "identity check: capture URL is not an absolute http(s) URL; not shown")
		return ""
	}
	return raw
}

// httpURL reports whether raw is an absolute http or https URL without user info.
func httpURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

// enterJourney puts the token of a pending check into the journey cookie:
// the browser now waits on an identity check (login finish, enrollment
// finish, recovery begin, a resumed enrollment link).
func (s *Server) enterJourney(w http.ResponseWriter, r *http.Request, p authenticator.PendingCheck) error {
	if p.Token == "" {
		return authenticator.Errorf(authenticator.CodeInternal, "the authenticator returned a pending identity check without a token")
	}
	http.SetCookie(w, s.journeyCookie(p))
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "waiting on an identity check",
		slog.String("journey", string(p.Journey)), slog.String("provider", p.Provider), slog.String("run_id", p.RunID))
	return nil
}

// startJourney answers a call that left the user waiting on an identity
// check (login finish, recovery begin): the journey's token goes into the
// cookie, and the answer sends the browser to the progress page.
func (s *Server) startJourney(w http.ResponseWriter, r *http.Request, p authenticator.PendingCheck, returnToken bool) error {
	if err := s.enterJourney(w, r, p); err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, redirectResponse{
		RedirectTo:    s.publicURL(pathVerify),
		IdentityCheck: s.identityCheck(r.Context(), p, returnToken),
	})
	return nil
}

// continueJourney asks the plugin where a journey stands (or cancels it)
// and, once it is final, finishes what it was for: a login is accepted or
// refused at Hydra exactly as at login finish; a passed recovery hands
// over the replacement passkey's ceremony. final reports whether the token
// is spent.
func (s *Server) continueJourney(ctx context.Context, token string, cancel, withSecrets bool) (out progressResponse, final bool, err error) {
	prog, err := s.auth.ContinueIdentityCheck(ctx, authenticator.ContinueRequest{Token: token, Cancel: cancel})
	if err != nil {
		return out, authenticator.CodeOf(err) == authenticator.CodeChallengeUnknown, err
	}
	out = progressResponse{Journey: string(prog.Journey), Status: string(prog.Status), Reason: prog.Reason, Message: prog.Message}
	switch prog.Status {
	case authenticator.CheckPending:
		if prog.Pending == nil {
			return out, false, authenticator.Errorf(authenticator.CodeInternal, "continue identity check: pending without the check")
		}
		out.IdentityCheck = s.identityCheck(ctx, *prog.Pending, withSecrets)
		if out.Message == "" {
			out.Message = "Waiting for your identity check…"
		}
		return out, false, nil
	case authenticator.CheckPassed, authenticator.CheckFailed:
	default:
		return out, true, authenticator.Errorf(authenticator.CodeInternal, "continue identity check: unknown status %q", prog.Status)
	}
	out.Reason = ""
	if prog.Status == authenticator.CheckFailed {
		out.Reason = prog.Reason
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "identity check final",
		slog.String("journey", string(prog.Journey)), slog.String("status", string(prog.Status)), slog.String("reason", prog.Reason))
	if prog.Login != nil {
		if prog.Status == authenticator.CheckFailed && prog.Login.Error == "" {
			// Fail closed: a failed check never accepts a login.
			return out, true, authenticator.Errorf(authenticator.CodeInternal,
				"continue identity check: a failed check came with a login to accept")
		}
		fin, err := s.finishLogin(ctx, *prog.Login)
		if err != nil {
			return out, true, err
		}
		out.RedirectTo, out.Error = fin.RedirectTo, fin.Error
		if out.Message == "" {
			out.Message = fin.Message
		}
	}
	if prog.Ceremony != nil {
		c, err := ceremonyJSON(*prog.Ceremony)
		if err != nil {
			return out, true, err
		}
		out.Ceremony = &c
	}
	if httpURL(prog.ReturnURL) {
		out.ReturnURL = prog.ReturnURL
	}
	if out.Message == "" {
		out.Message = defaultFinalMessage(prog)
	}
	return out, true, nil
}

// defaultFinalMessage is what the page says when the plugin gave no message.
func defaultFinalMessage(p authenticator.Progress) string {
	switch {
	case p.Status == authenticator.CheckFailed:
		return "Your identity could not be verified."
	case p.Ceremony != nil:
		return "Your identity is verified. Now create a new passkey on this device."
	case p.Journey == idvbridge.JourneyEnrollment:
		return "Your identity is verified. Your enrollment is complete."
	}
	return "Your identity is verified."
}

// identityCheckContinue is POST /api/v1/identity-check/continue: where the
// journey stands ({"cancel": true} gives up). The token comes from the body
// (native apps) or the journey cookie (browsers); a cookie is cleared, and
// only a cookie is touched, once the journey is over or unknown.
func (s *Server) identityCheckContinue(w http.ResponseWriter, r *http.Request) error {
	var req continueRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	token, fromCookie := req.Token, false
	if token == "" {
		token, fromCookie = journeyToken(r), true
	}
	if token == "" {
		return invalid("token", "there is no identity check in progress: send its token, or start again from the application", nil)
	}
	out, final, err := s.continueJourney(r.Context(), token, req.Cancel, false)
	if final && fromCookie {
		s.clearJourneyCookie(w)
	}
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}

// verifyView is the progress page's data.
type verifyView struct {
	Journey     string
	Heading     string
	Purpose     string
	Pending     bool
	CaptureURL  string
	Message     string
	MessageKind string // progress, success or error: the status element's class
	CSRFToken   string
	RedirectTo  string // final: where the browser continues (Hydra)
	Refused     bool   // final: the login was refused
	ReturnURL   string // final: the relying party's page
	Ceremony    string // final: the replacement passkey's ceremony, as JSON
}

// verifyTexts are each journey's heading and explanation.
var verifyTexts = map[idvbridge.Journey][2]string{
	idvbridge.JourneyStepUp: {"Confirm it’s you",
		"Your passkey was accepted. To finish signing in, the application needs a quick identity check that it is really you."},
	idvbridge.JourneyEnrollment: {"Finish setting up your account",
		"Your passkey is set up. To finish, verify your identity once; later sign-ins that need extra assurance are checked against it."},
	idvbridge.JourneyRecovery: {"Recover your account",
		"To replace a lost passkey, first confirm it is really you with an identity check. Then you create a new passkey on this device."},
}

// verifyPage is GET /verify: the progress page of the browser's journey.
// The identity-verification provider sends the user back here.
func (s *Server) verifyPage(w http.ResponseWriter, r *http.Request) error {
	return s.showProgress(w, r, false)
}

// verifySubmit is POST /verify from the progress page's form: "check"
// re-renders (the page without JavaScript), "cancel" gives the journey up
// and needs the page's CSRF token (double-submit cookie, as on consent).
func (s *Server) verifySubmit(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return invalid("", "The form could not be read. Go back and try again.", err)
	}
	switch r.PostForm.Get("action") {
	case "check":
		return s.showProgress(w, r, false)
	case "cancel":
		if err := checkCSRF(r, verifyCSRFCookieName,
			"This form has expired or was not sent from this page. Reload the page and try again."); err != nil {
			return err
		}
		return s.showProgress(w, r, true)
	}
	return invalid("action", "Choose Check again or Cancel.", nil)
}

// showProgress continues the browser's journey and renders where it stands.
func (s *Server) showProgress(w http.ResponseWriter, r *http.Request, cancel bool) error {
	token := journeyToken(r)
	if token == "" {
		return invalid("", "There is no identity check in progress in this browser. Go back to the application and start again.", nil)
	}
	out, final, err := s.continueJourney(r.Context(), token, cancel, false)
	if final {
		s.clearJourneyCookie(w)
	}
	if err != nil {
		return err
	}
	v := verifyView{Journey: out.Journey, Message: out.Message, Pending: !final,
		RedirectTo: out.RedirectTo, Refused: out.Error != "", ReturnURL: out.ReturnURL}
	texts, ok := verifyTexts[idvbridge.Journey(out.Journey)]
	if !ok {
		texts = [2]string{"Verify your identity", "The application needs a quick identity check that it is really you."}
	}
	v.Heading, v.Purpose = texts[0], texts[1]
	switch {
	case !final:
		v.MessageKind = "progress"
		v.CaptureURL = out.IdentityCheck.CaptureURL
		v.CSRFToken = rand.Text()
		http.SetCookie(w, s.csrfCookie(verifyCSRFCookieName, pathVerify, v.CSRFToken, maxJourneyLifetime))
	case out.Status == string(authenticator.CheckPassed) && out.Error == "":
		v.MessageKind = "success"
	default:
		v.MessageKind = "error"
	}
	if out.Ceremony != nil {
		b, err := json.Marshal(out.Ceremony)
		if err != nil {
			return authenticator.Errorf(authenticator.CodeInternal, "encode ceremony: %w", err)
		}
		v.Ceremony = string(b)
	}
	s.render(w, r, http.StatusOK, pageVerify, view{Title: v.Heading, Script: true, Body: v})
	return nil
}
