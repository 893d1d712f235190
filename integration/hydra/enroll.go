package hydra

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	hydraapi "github.com/ory/hydra-client-go/v2"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// enrollView is the enrollment page's data.
type enrollView struct {
	Token string
}

// enrollPage is GET /enroll?token=…, the link a relying party hands its
// user (an enrollment link, or a recovery link). The plugin first says
// whether the link still needs an identity check (ResumeEnrollment): a
// biometric_pending user's enrollment link, or any recovery link, goes
// straight to the progress page with the journey's token in the cookie.
// Otherwise the page registers a passkey; the token is checked when the
// page's script begins the ceremony.
func (s *Server) enrollPage(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	if token == "" {
		return missingParam("token")
	}
	p, err := s.auth.ResumeEnrollment(r.Context(), authenticator.ResumeEnrollmentRequest{
		EnrollmentToken: token, ReturnURL: s.publicURL(pathVerify),
	})
	switch authenticator.CodeOf(err) {
	case authenticator.CodeNotFound, authenticator.CodeChallengeUnknown:
		return invalid("token", "This link is not valid or has expired. Ask the application for a new one.", err)
	}
	if err != nil {
		return err
	}
	if p.Token != "" {
		if err := s.enterJourney(w, r, p); err != nil {
			return err
		}
		return seeOther(w, r, s.publicURL(pathVerify))
	}
	s.render(w, r, http.StatusOK, pageEnroll, view{Title: "Set up your passkey", Script: true, Body: enrollView{Token: token}})
	return nil
}

// enrollBegin is POST /api/v1/enroll/begin: open a registration ceremony
// for an enrollment link's token.
func (s *Server) enrollBegin(w http.ResponseWriter, r *http.Request) error {
	var req enrollBeginRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	c, err := s.auth.BeginRegistration(r.Context(), authenticator.BeginRegistrationRequest{EnrollmentToken: req.Token})
	if err != nil {
		return err
	}
	return s.writeCeremony(w, r, c)
}

// enrollFinishResponse answers /api/v1/enroll/finish. RedirectTo is set
// when the browser must go on: to the progress page (the enrollment's
// identity check started; IdentityCheck describes it), or to Hydra (a
// recovery begun from the sign-in page finished its login, accepted, or
// refused with Error and Message).
type enrollFinishResponse struct {
	Status        string             `json:"status"`
	ReturnURL     string             `json:"return_url,omitempty"`
	Replaced      int                `json:"replaced,omitempty"`
	RedirectTo    string             `json:"redirect_to,omitempty"`
	Error         string             `json:"error,omitempty"`
	Message       string             `json:"message,omitempty"`
	IdentityCheck *identityCheckJSON `json:"identity_check,omitempty"`
}

// enrollFinish is POST /api/v1/enroll/finish: verify the attestation and
// store the passkey, for an enrollment link or a passed recovery. After an
// enrollment the user is biometric_pending until the identity check the
// plugin starts right away (Pending) passes; after a recovery begun from
// the sign-in page, its login is finished at Hydra here.
func (s *Server) enrollFinish(w http.ResponseWriter, r *http.Request) error {
	var req finishRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	reg, err := s.auth.FinishRegistration(ctx, authenticator.FinishRequest{
		CeremonyID: req.CeremonyID, Response: req.Credential, ReturnURL: s.publicURL(pathVerify),
	})
	if err != nil {
		return err
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "passkey registered",
		slog.String("subject", reg.User.ExternalID), slog.String("status", string(reg.User.Status)),
		slog.Int("replaced", reg.Replaced), slog.Bool("identity_check", reg.Pending != nil), slog.Bool("login", reg.Login != nil))
	out := enrollFinishResponse{Status: string(reg.User.Status), ReturnURL: reg.ReturnURL, Replaced: reg.Replaced}
	switch {
	case reg.Pending != nil && reg.Login != nil:
		return authenticator.Errorf(authenticator.CodeInternal, "finish registration: both an identity check and a login to finish")
	case reg.Pending != nil:
		if err := s.enterJourney(w, r, *reg.Pending); err != nil {
			return err
		}
		out.RedirectTo = s.publicURL(pathVerify)
		out.IdentityCheck = s.identityCheck(ctx, *reg.Pending, req.ReturnToken)
	case reg.Login != nil:
		fin, err := s.finishLogin(ctx, *reg.Login)
		if err != nil {
			return err
		}
		out.RedirectTo, out.Error, out.Message = fin.RedirectTo, fin.Error, fin.Message
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}

// enrollmentResponse answers POST /api/v1/enrollments.
type enrollmentResponse struct {
	EnrollmentURL string         `json:"enrollment_url"`
	ExpiresAt     time.Time      `json:"expires_at"`
	User          enrollmentUser `json:"user"`
}

type enrollmentUser struct {
	ExternalUserID string `json:"external_user_id"`
	Username       string `json:"username"`
	DisplayName    string `json:"display_name"`
	Status         string `json:"status"`
}

// createEnrollment is POST /api/v1/enrollments: a relying party's backend,
// holding an access token with the enrollment scope, vouches for one of its
// accounts and gets a single-use enrollment link to give that user.
func (s *Server) createEnrollment(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	tok, err := s.authorizeScope(ctx, w, r, s.cfg.EnrollmentScope)
	if err != nil {
		return err
	}
	var req createEnrollmentRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	clientID := tok.GetClientId()
	if req.ReturnURL != "" {
		if err := s.checkReturnURL(ctx, clientID, req.ReturnURL); err != nil {
			return err
		}
	}
	e, err := s.auth.CreateEnrollment(ctx, authenticator.CreateEnrollmentRequest{
		ExternalUserID: req.ExternalUserID,
		Username:       req.Username,
		DisplayName:    req.DisplayName,
		ClientID:       clientID,
		ReturnURL:      req.ReturnURL,
		Purpose:        req.Purpose,
	})
	if err != nil {
		return err
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "enrollment created",
		slog.String("client_id", clientID), slog.String("subject", e.User.ExternalID), slog.String("purpose", req.Purpose))
	s.writeJSON(w, r, http.StatusCreated, enrollmentResponse{
		EnrollmentURL: s.publicURL(pathEnroll) + "?token=" + url.QueryEscape(e.Token),
		ExpiresAt:     e.ExpiresAt.UTC(),
		User: enrollmentUser{
			ExternalUserID: e.User.ExternalID,
			Username:       e.User.Username,
			DisplayName:    e.User.DisplayName,
			Status:         string(e.User.Status),
		},
	})
	return nil
}

// authorizeScope checks the request's bearer token by introspection at
// Hydra (RFC 7662): it must be an active access token whose scope includes
// scope (EnrollmentScope, ApprovalScope). Failures carry the
// WWW-Authenticate challenge of RFC 6750 §3: no error code when no token
// was sent (§3.1), invalid_token (401) for a bad one, insufficient_scope
// (403) for a weak one.
func (s *Server) authorizeScope(ctx context.Context, w http.ResponseWriter, r *http.Request, want string) (*hydraapi.IntrospectedOAuth2Token, error) {
	scope := `scope="` + want + `"` // a scope-token has no '"' or '\'
	token, ok := bearerToken(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", "Bearer "+scope)
		return nil, &httpError{status: http.StatusUnauthorized, code: codeInvalidToken,
			message: "send an OAuth 2.0 access token: Authorization: Bearer <token>"}
	}
	it, err := s.introspect(ctx, token)
	if err != nil {
		return nil, err
	}
	if !it.Active || it.GetTokenUse() != "access_token" {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="the access token is not active"`)
		return nil, &httpError{status: http.StatusUnauthorized, code: codeInvalidToken,
			message: "the access token is expired, revoked, not an access token, or unknown"}
	}
	if !slices.Contains(strings.Fields(it.GetScope()), want) {
		w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", `+scope)
		return nil, &httpError{status: http.StatusForbidden, code: codeInsufficientScope,
			message: fmt.Sprintf("the access token lacks the %q scope", want)}
	}
	return it, nil
}

// bearerToken extracts an RFC 6750 §2.1 bearer token; the scheme name is
// case-insensitive (RFC 9110 §11.1).
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// checkReturnURL accepts an absolute http(s) return_url only when its
// origin (scheme, host, port) is that of one of the client's registered
// redirect URIs: the enrollment page links there, so it must not become an
// open redirect.
func (s *Server) checkReturnURL(ctx context.Context, clientID, raw string) error {
	bad := func(why string) error {
		return invalid("return_url", "return_url "+why, nil)
	}
	ret, err := url.Parse(raw)
	if err != nil || (ret.Scheme != "http" && ret.Scheme != "https") || ret.Host == "" || ret.User != nil {
		return bad("must be an absolute http or https URL without user info")
	}
	if clientID == "" {
		return bad("cannot be checked: the access token names no client")
	}
	uris, err := s.clientRedirectURIs(ctx, clientID)
	if err != nil {
		return err
	}
	for _, raw := range uris {
		if u, err := url.Parse(raw); err == nil && sameOrigin(ret, u) {
			return nil
		}
	}
	return bad("must have the scheme, host and port of one of the client's registered redirect URIs")
}

// sameOrigin compares scheme, host and port (RFC 6454 §4), with default ports.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		effectivePort(a) == effectivePort(b)
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}
