package hydra

import (
	"errors"
	"net/http"
	"strings"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// recoverView is the recovery page's data.
type recoverView struct {
	Challenge  string
	LoginHint  string
	ClientName string
}

// recoverPage is GET /recover?login_challenge=…, linked from the sign-in
// page as "Lost your device?". The login must still be open at Hydra; the
// recovery, once its identity check passes and a new passkey is registered,
// finishes that login. JavaScript is required, as the journey ends in a
// WebAuthn registration.
func (s *Server) recoverPage(w http.ResponseWriter, r *http.Request) error {
	challenge := r.URL.Query().Get("login_challenge")
	if challenge == "" {
		return missingParam("login_challenge")
	}
	lr, err := s.getLoginRequest(r.Context(), challenge)
	if err != nil {
		return err
	}
	req := loginRequestFrom(lr)
	s.render(w, r, http.StatusOK, pageRecover, view{Title: "Recover your account", Script: true, Body: recoverView{
		Challenge: challenge, LoginHint: req.LoginHint, ClientName: clientName(&lr.Client),
	}})
	return nil
}

// recoveryBegin is POST /api/v1/recovery/begin: start an account recovery
// for the user who lost their device, bound to a real Hydra login. The
// answer sends the browser to the progress page with the journey's token in
// the cookie. A recovery that can never satisfy the login refuses it at
// Hydra, as at login begin; too many attempts are 429 rate_limited.
func (s *Server) recoveryBegin(w http.ResponseWriter, r *http.Request) error {
	var req recoveryBeginRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	lr, err := s.getLoginRequest(ctx, req.LoginChallenge)
	if err != nil {
		return err
	}
	p, err := s.auth.BeginRecovery(ctx, authenticator.BeginRecoveryRequest{
		Login:     loginRequestFrom(lr),
		Username:  strings.TrimSpace(req.Username),
		ReturnURL: s.publicURL(pathVerify),
	})
	if errors.Is(err, authenticator.ErrUnmetRequirements) {
		return s.refuseLogin(ctx, req.LoginChallenge, err)
	}
	if err != nil {
		return err
	}
	return s.startJourney(w, r, p, req.ReturnToken)
}
