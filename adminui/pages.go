package adminui

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// Paging limits of the read-only views.
const (
	searchMaxPages = 20  // pages a search scans for its prefix
	searchResults  = 50  // users a search page shows
	auditPageSize  = 100 // audit records a page shows
)

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"day": activityDate,
}

// hiddenDetailKey reports whether an event or audit detail is withheld from
// every page: reference ids and anything sealed or secret. Such values are
// not biometric data, but an operator has no use for them and they would
// link a user to a provider's record.
func hiddenDetailKey(k string) bool {
	k = strings.ToLower(k)
	if k == "references" || strings.HasSuffix(k, "_references") {
		return false // a count of references (erasure, re-verification), not one
	}
	for _, bad := range []string{"reference", "ref_id", "sealed", "secret", "token", "biometric"} {
		if strings.Contains(k, bad) {
			return true
		}
	}
	return false
}

// detailPair is one shown detail.
type detailPair struct{ Key, Value string }

func details(m map[string]string) []detailPair {
	var out []detailPair
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !hiddenDetailKey(k) {
			out = append(out, detailPair{k, m[k]})
		}
	}
	return out
}

// Overview.

type overviewView struct {
	Total      int
	ByStatus   []statusCount
	CountError string // set, and ByStatus and Total not, when the counts could not be loaded

	Activity      *activityView // nil when ActivityError is set
	ActivityError string
}

type statusCount struct {
	Status authenticator.UserStatus
	Count  int
}

// shownStatuses are the statuses the overview always shows, in this order,
// with a zero count when no user is in one.
var shownStatuses = []authenticator.UserStatus{
	authenticator.UserInvited, authenticator.UserBiometricPending, authenticator.UserEnrolled, authenticator.UserSuspended,
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request, sess *session) error {
	v := overviewView{}
	v.ByStatus, v.Total, v.CountError = s.userCounts(r.Context())
	v.Activity, v.ActivityError = s.activity(r.Context())
	s.render(w, r, http.StatusOK, pageOverview, sess, "Overview", v)
	return nil
}

// userCounts reads the users per status with one Admin call, for the
// overview's table: the shown statuses first, then any status a newer
// plugin adds, and the total. A failure is logged and reported in the
// panel, like the activity's, so that the rest of the overview still
// renders.
func (s *Server) userCounts(ctx context.Context) ([]statusCount, int, string) {
	counts, err := s.admin.CountUsersByStatus(ctx)
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "overview user counts", slog.String("error", err.Error()))
		return nil, 0, "User counts could not be loaded: " + authenticator.PublicMessage(err)
	}
	var (
		out   []statusCount
		total int
	)
	for _, st := range shownStatuses {
		out = append(out, statusCount{st, counts[st]})
		total += counts[st]
	}
	for _, st := range slices.Sorted(maps.Keys(counts)) {
		if !slices.Contains(shownStatuses, st) { // a status a newer plugin adds
			out = append(out, statusCount{st, counts[st]})
			total += counts[st]
		}
	}
	return out, total, ""
}

// User search.

type usersView struct {
	Flash   string // the result of the action just taken (an erasure), if any
	Query   string
	Invalid bool // the query cannot be an external id prefix
	Users   []authenticator.User
	Next    string // link to the next page of matches, if any
	Partial bool   // the scan stopped before the end of the prefix's range
}

func (s *Server) users(w http.ResponseWriter, r *http.Request, sess *session) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	v := usersView{Query: q, Flash: s.takeFlash(w, r)}
	after := r.URL.Query().Get("after")
	if q != "" && authenticator.ValidateExternalUserID(q) != nil {
		v.Invalid = true
		s.render(w, r, http.StatusOK, pageUsers, sess, "Users", v)
		return nil
	}
	if after == "" && q != "" {
		after = q[:len(q)-1] // sorts before every id with prefix q
	} else if after != "" && authenticator.ValidateExternalUserID(after) != nil {
		return &pageError{status: http.StatusBadRequest, message: "The page link is not valid."}
	}
	for page := 0; ; page++ {
		if page == searchMaxPages {
			v.Partial = true
			break
		}
		users, err := s.admin.ListUsers(r.Context(), authenticator.UserQuery{After: after, Limit: authenticator.MaxPageSize})
		if err != nil {
			return err
		}
		done := len(users) < authenticator.MaxPageSize
		for _, u := range users {
			if strings.HasPrefix(u.ExternalID, q) {
				if len(v.Users) == searchResults {
					v.Next = queryURL("/users", "q", q, "after", v.Users[len(v.Users)-1].ExternalID)
					done = true
					break
				}
				v.Users = append(v.Users, u)
			} else if u.ExternalID > q {
				done = true // sorted: past the prefix's range
				break
			}
		}
		if done {
			break
		}
		after = users[len(users)-1].ExternalID
	}
	s.render(w, r, http.StatusOK, pageUsers, sess, "Users", v)
	return nil
}

// User detail.

type userView struct {
	Flash       string // the result of the action just taken, if any
	CSRF        string // the action forms' token
	CanAct      bool   // the operator's role may take actions
	Forms       []formView
	User        authenticator.User
	Reference   string // the biometric reference's status, in words
	Credentials []credentialView
	SignIns     []signInView // derived from the events: see signIns
	Events      []eventView

	SessionsShown bool // the dashboard has the identity server's sessions
	Sessions      []sessionView
	SessionsError string
}

type sessionView struct {
	ClientSession
	Level string // the ACR's short name, like the sign-ins table's
}

type credentialView struct {
	ID          string // base64url
	Name        string
	AAGUID      string
	Model       string // the authenticator's name from its AAGUID, as reported; empty when unknown
	DeviceBound bool
	BackedUp    bool
	Status      authenticator.CredentialStatus
	Reason      string
	CreatedAt   time.Time
	LastUsedAt  time.Time
	Forms       []formView // the actions the operator's role may take
}

type eventView struct {
	At         time.Time
	Type       authenticator.EventType
	Actor      string
	Credential string
	Details    []detailPair
}

func (s *Server) user(w http.ResponseWriter, r *http.Request, sess *session) error {
	id := r.PathValue("id")
	if authenticator.ValidateExternalUserID(id) != nil {
		return &pageError{status: http.StatusNotFound, message: "There is no user with this id."}
	}
	d, err := s.admin.ReadUser(r.Context(), authenticator.ReadUserRequest{ExternalID: id, Operator: sess.Sub})
	if authenticator.CodeOf(err) == authenticator.CodeNotFound {
		return &pageError{status: http.StatusNotFound, back: "/users", cause: err,
			message: "There is no user with this id. An erased user is gone from here; the audit log keeps their pseudonym."}
	}
	if err != nil {
		return err
	}
	v := userView{Flash: s.takeFlash(w, r), CSRF: sess.CSRF, CanAct: sess.Role.can(RoleFraud), Forms: s.userForms(sess.Role, d.User.Status),
		User: d.User, Reference: referenceStatus(d.User.Status)}
	for _, c := range d.Credentials {
		cid := base64.RawURLEncoding.EncodeToString(c.ID)
		v.Credentials = append(v.Credentials, credentialView{
			ID: cid, Name: c.Name, AAGUID: formatAAGUID(c.AAGUID), Model: s.model(c.AAGUID),
			DeviceBound: c.DeviceBound(), BackedUp: c.BackupState, Status: c.Status, Reason: c.StatusReason,
			CreatedAt: c.CreatedAt, LastUsedAt: c.LastUsedAt, Forms: credentialForms(sess.Role, cid, c.Status),
		})
	}
	for _, e := range d.Events {
		ev := eventView{At: e.At, Type: e.Type, Actor: e.Actor, Details: details(e.Detail)}
		if len(e.CredentialID) > 0 {
			ev.Credential = base64.RawURLEncoding.EncodeToString(e.CredentialID)
		}
		v.Events = append(v.Events, ev)
	}
	v.SignIns = signIns(d.Events)
	if s.cfg.Sessions != nil {
		v.SessionsShown = true
		sessions, err := s.cfg.Sessions.ConsentSessions(r.Context(), id)
		if err != nil {
			s.log.LogAttrs(r.Context(), slog.LevelWarn, "sessions unavailable", slog.String("user", id), slog.String("error", err.Error()))
			v.SessionsError = "The identity server did not answer; the sessions cannot be shown now."
		}
		for _, cs := range sessions {
			v.Sessions = append(v.Sessions, sessionView{ClientSession: cs, Level: acrShortName(cs.ACR)})
		}
	}
	s.render(w, r, http.StatusOK, pageUser, sess, "User "+d.User.ExternalID, v)
	return nil
}

// referenceStatus says what the user's status implies about their biometric
// reference: the Admin contract returns no reference, and the dashboard
// shows no biometric data.
func referenceStatus(st authenticator.UserStatus) string {
	switch st {
	case authenticator.UserInvited:
		return "none yet (enrollment not started)"
	case authenticator.UserBiometricPending:
		return "pending: the identity check has not passed yet"
	case authenticator.UserEnrolled:
		return "on file with the identity-verification provider"
	case authenticator.UserSuspended:
		return "unchanged by the suspension; see the timeline"
	}
	return "unknown (status " + string(st) + ")"
}

// model names the authenticator of an AAGUID, or "" when unknown.
func (s *Server) model(id []byte) string {
	name, _ := s.cfg.Authenticators.Name(id)
	return name
}

// formatAAGUID writes a 16-byte AAGUID as a UUID; all zeros (no
// attestation) as "none".
func formatAAGUID(b []byte) string {
	if len(b) != 16 {
		return hex.EncodeToString(b)
	}
	if strings.Trim(string(b), "\x00") == "" {
		return "none (not attested)"
	}
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// Audit log.

type auditView struct {
	CanExport    bool // the operator's role may download GET /audit/export
	Verification authenticator.AuditVerification
	VerifyError  string
	Head         string
	Actor        string
	Action       string
	Target       string
	Subject      string // a user's audit pseudonym: records whose target or detail "user" it is
	After        int64
	Records      []auditRecordView
	Scanned      int
	Next         string
}

type auditRecordView struct {
	Seq     int64
	At      time.Time
	Actor   string
	Action  string
	Target  string
	Details []detailPair
	Hash    string
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request, sess *session) error {
	q := r.URL.Query()
	v := auditView{CanExport: sess.Role.can(RoleAdmin), Actor: q.Get("actor"), Action: q.Get("action"), Target: q.Get("target"), Subject: q.Get("subject")}
	if a := q.Get("after"); a != "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n < 0 {
			return &pageError{status: http.StatusBadRequest, message: "The page link is not valid."}
		}
		v.After = n
	}
	// Verifying hashes the whole chain: the first page does it; the pages
	// after it, read in turn, link back rather than hash it all again.
	if v.After == 0 {
		ver, err := s.admin.VerifyAudit(r.Context())
		if err != nil {
			v.VerifyError = authenticator.PublicMessage(err)
		} else {
			v.Verification = ver
			v.Head = hex.EncodeToString(ver.Head)
		}
	}
	recs, err := s.admin.ListAudit(r.Context(), v.After, auditPageSize)
	if err != nil {
		return err
	}
	v.Scanned = len(recs)
	for _, rec := range recs {
		if !strings.HasPrefix(rec.Actor, v.Actor) || !strings.HasPrefix(rec.Action, v.Action) || !strings.HasPrefix(rec.Target, v.Target) {
			continue
		}
		if v.Subject != "" && rec.Target != v.Subject && rec.Detail["user"] != v.Subject {
			continue
		}
		v.Records = append(v.Records, auditRecordView{Seq: rec.Seq, At: rec.At, Actor: rec.Actor, Action: rec.Action,
			Target: rec.Target, Details: details(rec.Detail), Hash: shortHex(rec.Hash)})
	}
	if len(recs) == auditPageSize {
		v.Next = queryURL("/audit", "actor", v.Actor, "action", v.Action, "target", v.Target, "subject", v.Subject,
			"after", fmt.Sprint(recs[len(recs)-1].Seq))
	}
	s.render(w, r, http.StatusOK, pageAudit, sess, "Audit log", v)
	return nil
}

func shortHex(b []byte) string {
	h := hex.EncodeToString(b)
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}

// Configuration.

// config is GET /config (admin only): the host's Settings.
func (s *Server) config(w http.ResponseWriter, r *http.Request, sess *session) error {
	if err := s.requireAdmin(r, sess, "viewing the configuration"); err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, pageConfig, sess, "Configuration", s.cfg.Settings)
	return nil
}
