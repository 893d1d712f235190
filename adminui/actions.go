package adminui

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/plugin"
)

// Limits of an action form.
const (
	maxActionForm = 8192 // bytes of a POSTed form
	maxReasonLen  = 512  // the Admin contract's limit on a reason
	flashTTL      = time.Minute
	purposeFlash  = "adminui/flash/v1"
	confirmValue  = "yes"
	exportPage    = authenticator.MaxPageSize
)

// action is an operator action on a user or one of their passkeys. Each
// names the weakest role allowed to take it; stronger roles may too.
type action struct {
	Name  string // the form's action value
	Label string // the button, and the confirmation's "<Label> for …?"
	Done  string // the flash message's first sentence
	Min   Role
	// Exactly one of these is set: user actions take the user's id from
	// the path, credential actions the credential id from the form.
	user func(context.Context, plugin.Admin, authenticator.UserActionRequest) (authenticator.User, error)
	cred func(context.Context, plugin.Admin, authenticator.CredentialActionRequest) (authenticator.Credential, error)
	// offered reports whether the form is shown for a status; a POST is
	// sent to Admin whatever the status, which reports any conflict.
	offeredUser func(authenticator.UserStatus) bool
	offeredCred func(authenticator.CredentialStatus) bool
}

// Action names, the value of the form's action field.
const (
	actSuspendUser      = "suspend-user"
	actUnsuspendUser    = "unsuspend-user"
	actReverifyUser     = "reverify-user"
	actRevokeCredential = "revoke-credential"
	actSuspendCred      = "suspend-credential"
	actUnsuspendCred    = "unsuspend-credential"
)

// actions is every action, in the order the user page shows them.
var actions = []*action{
	{Name: actSuspendUser, Label: "Suspend user", Done: "User suspended.", Min: RoleFraud,
		user: func(ctx context.Context, a plugin.Admin, r authenticator.UserActionRequest) (authenticator.User, error) {
			return a.SuspendUser(ctx, r)
		},
		offeredUser: func(st authenticator.UserStatus) bool { return st != authenticator.UserSuspended }},
	{Name: actUnsuspendUser, Label: "Unsuspend user", Done: "User unsuspended.", Min: RoleFraud,
		user: func(ctx context.Context, a plugin.Admin, r authenticator.UserActionRequest) (authenticator.User, error) {
			return a.UnsuspendUser(ctx, r)
		},
		offeredUser: func(st authenticator.UserStatus) bool { return st == authenticator.UserSuspended }},
	{Name: actReverifyUser, Label: "Require re-verification", Done: "Re-verification required.", Min: RoleFraud,
		user: func(ctx context.Context, a plugin.Admin, r authenticator.UserActionRequest) (authenticator.User, error) {
			return a.RequireReverification(ctx, r)
		},
		offeredUser: func(st authenticator.UserStatus) bool { return st == authenticator.UserEnrolled }},
	{Name: actRevokeCredential, Label: "Revoke passkey", Done: "Passkey revoked.", Min: RoleFraud,
		cred: func(ctx context.Context, a plugin.Admin, r authenticator.CredentialActionRequest) (authenticator.Credential, error) {
			return a.RevokeCredential(ctx, authenticator.RevokeCredentialRequest(r))
		},
		offeredCred: func(st authenticator.CredentialStatus) bool { return st != authenticator.CredentialRevoked }},
	{Name: actSuspendCred, Label: "Suspend passkey", Done: "Passkey suspended.", Min: RoleFraud,
		cred: func(ctx context.Context, a plugin.Admin, r authenticator.CredentialActionRequest) (authenticator.Credential, error) {
			return a.SuspendCredential(ctx, r)
		},
		offeredCred: func(st authenticator.CredentialStatus) bool { return st == authenticator.CredentialActive }},
	{Name: actUnsuspendCred, Label: "Unsuspend passkey", Done: "Passkey unsuspended.", Min: RoleFraud,
		cred: func(ctx context.Context, a plugin.Admin, r authenticator.CredentialActionRequest) (authenticator.Credential, error) {
			return a.UnsuspendCredential(ctx, r)
		},
		offeredCred: func(st authenticator.CredentialStatus) bool {
			return st == authenticator.CredentialSuspended || st == authenticator.CredentialFlagged
		}},
}

func actionNamed(name string) *action {
	for _, a := range actions {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// can reports whether role r may do what min allows.
func (r Role) can(min Role) bool { return r.rank() > 0 && r.rank() >= min.rank() }

// formView is one action form on the user page.
type formView struct {
	Name, Label, Credential string
}

// userForms are the user actions sess's role may take on a user in st.
func userForms(role Role, st authenticator.UserStatus) []formView {
	var out []formView
	for _, a := range actions {
		if a.user != nil && role.can(a.Min) && a.offeredUser(st) {
			out = append(out, formView{Name: a.Name, Label: a.Label})
		}
	}
	return out
}

// credentialForms are the passkey actions role may take on a passkey in st.
func credentialForms(role Role, id string, st authenticator.CredentialStatus) []formView {
	var out []formView
	for _, a := range actions {
		if a.cred != nil && role.can(a.Min) && a.offeredCred(st) {
			out = append(out, formView{Name: a.Name, Label: a.Label, Credential: id})
		}
	}
	return out
}

// confirmView is the confirmation page's data.
type confirmView struct {
	UserID     string
	Action     string
	Label      string
	Credential string
	Reason     string
	CSRF       string
}

// errFormRefused is a POST without the session's CSRF token.
func errFormRefused(cause error) error {
	return &pageError{status: http.StatusForbidden,
		message: "This form has expired or did not come from the dashboard. Go back, reload the page and try again.", cause: cause}
}

// act is POST /users/{id}/act. Checks run in this order, and the first that
// fails ends the request without calling Admin: the CSRF token (403), the
// action's name (400), the operator's role (403), the reason (400). Then a
// POST without confirm=yes renders the confirmation page, whose form
// re-posts the same fields with confirm=yes and the CSRF token; a POST
// with confirm=yes calls Admin with the operator's sub, and on success
// redirects (303) to the user page with a flash message in a sealed
// cookie. Admin's errors render the error page with the contract's
// user-safe message and status (conflict 409, not found 404, …).
func (s *Server) act(w http.ResponseWriter, r *http.Request, sess *session) error {
	id := r.PathValue("id")
	r.Body = http.MaxBytesReader(w, r.Body, maxActionForm)
	if err := r.ParseForm(); err != nil {
		return errFormRefused(err)
	}
	f := r.PostForm
	if subtle.ConstantTimeCompare([]byte(f.Get(csrfFormName)), []byte(sess.CSRF)) != 1 {
		return errFormRefused(fmt.Errorf("csrf token mismatch"))
	}
	a := actionNamed(f.Get("action"))
	if a == nil {
		return &pageError{status: http.StatusBadRequest, message: "There is no such action."}
	}
	if !sess.Role.can(a.Min) {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "action refused by role", slog.String("sub", sess.Sub),
			slog.String("role", string(sess.Role)), slog.String("action", a.Name), slog.String("user", id))
		return &pageError{status: http.StatusForbidden,
			message: fmt.Sprintf("Your role (%s) does not allow this action: %s. Nothing was changed.", sess.Role, strings.ToLower(a.Label))}
	}
	if authenticator.ValidateExternalUserID(id) != nil {
		return &pageError{status: http.StatusNotFound, message: "There is no user with this id."}
	}
	reason := strings.TrimSpace(f.Get("reason"))
	if reason == "" || len(reason) > maxReasonLen || !utf8.ValidString(reason) {
		return &pageError{status: http.StatusBadRequest, back: "/users/" + id,
			message: fmt.Sprintf("A reason is required: 1 to %d characters, recorded in the audit log.", maxReasonLen)}
	}
	credText := f.Get("credential")
	var credID []byte
	if a.cred != nil {
		b, err := base64.RawURLEncoding.DecodeString(credText)
		if err != nil || len(b) == 0 {
			return &pageError{status: http.StatusBadRequest, back: "/users/" + id, message: "The passkey id is not valid."}
		}
		credID = b
	}
	if f.Get("confirm") != confirmValue {
		subject := id
		if a.cred != nil {
			subject = "passkey " + credText + " of user " + id
		}
		s.render(w, r, http.StatusOK, pageConfirm, sess, "Confirm",
			confirmView{UserID: id, Action: a.Name, Label: a.Label + " for " + subject, Credential: credText, Reason: reason, CSRF: sess.CSRF})
		return nil
	}
	var flash string
	if a.user != nil {
		u, err := a.user(r.Context(), s.admin, authenticator.UserActionRequest{ExternalID: id, Reason: reason, Operator: sess.Sub})
		if err != nil {
			return withBack(err, "/users/"+id)
		}
		flash = fmt.Sprintf("%s User status: %s.", a.Done, u.Status)
	} else {
		c, err := a.cred(r.Context(), s.admin, authenticator.CredentialActionRequest{CredentialID: credID, Reason: reason, Operator: sess.Sub})
		if err != nil {
			return withBack(err, "/users/"+id)
		}
		flash = fmt.Sprintf("%s Passkey %s status: %s.", a.Done, credText, c.Status)
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "operator action", slog.String("sub", sess.Sub),
		slog.String("action", a.Name), slog.String("user", id))
	if err := s.setFlash(w, flash); err != nil {
		return err
	}
	http.Redirect(w, r, "/users/"+url.PathEscape(id), http.StatusSeeOther)
	return nil
}

// withBack attaches a link back to err's error page.
func withBack(err error, back string) error {
	return &backError{err: err, back: back}
}

// backError is an Admin error with the page to go back to.
type backError struct {
	err  error
	back string
}

func (e *backError) Error() string { return e.err.Error() }
func (e *backError) Unwrap() error { return e.err }

// flash is a one-time message for the next page, sealed in a cookie.
type flash struct {
	Message string `json:"m"`
	Expires int64  `json:"exp"`
}

func (s *Server) flashCookieName() string {
	if s.secure {
		return "__Host-adminui_flash"
	}
	return "adminui_flash"
}

func (s *Server) setFlash(w http.ResponseWriter, message string) error {
	exp := s.cfg.Now().Add(flashTTL)
	v, err := s.seal.seal(purposeFlash, flash{Message: message, Expires: exp.Unix()})
	if err != nil {
		return err
	}
	http.SetCookie(w, s.cookie(s.flashCookieName(), v, exp))
	return nil
}

// takeFlash returns the flash message, if any, and clears its cookie. A
// flash that does not open or has expired is dropped silently.
func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(s.flashCookieName())
	if err != nil {
		return ""
	}
	http.SetCookie(w, s.cookie(s.flashCookieName(), "", time.Time{}))
	var f flash
	if s.seal.open(purposeFlash, c.Value, &f) != nil || s.cfg.Now().Unix() >= f.Expires {
		return ""
	}
	return f.Message
}

// auditExport is GET /audit/export (admin only): every audit record as
// JSON lines, in the format of `biometric-passkey-plugin audit export`
// (authenticator.AuditRecord's MarshalJSON, HTML not escaped), read from
// ListAudit a page at a time. The first page is read before any byte is
// sent, so an early failure is an error page; a later one ends the
// download short, and the error is logged.
func (s *Server) auditExport(w http.ResponseWriter, r *http.Request, sess *session) error {
	if !sess.Role.can(RoleAdmin) {
		return &pageError{status: http.StatusForbidden,
			message: fmt.Sprintf("Your role (%s) does not allow exporting the audit log; the admin role does.", sess.Role)}
	}
	page, err := s.admin.ListAudit(r.Context(), 0, exportPage)
	if err != nil {
		return err
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "audit export", slog.String("sub", sess.Sub))
	h := w.Header()
	h.Set("Content-Type", "application/jsonl; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="audit-%s.jsonl"`, s.cfg.Now().UTC().Format("20060102T150405Z")))
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for {
		for _, rec := range page {
			if err := enc.Encode(rec); err != nil {
				s.log.LogAttrs(r.Context(), slog.LevelWarn, "audit export cut short", slog.String("error", err.Error()))
				return nil
			}
		}
		if len(page) < exportPage {
			return nil
		}
		if page, err = s.admin.ListAudit(r.Context(), page[len(page)-1].Seq, exportPage); err != nil {
			s.log.LogAttrs(r.Context(), slog.LevelError, "audit export cut short", slog.String("error", err.Error()))
			return nil
		}
	}
}
