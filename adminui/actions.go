package adminui

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
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
	Min   Role
	// do takes the action, through Admin (or at the identity server,
	// recorded through Admin), and returns the flash message. userCall and
	// credentialCall make it for a single Admin call.
	do func(*Server, context.Context, actionRequest) (string, error)
	// sessions marks an action that needs Config.Sessions.
	sessions bool
	// after is where a successful action leads; empty: the user's page.
	after string
	// warning is shown on the confirmation page of an irreversible action.
	warning string
	// offered reports whether the form is shown for a status; a POST is
	// sent to Admin whatever the status, which reports any conflict.
	// Exactly one is set: a user action's or a passkey action's, which
	// takes the passkey's id from the form.
	offeredUser func(authenticator.UserStatus) bool
	offeredCred func(authenticator.CredentialStatus) bool
}

// onPasskey reports whether a acts on a passkey rather than on the user.
func (a *action) onPasskey() bool { return a.offeredCred != nil }

// actionRequest is what an action acts on: the user in the path, with the
// reason and the operator, and for a passkey action the passkey.
type actionRequest struct {
	authenticator.UserActionRequest
	credID   []byte
	credText string // credID as the form sent it, base64url
}

// userCall is an action's do for one Admin call on the user; done is the
// flash message's first sentence.
func userCall(done string, call func(plugin.Admin, context.Context, authenticator.UserActionRequest) (authenticator.User, error)) func(*Server, context.Context, actionRequest) (string, error) {
	return func(s *Server, ctx context.Context, r actionRequest) (string, error) {
		u, err := call(s.admin, ctx, r.UserActionRequest)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s User status: %s.", done, u.Status), nil
	}
}

// credentialCall is an action's do for one Admin call on the passkey; done
// is the flash message's first sentence.
func credentialCall(done string, call func(plugin.Admin, context.Context, authenticator.CredentialActionRequest) (authenticator.Credential, error)) func(*Server, context.Context, actionRequest) (string, error) {
	return func(s *Server, ctx context.Context, r actionRequest) (string, error) {
		c, err := call(s.admin, ctx, authenticator.CredentialActionRequest{CredentialID: r.credID, Reason: r.Reason, Operator: r.Operator})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s Passkey %s status: %s.", done, r.credText, c.Status), nil
	}
}

// Action names, the value of the form's action field.
const (
	actSuspendUser      = "suspend-user"
	actUnsuspendUser    = "unsuspend-user"
	actReverifyUser     = "reverify-user"
	actRevokeCredential = "revoke-credential"
	actSuspendCred      = "suspend-credential"
	actUnsuspendCred    = "unsuspend-credential"
	actRevokeSessions   = "revoke-sessions"
	actEraseUser        = "erase-user"
)

// actions is every action, in the order the user page shows them.
var actions = []*action{
	{Name: actSuspendUser, Label: "Suspend user", Min: RoleFraud, do: userCall("User suspended.", plugin.Admin.SuspendUser),
		offeredUser: func(st authenticator.UserStatus) bool { return st != authenticator.UserSuspended }},
	{Name: actUnsuspendUser, Label: "Unsuspend user", Min: RoleFraud, do: userCall("User unsuspended.", plugin.Admin.UnsuspendUser),
		offeredUser: func(st authenticator.UserStatus) bool { return st == authenticator.UserSuspended }},
	{Name: actReverifyUser, Label: "Require re-verification", Min: RoleFraud, do: userCall("Re-verification required.", plugin.Admin.RequireReverification),
		offeredUser: func(st authenticator.UserStatus) bool { return st == authenticator.UserEnrolled }},
	{Name: actRevokeSessions, Label: "Revoke sessions", Min: RoleFraud, do: (*Server).revokeSessions, sessions: true,
		offeredUser: func(authenticator.UserStatus) bool { return true }},
	{Name: actEraseUser, Label: "Erase user", Min: RoleAdmin, do: (*Server).eraseUser, after: "/users",
		warning: "This cannot be undone. The user's passkeys, biometric references (also at the identity-verification provider), " +
			"identity checks, transaction approvals and events are deleted, and their sessions revoked; the audit log keeps only the user's pseudonym.",
		offeredUser: func(authenticator.UserStatus) bool { return true }},
	{Name: actRevokeCredential, Label: "Revoke passkey", Min: RoleFraud,
		do: credentialCall("Passkey revoked.", func(a plugin.Admin, ctx context.Context, r authenticator.CredentialActionRequest) (authenticator.Credential, error) {
			return a.RevokeCredential(ctx, authenticator.RevokeCredentialRequest(r))
		}),
		offeredCred: func(st authenticator.CredentialStatus) bool { return st != authenticator.CredentialRevoked }},
	{Name: actSuspendCred, Label: "Suspend passkey", Min: RoleFraud, do: credentialCall("Passkey suspended.", plugin.Admin.SuspendCredential),
		offeredCred: func(st authenticator.CredentialStatus) bool { return st == authenticator.CredentialActive }},
	{Name: actUnsuspendCred, Label: "Unsuspend passkey", Min: RoleFraud, do: credentialCall("Passkey unsuspended.", plugin.Admin.UnsuspendCredential),
		offeredCred: func(st authenticator.CredentialStatus) bool {
			return st == authenticator.CredentialSuspended || st == authenticator.CredentialFlagged
		}},
}

// available reports whether this dashboard can take a at all.
func (s *Server) available(a *action) bool { return !a.sessions || s.cfg.Sessions != nil }

func actionNamed(name string) *action {
	for _, a := range actions {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// can reports whether role r may do what min allows.
func (r Role) can(min Role) bool { return r.Valid() && r.rank() >= min.rank() }

// formView is one action form on the user page.
type formView struct {
	Name, Label, Credential string
}

// userForms are the user actions role may take on a user in st; the
// host's actions only when the dashboard has the identity server's sessions.
func (s *Server) userForms(role Role, st authenticator.UserStatus) []formView {
	var out []formView
	for _, a := range actions {
		if !a.onPasskey() && s.available(a) && role.can(a.Min) && a.offeredUser(st) {
			out = append(out, formView{Name: a.Name, Label: a.Label})
		}
	}
	return out
}

// credentialForms are the passkey actions role may take on a passkey in st.
func credentialForms(role Role, id string, st authenticator.CredentialStatus) []formView {
	var out []formView
	for _, a := range actions {
		if a.onPasskey() && role.can(a.Min) && a.offeredCred(st) {
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
	Warning    string
	Credential string
	Reason     string
	CSRF       string
}

// errFormRefused is a POST without the session's CSRF token.
func errFormRefused(cause error) error {
	return &pageError{status: http.StatusForbidden,
		message: "This form has expired or did not come from the dashboard. Go back, reload the page and try again.", cause: cause}
}

// errCSRFMismatch is the cause of a form refused for its CSRF token, as
// opposed to one that does not parse: the caller audits the former.
var errCSRFMismatch = errors.New("csrf token mismatch")

// checkedForm reads a POSTed form of at most limit bytes, which must carry
// sess's CSRF token. A form that does not parse, or does not carry the
// token (errors.Is errCSRFMismatch), is errFormRefused; the form is
// returned either way, so that a refusal can name what was attempted.
func checkedForm(w http.ResponseWriter, r *http.Request, sess *session, limit int64) (url.Values, error) {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseForm(); err != nil {
		return r.PostForm, errFormRefused(err)
	}
	if subtle.ConstantTimeCompare([]byte(r.PostForm.Get(csrfFormName)), []byte(sess.CSRF)) != 1 {
		return r.PostForm, errFormRefused(errCSRFMismatch)
	}
	return r.PostForm, nil
}

// formReason is the form's reason, which every action needs (the audit
// record says why), or a 400 linking back to back when it is missing, too
// long or not text.
func formReason(f url.Values, back string) (string, error) {
	reason := strings.TrimSpace(f.Get("reason"))
	if reason == "" || len(reason) > maxReasonLen || !utf8.ValidString(reason) {
		return "", &pageError{status: http.StatusBadRequest, back: back,
			message: fmt.Sprintf("A reason is required: 1 to %d characters, recorded in the audit log.", maxReasonLen)}
	}
	return reason, nil
}

// act is POST /users/{id}/act. Checks run in this order, and the first that
// fails ends the request without acting: the CSRF token (403), the
// action's name (400), the operator's role (403), the reason (400), and for
// a passkey action its id (400) and its owner (404: not the user in the
// path). A refusal for the CSRF token or the role is audited
// (access.refused; see refused). Then a
// POST without confirm=yes renders the confirmation page, whose form
// re-posts the same fields with confirm=yes and the CSRF token; a POST
// with confirm=yes calls Admin with the operator's sub, and on success
// redirects (303) to the user page with a flash message in a sealed
// cookie. Admin's errors render the error page with the contract's
// user-safe message and status (conflict 409, not found 404, …).
func (s *Server) act(w http.ResponseWriter, r *http.Request, sess *session) error {
	id := r.PathValue("id")
	f, err := checkedForm(w, r, sess, maxActionForm)
	a := actionNamed(f.Get("action"))
	if errors.Is(err, errCSRFMismatch) {
		attempted := "(unknown action)" // the form's text is not the audit log's
		if a != nil {
			attempted = a.Name
		}
		s.refused(r, sess, attempted, id, refusedCSRF)
	}
	if err != nil {
		return err
	}
	if a == nil || !s.available(a) {
		return &pageError{status: http.StatusBadRequest, message: "There is no such action."}
	}
	if !sess.Role.can(a.Min) {
		s.refused(r, sess, a.Name, id, refusedRole)
		return &pageError{status: http.StatusForbidden,
			message: fmt.Sprintf("Your role (%s) does not allow this action: %s. Nothing was changed.", sess.Role, strings.ToLower(a.Label))}
	}
	if authenticator.ValidateExternalUserID(id) != nil {
		return &pageError{status: http.StatusNotFound, message: "There is no user with this id."}
	}
	reason, err := formReason(f, "/users/"+id)
	if err != nil {
		return err
	}
	req := actionRequest{UserActionRequest: authenticator.UserActionRequest{ExternalID: id, Reason: reason, Operator: sess.Sub},
		credText: f.Get("credential")}
	if a.onPasskey() {
		b, err := base64.RawURLEncoding.DecodeString(req.credText)
		if err != nil || len(b) == 0 {
			return &pageError{status: http.StatusBadRequest, back: "/users/" + id, message: "The passkey id is not valid."}
		}
		req.credID = b
		// Admin acts on the passkey whoever owns it; the page acted from
		// names a user, and the action must not reach past them.
		if err := s.checkOwner(r.Context(), sess, id, req.credID); err != nil {
			return err
		}
	}
	if f.Get("confirm") != confirmValue {
		subject := id
		if a.onPasskey() {
			subject = "passkey " + req.credText + " of user " + id
		}
		s.render(w, r, http.StatusOK, pageConfirm, sess, "Confirm",
			confirmView{UserID: id, Action: a.Name, Label: a.Label + " for " + subject, Warning: a.warning, Credential: req.credText, Reason: reason, CSRF: sess.CSRF})
		return nil
	}
	flash, err := a.do(s, r.Context(), req)
	if err != nil {
		return withBack(err, "/users/"+id)
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "operator action", slog.String("sub", sess.Sub),
		slog.String("action", a.Name), slog.String("user", id))
	if err := s.setFlash(w, flash); err != nil {
		return err
	}
	to := "/users/" + url.PathEscape(id)
	if a.after != "" {
		to = a.after
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// checkOwner refuses, as not found, a passkey that is not userID's. The
// read is the operator's, audited like the page they act from.
func (s *Server) checkOwner(ctx context.Context, sess *session, userID string, credID []byte) error {
	d, err := s.admin.ReadUser(ctx, authenticator.ReadUserRequest{ExternalID: userID, Operator: sess.Sub})
	if err != nil {
		return withBack(err, "/users/"+userID)
	}
	if !slices.ContainsFunc(d.Credentials, func(c authenticator.Credential) bool { return bytes.Equal(c.ID, credID) }) {
		return &pageError{status: http.StatusNotFound, back: "/users/" + userID, message: "This user has no such passkey. Nothing was changed."}
	}
	return nil
}

// revokeSessions ends the user's sessions at the identity server, then
// records the action with its result through Admin (audit record and,
// when it succeeded, the sessions.revoked event). The identity server is
// asked first because the record must say what happened; a failure there
// is recorded too, and the operator told to try again.
func (s *Server) revokeSessions(ctx context.Context, r actionRequest) (string, error) {
	revokeErr := s.cfg.Sessions.RevokeSessions(ctx, r.ExternalID)
	detail := map[string]string{"result": "revoked"}
	if revokeErr != nil {
		detail["result"] = "failed"
	}
	_, recErr := s.admin.RecordOperatorAction(ctx, authenticator.OperatorActionRequest{Operator: r.Operator,
		Action: authenticator.AuditSessionsRevoke, ExternalID: r.ExternalID, Reason: r.Reason, Detail: detail})
	switch {
	case revokeErr != nil:
		return "", &pageError{status: http.StatusBadGateway, cause: errors.Join(revokeErr, recErr),
			message: "The identity server did not revoke the sessions; they may still be active. Try again."}
	case recErr != nil:
		return "", &pageError{status: http.StatusInternalServerError, cause: recErr,
			message: "The sessions were revoked, but the audit record could not be written. Tell the service's administrators."}
	}
	return "Sessions revoked: the user signs in again everywhere, and tokens issued before no longer work.", nil
}

// Why a signed-in operator's request was refused (access.refused records).
const (
	refusedRole = "role"
	refusedCSRF = "csrf"
)

// refused audits a signed-in operator's refused request (DESIGN.md §7.7:
// an attempt beyond one's role, or a form from elsewhere, is something the
// fraud and audit teams want in the tamper-evident log, not only in the
// logs). attempted is the action or page, a name of ours, never the
// request's text; userID names the user acted on
// when it is a valid id (the record names the user's pseudonym). The
// request is refused whatever happens here; a failure is logged.
func (s *Server) refused(r *http.Request, sess *session, attempted, userID, why string) {
	s.log.LogAttrs(r.Context(), slog.LevelWarn, "operator request refused", slog.String("sub", sess.Sub),
		slog.String("role", string(sess.Role)), slog.String("attempted", attempted), slog.String("why", why))
	req := authenticator.OperatorActionRequest{Operator: sess.Sub, Action: authenticator.AuditAccessRefused,
		Detail: map[string]string{"attempted": attempted, "why": why, "role": string(sess.Role)}}
	if authenticator.ValidateExternalUserID(userID) == nil {
		req.ExternalID = userID
	}
	_, err := s.admin.RecordOperatorAction(r.Context(), req)
	if err != nil && req.ExternalID != "" && authenticator.CodeOf(err) == authenticator.CodeNotFound {
		req.ExternalID = "" // no such user: record the attempt without one
		_, err = s.admin.RecordOperatorAction(r.Context(), req)
	}
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "refused request not audited", slog.String("sub", sess.Sub), slog.String("error", err.Error()))
	}
}

// requireAdmin refuses, and audits the refusal of, a role below admin;
// what names the page for the message and the record.
func (s *Server) requireAdmin(r *http.Request, sess *session, what string) error {
	if sess.Role.can(RoleAdmin) {
		return nil
	}
	s.refused(r, sess, what, "", refusedRole)
	return &pageError{status: http.StatusForbidden,
		message: fmt.Sprintf("Your role (%s) does not allow %s; the admin role does.", sess.Role, what)}
}

// eraseUser erases the user (Admin.EraseUser: passkeys, references at the
// provider and here, checks, approvals, events; the audit keeps the
// pseudonym), then ends the user's sessions at the identity server, if
// the dashboard has them: a failure there is logged, not returned, since
// the provider refuses every session of a user it no longer knows.
func (s *Server) eraseUser(ctx context.Context, r actionRequest) (string, error) {
	e, err := s.admin.EraseUser(ctx, r.UserActionRequest)
	if err != nil {
		return "", err
	}
	msg := fmt.Sprintf("User %s erased: %s, %s, %s deleted. The audit log keeps the pseudonym %s.", e.ExternalID,
		count(e.Credentials, "passkey"), count(e.References, "biometric reference"), count(e.Events, "event"), e.AuditSubject)
	if s.cfg.Sessions != nil {
		if err := s.cfg.Sessions.RevokeSessions(ctx, r.ExternalID); err != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "erased user's sessions not revoked", slog.String("error", err.Error()))
			msg += " Their sessions at the identity server could not be revoked; the provider refuses them anyway."
		}
	}
	return msg, nil
}

// count writes n things, in the singular for one.
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
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

// auditExport is GET /audit/export (admin only, audited as audit.export): every audit record as
// JSON lines, in the format of `biometric-passkey-plugin audit export`
// (authenticator.AuditRecord's MarshalJSON, HTML not escaped), read from
// ListAudit a page at a time. The first page is read before any byte is
// sent, so an early failure is an error page; a later one ends the
// download short, and the error is logged.
func (s *Server) auditExport(w http.ResponseWriter, r *http.Request, sess *session) error {
	if err := s.requireAdmin(r, sess, "exporting the audit log"); err != nil {
		return err
	}
	// The export is audited before a record leaves: one that cannot be
	// recorded does not happen (the record is in the export it starts).
	if _, err := s.admin.RecordOperatorAction(r.Context(), authenticator.OperatorActionRequest{Operator: sess.Sub,
		Action: authenticator.AuditExport, Detail: map[string]string{"format": "jsonl", "via": "dashboard"}}); err != nil {
		return err
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
