package hydra

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	hydraapi "github.com/ory/hydra-client-go/v2"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// This file is the only place that talks to Hydra's admin API. Failures are
// turned into *authenticator.Error values (or continueAt), so that pages and
// the JSON API map every failure, ours or Hydra's, through one table.

// continueAt is a failure after which Hydra is done with the request and
// has a place for the user agent to go: the request was already handled
// (Hydra's 410 Gone), or it was just refused at Hydra. Pages redirect
// there; the JSON API answers err's status with redirect_to.
type continueAt struct {
	redirectTo string
	err        error // the failure; its code decides the status
}

func (e *continueAt) Error() string { return e.err.Error() + "; continue at " + e.redirectTo }

func (e *continueAt) Unwrap() error { return e.err }

// adminErr classifies a failed admin API call that has no challenge: a
// transport failure, 429 or 5xx is unavailable (retryable), anything else is
// an internal error (our request was wrong, or Hydra is misconfigured).
func adminErr(op string, resp *http.Response, err error) error {
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	if status == 0 || status == http.StatusTooManyRequests || status >= 500 {
		return authenticator.Errorf(authenticator.CodeUnavailable, "hydra %s: status %d: %w", op, status, err)
	}
	return authenticator.Errorf(authenticator.CodeInternal, "hydra %s: status %d: %w", op, status, err)
}

// challengeErr classifies a failed call about a login, consent or logout
// challenge. Hydra answers 404 for an unknown or undecodable challenge, 401
// for an expired one, and 410 with a redirect for one already handled
// (consent/handler.go, persistence/sql/persister_consent.go in Hydra v2.3.0).
func challengeErr(op string, resp *http.Response, err error) error {
	if resp == nil {
		return adminErr(op, resp, err)
	}
	switch resp.StatusCode {
	case http.StatusGone:
		var body struct {
			RedirectTo string `json:"redirect_to"`
		}
		if derr := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body); derr != nil || body.RedirectTo == "" {
			return authenticator.Errorf(authenticator.CodeChallengeUnknown, "hydra %s: 410 without redirect_to: %w", op, err)
		}
		return &continueAt{redirectTo: body.RedirectTo,
			err: authenticator.Errorf(authenticator.CodeChallengeUnknown, "hydra %s: request already handled", op)}
	case http.StatusNotFound, http.StatusUnauthorized:
		return authenticator.Errorf(authenticator.CodeChallengeUnknown, "hydra %s: status %d: %w", op, resp.StatusCode, err)
	}
	return adminErr(op, resp, err)
}

// getLoginRequest fetches a login request.
func (s *Server) getLoginRequest(ctx context.Context, challenge string) (*hydraapi.OAuth2LoginRequest, error) {
	lr, resp, err := s.hydra.OAuth2API.GetOAuth2LoginRequest(ctx).LoginChallenge(challenge).Execute()
	if err != nil {
		return nil, challengeErr("get login request", resp, err)
	}
	return lr, nil
}

// loginRequestFrom converts Hydra's login request into the authenticator's
// identity-server-neutral form.
func loginRequestFrom(lr *hydraapi.OAuth2LoginRequest) authenticator.LoginRequest {
	oidc := lr.GetOidcContext()
	return authenticator.LoginRequest{
		Challenge:  lr.GetChallenge(),
		SessionID:  lr.GetSessionId(),
		ClientID:   lr.Client.GetClientId(),
		Skip:       lr.GetSkip(),
		Subject:    lr.GetSubject(),
		ACRValues:  oidc.AcrValues,
		RequestURL: lr.GetRequestUrl(),
		LoginHint:  oidc.GetLoginHint(),
	}
}

// clientName is what pages call an OAuth client: its name, else its id.
func clientName(c *hydraapi.OAuth2Client) string {
	if name := c.GetClientName(); name != "" {
		return name
	}
	return c.GetClientId()
}

// acceptLogin accepts a login with what the login really achieved. acr and
// amr are sent on every accept, skipped logins included, because Hydra does
// not remember them between logins (reference/hydra-and-oidc.md §2).
// authTime is when the user really signed in (for a skipped login, the
// recorded sign-in's time); it travels with the acr in the accept's context
// to the consent step, which puts both into the access token.
//
// approval is what the login approved (RFC 9396 authorization_details, their
// hash and the stored approval's id); it travels the same way, and only from
// here, to the consent step, which puts it into the tokens.
func (s *Server) acceptLogin(ctx context.Context, challenge, subject string, out acr.Outcome, authTime time.Time, rememberFor time.Duration, approval loginApproval) (string, error) {
	if challenge == "" || subject == "" || out.ACR == "" {
		return "", authenticator.Errorf(authenticator.CodeInternal,
			"accept login: the authenticator left challenge (%t), subject (%t) or acr (%t) empty", challenge != "", subject != "", out.ACR != "")
	}
	if rememberFor <= 0 {
		rememberFor = s.cfg.RememberFor
	}
	body := hydraapi.AcceptOAuth2LoginRequest{
		Subject:     subject,
		Acr:         hydraapi.PtrString(out.ACR),
		Amr:         out.AMR,
		Remember:    hydraapi.PtrBool(true),
		RememberFor: hydraapi.PtrInt64(int64(rememberFor / time.Second)),
		Context:     newLoginContext(out.ACR, authTime, approval),
	}
	res, resp, err := s.hydra.OAuth2API.AcceptOAuth2LoginRequest(ctx).LoginChallenge(challenge).AcceptOAuth2LoginRequest(body).Execute()
	if err != nil {
		return "", challengeErr("accept login", resp, err)
	}
	s.observeLogin(loginAccepted, out.ACR, "")
	return res.RedirectTo, nil
}

// rejectLogin refuses a login with an OAuth error that Hydra sends on to
// the relying party's redirect_uri.
func (s *Server) rejectLogin(ctx context.Context, challenge, code, description string) (string, error) {
	if challenge == "" || code == "" {
		return "", authenticator.Errorf(authenticator.CodeInternal,
			"reject login: the authenticator left challenge (%t) or error (%t) empty", challenge != "", code != "")
	}
	body := hydraapi.RejectOAuth2Request{Error: hydraapi.PtrString(code), ErrorDescription: hydraapi.PtrString(description)}
	res, resp, err := s.hydra.OAuth2API.RejectOAuth2LoginRequest(ctx).LoginChallenge(challenge).RejectOAuth2Request(body).Execute()
	if err != nil {
		return "", challengeErr("reject login", resp, err)
	}
	s.observeLogin(loginRejected, "", code)
	return res.RedirectTo, nil
}

// Results Config.ObserveLogin reports.
const (
	loginAccepted = "accepted"
	loginRejected = "rejected"
)

// observeLogin reports a login Hydra took our answer on.
func (s *Server) observeLogin(result, acrValue, code string) {
	if s.cfg.ObserveLogin != nil {
		s.cfg.ObserveLogin(result, acrValue, code)
	}
}

// getConsentRequest fetches a consent request.
func (s *Server) getConsentRequest(ctx context.Context, challenge string) (*hydraapi.OAuth2ConsentRequest, error) {
	cr, resp, err := s.hydra.OAuth2API.GetOAuth2ConsentRequest(ctx).ConsentChallenge(challenge).Execute()
	if err != nil {
		return nil, challengeErr("get consent request", resp, err)
	}
	return cr, nil
}

// acceptConsent grants everything the client requested in cr, and puts the
// login's acr and auth_time into the access token, and what the login
// approved (authorization_details, their hash, the approval id) into both
// tokens (sessionClaims). Hydra itself sets acr and auth_time in the ID token.
func (s *Server) acceptConsent(ctx context.Context, challenge string, cr *hydraapi.OAuth2ConsentRequest) (string, error) {
	body := hydraapi.AcceptOAuth2ConsentRequest{
		GrantScope:               cr.RequestedScope,
		GrantAccessTokenAudience: cr.RequestedAccessTokenAudience,
		Remember:                 hydraapi.PtrBool(true),
		RememberFor:              hydraapi.PtrInt64(int64(s.cfg.RememberFor / time.Second)),
	}
	if access, id := s.sessionClaims(ctx, cr); access != nil {
		body.Session = &hydraapi.AcceptOAuth2ConsentRequestSession{AccessToken: access}
		if id != nil { // a nil map would be sent as "id_token": null
			body.Session.IdToken = id
		}
	}
	res, resp, err := s.hydra.OAuth2API.AcceptOAuth2ConsentRequest(ctx).ConsentChallenge(challenge).AcceptOAuth2ConsentRequest(body).Execute()
	if err != nil {
		return "", challengeErr("accept consent", resp, err)
	}
	return res.RedirectTo, nil
}

// rejectConsent refuses a consent request with access_denied.
func (s *Server) rejectConsent(ctx context.Context, challenge string) (string, error) {
	body := hydraapi.RejectOAuth2Request{
		Error:            hydraapi.PtrString("access_denied"),
		ErrorDescription: hydraapi.PtrString("The user denied the request."),
	}
	res, resp, err := s.hydra.OAuth2API.RejectOAuth2ConsentRequest(ctx).ConsentChallenge(challenge).RejectOAuth2Request(body).Execute()
	if err != nil {
		return "", challengeErr("reject consent", resp, err)
	}
	return res.RedirectTo, nil
}

// acceptLogout accepts an RP-initiated logout request.
func (s *Server) acceptLogout(ctx context.Context, challenge string) (string, error) {
	res, resp, err := s.hydra.OAuth2API.AcceptOAuth2LogoutRequest(ctx).LogoutChallenge(challenge).Execute()
	if err != nil {
		return "", challengeErr("accept logout", resp, err)
	}
	return res.RedirectTo, nil
}

// introspect asks Hydra about an access token.
func (s *Server) introspect(ctx context.Context, token string) (*hydraapi.IntrospectedOAuth2Token, error) {
	it, resp, err := s.hydra.OAuth2API.IntrospectOAuth2Token(ctx).Token(token).Execute()
	if err != nil {
		return nil, adminErr("introspect token", resp, err)
	}
	return it, nil
}

// clientRedirectURIs returns an OAuth client's registered redirect URIs.
func (s *Server) clientRedirectURIs(ctx context.Context, clientID string) ([]string, error) {
	c, resp, err := s.hydra.OAuth2API.GetOAuth2Client(ctx, clientID).Execute()
	if err != nil {
		return nil, adminErr("get client", resp, err)
	}
	return c.GetRedirectUris(), nil
}

// hydraReady reports whether Hydra's admin API answers /health/ready with 200.
func (s *Server) hydraReady(ctx context.Context) error {
	_, resp, err := s.hydra.MetadataAPI.IsReady(ctx).Execute()
	if err != nil {
		return adminErr("health/ready", resp, err)
	}
	return nil
}
