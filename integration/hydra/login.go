package hydra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// loginView is the login page's data.
type loginView struct {
	Challenge  string
	LoginHint  string
	ClientName string
	// Details are the RFC 9396 authorization_details the sign-in approves,
	// rendered on the server from Hydra's request_url (never by the client).
	Details []detailView
}

// login is GET /login?login_challenge=…: Hydra sends the browser here. The
// plugin decides (DecideLogin) whether an existing session already meets the
// request (accept), must sign in again (reauthenticate), cannot be served
// (reject), or needs a passkey ceremony (authenticate: the login page).
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	challenge := r.URL.Query().Get("login_challenge")
	if challenge == "" {
		return missingParam("login_challenge")
	}
	lr, err := s.getLoginRequest(ctx, challenge)
	if err != nil {
		return err
	}
	req := loginRequestFrom(lr)
	d, err := s.auth.DecideLogin(ctx, req)
	if err != nil {
		return err
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "login decided",
		slog.String("action", string(d.Action)), slog.String("client_id", req.ClientID),
		slog.Bool("skip", req.Skip), slog.String("target", d.Target))

	var to string
	switch d.Action {
	case acr.ActionAuthenticate:
		details, err := requestedDetails(req.RequestURL)
		if err != nil {
			return err
		}
		title := "Sign in"
		if len(details) > 0 {
			title = "Approve and sign in"
		}
		s.render(w, r, http.StatusOK, pageLogin, view{Title: title, Script: true, Body: loginView{
			Challenge: challenge, LoginHint: req.LoginHint, ClientName: clientName(&lr.Client), Details: details,
		}})
		return nil
	case acr.ActionAccept:
		// A skipped login approves nothing: details need a fresh ceremony.
		to, err = s.acceptLogin(ctx, challenge, d.Subject, d.Outcome, d.AuthTime, s.cfg.RememberFor, loginApproval{})
	case acr.ActionReauthenticate:
		to, err = withPromptLogin(req.RequestURL)
	case acr.ActionReject:
		to, err = s.rejectLogin(ctx, challenge, d.Error, d.Description)
	default:
		err = authenticator.Errorf(authenticator.CodeInternal, "decide login: unknown action %q", d.Action)
	}
	if err != nil {
		return err
	}
	return seeOther(w, r, to)
}

// withPromptLogin returns the authorize URL with prompt=login, replacing any
// prompt and keeping every other parameter: Hydra then starts a fresh login
// (skip=false, new session, fresh auth_time).
func withPromptLogin(requestURL string) (string, error) {
	u, err := url.Parse(requestURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", authenticator.Errorf(authenticator.CodeInternal, "hydra request_url %q is not an absolute http(s) URL (%v)", requestURL, err)
	}
	q := u.Query()
	q.Set("prompt", "login")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// missingParam is the error for a page opened without its query parameter.
func missingParam(name string) error {
	return invalid(name, fmt.Sprintf("This link is missing its %s parameter. Go back to the application and start again.", name), nil)
}

// ceremonyResponse answers /api/v1/login/begin and /api/v1/enroll/begin.
type ceremonyResponse struct {
	CeremonyID string          `json:"ceremony_id"`
	PublicKey  json.RawMessage `json:"public_key"`
	ExpiresAt  time.Time       `json:"expires_at"`
}

// writeCeremony answers with an opened ceremony.
func (s *Server) writeCeremony(w http.ResponseWriter, r *http.Request, c authenticator.Ceremony) error {
	out, err := ceremonyJSON(c)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}

// ceremonyJSON converts an opened ceremony for clients. The plugin's options
// are {"publicKey": {…}} (CredentialCreationOptions /
// CredentialRequestOptions); clients get the inner publicKey object, which
// is what PublicKeyCredential.parse{Creation,Request}OptionsFromJSON take.
func ceremonyJSON(c authenticator.Ceremony) (ceremonyResponse, error) {
	var opts struct {
		PublicKey json.RawMessage `json:"publicKey"`
	}
	if err := json.Unmarshal(c.Options, &opts); err != nil {
		return ceremonyResponse{}, authenticator.Errorf(authenticator.CodeInternal, "ceremony %s options: %w", c.ID, err)
	}
	if !strings.HasPrefix(string(opts.PublicKey), "{") || c.ID == "" {
		return ceremonyResponse{}, authenticator.Errorf(authenticator.CodeInternal, "ceremony %q: no id or no publicKey object in options", c.ID)
	}
	return ceremonyResponse{CeremonyID: c.ID, PublicKey: opts.PublicKey, ExpiresAt: c.ExpiresAt.UTC()}, nil
}

// loginBegin is POST /api/v1/login/begin. The login request is fetched from
// Hydra, so the ceremony is bound to a real login and its requested level.
func (s *Server) loginBegin(w http.ResponseWriter, r *http.Request) error {
	var req loginBeginRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	lr, err := s.getLoginRequest(ctx, req.LoginChallenge)
	if err != nil {
		return err
	}
	c, err := s.auth.BeginAuthentication(ctx, authenticator.BeginAuthenticationRequest{
		Login:    loginRequestFrom(lr),
		Username: strings.TrimSpace(req.Username),
	})
	if errors.Is(err, authenticator.ErrUnmetRequirements) {
		// No ceremony can satisfy this login: refuse it at Hydra (the
		// challenge is real, Hydra just returned it) and send the user agent
		// on, as an error that carries redirect_to.
		return s.refuseLogin(ctx, req.LoginChallenge, err)
	}
	if err != nil {
		return err
	}
	return s.writeCeremony(w, r, c)
}

// redirectResponse answers /api/v1/login/finish: where the browser goes
// next. Error and Message are set when the login was refused at Hydra
// (the relying party learns them from its redirect_uri). IdentityCheck is
// set when the login waits on an identity check: RedirectTo is then the
// progress page, and the journey's token is in the identity-check cookie
// (or, for a client that asked with return_token, in IdentityCheck.Token).
type redirectResponse struct {
	RedirectTo    string             `json:"redirect_to"`
	Error         string             `json:"error,omitempty"`
	Message       string             `json:"message,omitempty"`
	IdentityCheck *identityCheckJSON `json:"identity_check,omitempty"`
}

// loginFinish is POST /api/v1/login/finish. The login accepted or refused
// at Hydra is the one the plugin bound to the ceremony at begin, never one
// named by the client; acr and amr are what this ceremony earned. When the
// login's level also needs a biometric match, the plugin has started the
// identity check: the browser goes to the progress page with the journey's
// token in a cookie.
func (s *Server) loginFinish(w http.ResponseWriter, r *http.Request) error {
	var req finishRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	res, err := s.auth.FinishAuthentication(ctx, authenticator.FinishRequest{
		CeremonyID: req.CeremonyID, Response: req.Credential, ReturnURL: s.publicURL(pathVerify),
	})
	if err != nil {
		return err
	}
	if res.Pending != nil {
		return s.startJourney(w, r, *res.Pending, req.ReturnToken)
	}
	answer, err := s.finishLogin(ctx, res)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, answer)
	return nil
}

// finishLogin tells Hydra the outcome of a finished login: accept it with
// what the ceremony earned (and what it approved), or reject it with the
// result's OAuth error. It serves the login API and the end of a step-up's
// identity check alike.
func (s *Server) finishLogin(ctx context.Context, res authenticator.AuthenticationResult) (redirectResponse, error) {
	if res.Pending != nil {
		return redirectResponse{}, authenticator.Errorf(authenticator.CodeInternal,
			"finish login: the authenticator returned a login still pending where a final one was due")
	}
	if res.Error != "" {
		// The passkey was verified but the login must be refused, say
		// because the ceremony fell short of the requested level. The API
		// call did its job: answer 200, and let the OAuth error reach the
		// relying party through the redirect.
		to, err := s.rejectLogin(ctx, res.LoginChallenge, res.Error, res.ErrorDescription)
		if err != nil {
			return redirectResponse{}, err
		}
		s.log.LogAttrs(ctx, slog.LevelInfo, "login refused after the ceremony",
			slog.String("error", res.Error), slog.String("description", res.ErrorDescription))
		return redirectResponse{RedirectTo: to, Error: res.Error, Message: res.ErrorDescription}, nil
	}
	authTime := res.AuthTime
	if authTime.IsZero() {
		authTime = s.cfg.Now() // the ceremony just finished
	}
	to, err := s.acceptLogin(ctx, res.LoginChallenge, res.Subject, res.Outcome, authTime, res.RememberFor, approvalOf(res))
	if err != nil {
		return redirectResponse{}, err
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "login accepted",
		slog.String("subject", res.Subject), slog.String("acr", res.Outcome.ACR), slog.Any("amr", res.Outcome.AMR),
		slog.String("approval_id", res.ApprovalID))
	return redirectResponse{RedirectTo: to}, nil
}

// refuseLogin rejects a login at Hydra with unmet_authentication_requirements
// (DESIGN.md §5: refused, never downgraded) and returns cause as a
// *continueAt that carries where the user agent goes next; the user-safe
// message of cause is what went to the relying party.
func (s *Server) refuseLogin(ctx context.Context, challenge string, cause error) error {
	to, err := s.rejectLogin(ctx, challenge, acr.ErrorUnmetRequirements, authenticator.PublicMessage(cause))
	if err != nil {
		return err
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "login refused: unmet authentication requirements", slog.String("error", cause.Error()))
	return &continueAt{redirectTo: to, err: cause}
}
