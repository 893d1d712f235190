package hydra

import (
	"context"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// This file is the operator's view of a user's sessions at Hydra, for the
// dashboard (issue 4): what Hydra remembers for the subject, and the
// fraud team's "revoke the user's sessions".

// maxConsentSessions bounds the consent sessions read for one subject: a
// user with more has a problem the dashboard reports rather than pages.
const maxConsentSessions = 250

// ConsentSession is one client's remembered consent for a subject: the
// user is signed in to that client until it ends or is revoked.
type ConsentSession struct {
	ClientID       string
	ClientName     string
	Scopes         []string  // the scopes granted
	GrantedAt      time.Time // when the consent was given (Hydra's handled_at)
	LoginSessionID string    // Hydra's login session (sid) the consent belongs to
	ACR            string    // the acr of the login that consent followed
}

// ConsentSessions lists the subject's remembered consent sessions at
// Hydra, newest first as Hydra returns them. A subject without any gets
// an empty list, not an error.
func (s *Server) ConsentSessions(ctx context.Context, subject string) ([]ConsentSession, error) {
	if err := authenticator.ValidateExternalUserID(subject); err != nil {
		return nil, err
	}
	got, resp, err := s.hydra.OAuth2API.ListOAuth2ConsentSessions(ctx).Subject(subject).PageSize(maxConsentSessions).Execute()
	if err != nil {
		return nil, adminErr("list consent sessions", resp, err)
	}
	out := make([]ConsentSession, 0, len(got))
	for _, cs := range got {
		cr := cs.GetConsentRequest()
		c := cr.GetClient()
		out = append(out, ConsentSession{
			ClientID: c.GetClientId(), ClientName: clientName(&c), Scopes: cs.GetGrantScope(),
			GrantedAt: cs.GetHandledAt(), LoginSessionID: cr.GetLoginSessionId(), ACR: cr.GetAcr(),
		})
	}
	return out, nil
}

// RevokeSessions ends everything Hydra holds for the subject: its login
// sessions (the next authorization request shows the sign-in page again,
// skip=false) and its consent sessions with every access and refresh
// token issued under them (Hydra's "revoke consent sessions", all=true).
// Login sessions go first: should the second call fail, no session can
// be resumed silently, and a retry revokes what is left.
func (s *Server) RevokeSessions(ctx context.Context, subject string) error {
	if err := authenticator.ValidateExternalUserID(subject); err != nil {
		return err
	}
	if resp, err := s.hydra.OAuth2API.RevokeOAuth2LoginSessions(ctx).Subject(subject).Execute(); err != nil {
		return adminErr("revoke login sessions", resp, err)
	}
	if resp, err := s.hydra.OAuth2API.RevokeOAuth2ConsentSessions(ctx).Subject(subject).All(true).Execute(); err != nil {
		return adminErr("revoke consent sessions", resp, err)
	}
	s.log.InfoContext(ctx, "hydra sessions revoked", "subject", subject)
	return nil
}
