package authenticator

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
)

// Step-up with a live biometric check (ADR 0005, "Step-up ceremony"). The
// passkey assertion comes first (FinishAuthentication); when the login's
// minimum level requires acr.RequireBiometric the result is pending, a
// step-up check starts against the user's active reference, and
// ContinueIdentityCheck ends the login through finishStepUp once the check
// is final. The step-up acr is issued only from a passed check for this
// ceremony, this user and this reference (DESIGN.md §5, §7.5).

// CheckReasonCredentialRevoked is why a passed step-up still fails when the
// passkey it began with was revoked or flagged while the check ran.
const CheckReasonCredentialRevoked = "credential_revoked"

// stepUpState is a step-up login waiting on its biometric match: everything
// finishStepUp needs to finish the login, gathered when the passkey was
// verified. It lives in the pending record (ephemeral store) only.
type stepUpState struct {
	Login   LoginRequest `json:"login"`   // the login the ceremony was bound to
	Minimum string       `json:"min_acr"` // the login's minimum acr, which requires a biometric match
	// CeremonyID is the check's ceremony binding, derived from the WebAuthn
	// ceremony (stepUpCeremony); the outcome must name it.
	CeremonyID   string `json:"ceremony"`
	CredentialID []byte `json:"cred"`
	// ReferenceID is the reference the check was started against; the check
	// must have matched exactly this one, still active.
	ReferenceID string `json:"ref"`
	// UserVerified and BackupEligible are this assertion's UV and BE flags
	// (WebAuthn §6.1), the evidence the passkey contributed.
	UserVerified   bool `json:"uv"`
	BackupEligible bool `json:"be"`
	// Details and DetailsHash are the authorization details the challenge
	// committed to (canonical form, base64url SHA-256), and Assertion the
	// signed assertion, kept for the approval; empty without details.
	Details     []byte          `json:"details,omitempty"` // exact bytes: encoding/json would HTML-escape a RawMessage
	DetailsHash string          `json:"details_hash,omitempty"`
	Assertion   signedAssertion `json:"assertion"`
}

// stepUpCeremony derives the identity check's ceremony binding from the
// WebAuthn ceremony id: unique per ceremony, yet not the ceremony's bearer
// token, which must not reach the IDV provider or the event log.
func stepUpCeremony(ceremonyID string) string {
	h := sha256.Sum256([]byte("step-up:" + ceremonyID))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// beginStepUp starts the biometric check of a login whose passkey was just
// verified (and its use recorded), and returns the pending result. A user
// without an active reference, or over the attempt limit, has the login
// refused instead, without any check started.
func (s *Service) beginStepUp(ctx context.Context, req FinishRequest, rec authenticationRecord, user User, cred Credential, ev acr.Evidence, signed signedAssertion) (AuthenticationResult, error) {
	refuse := func(reason, message string) (AuthenticationResult, error) {
		s.log.InfoContext(ctx, "step-up refused before the identity check", "user", user.ExternalID, "reason", reason, "client", rec.Login.ClientID)
		err := s.store.Atomic(ctx, func(tx Tx) error {
			return s.event(ctx, tx, Event{Type: EventStepUpFailed, UserExternalID: user.ExternalID, CredentialID: cred.ID, Actor: "system",
				Detail: map[string]string{"reason": reason, "client": rec.Login.ClientID}})
		})
		if err != nil {
			return AuthenticationResult{}, fmt.Errorf("step-up refusal: %w", err)
		}
		return AuthenticationResult{LoginChallenge: rec.Login.Challenge, Error: acr.ErrorUnmetRequirements, ErrorDescription: message}, nil
	}
	if user.Status != UserEnrolled {
		return refuse(CheckReasonNoReference, errNoReference.Message)
	}
	ref, err := s.activeReference(ctx, s.store, user.ExternalID, s.cfg.IDV.Name())
	if errors.Is(err, errNoReference) {
		return refuse(CheckReasonNoReference, errNoReference.Message)
	}
	if err != nil {
		return AuthenticationResult{}, err
	}
	ceremony := stepUpCeremony(req.CeremonyID)
	st := &stepUpState{
		Login: rec.Login, Minimum: rec.Minimum, CeremonyID: ceremony, CredentialID: cred.ID, ReferenceID: ref.ID,
		UserVerified: ev.UserVerified, BackupEligible: ev.BackupEligible,
		Details: rec.Details, DetailsHash: rec.DetailsHash,
	}
	if len(rec.Details) > 0 {
		st.Assertion = signed
	}
	chk, err := s.startPending(ctx, pendingRecord{Journey: idvbridge.JourneyStepUp, StepUp: st}, user, &ref, ceremony, req.ReturnURL)
	switch {
	case errors.Is(err, ErrRateLimited):
		return refuse("rate_limited", ErrRateLimited.Message)
	case errors.Is(err, ErrUnmetRequirements):
		// No provider to run the check: refused, never downgraded. (A
		// reference revoked after the lookup above fails the check when its
		// outcome is judged, and again in stepUpHolds.)
		return refuse(CheckReasonNoReference, PublicMessage(err))
	case err != nil:
		return AuthenticationResult{}, fmt.Errorf("start step-up check: %w", err)
	}
	s.log.InfoContext(ctx, "step-up check started", "user", user.ExternalID, "run_id", chk.RunID, "client", rec.Login.ClientID)
	return AuthenticationResult{LoginChallenge: rec.Login.Challenge, Pending: &chk}, nil
}

// finishStepUp ends a step-up journey whose check is final. A passed check
// that still holds (stepUpHolds, re-checked in the transaction that records
// the result) completes the login at the level the passkey and the match
// support, with step_up.passed, authentication.succeeded and, for a
// transaction, the approval; anything else refuses the login with
// step_up.failed. Progress.Login is always set.
func (s *Service) finishStepUp(ctx context.Context, rec pendingRecord, chk IDVCheck) (Progress, error) {
	st := rec.StepUp
	if st == nil {
		return Progress{}, Errorf(CodeInternal, "step-up journey for run %s without its state", rec.RunID)
	}
	ev := acr.Evidence{
		PasskeyVerified: true, UserVerified: st.UserVerified, BackupEligible: st.BackupEligible,
		CredentialActive: true, UserActive: true, // re-checked in the transaction below
		BiometricMatch: true, // only used once the check passed and still holds
	}
	outcome, met := s.meets(ev, st.Minimum)
	var (
		reason   string
		approval *Approval
	)
	err := s.store.Atomic(ctx, func(tx Tx) error {
		reason, approval = "", nil
		if chk.Status != CheckPassed {
			reason = chk.Reason
			if reason == "" {
				reason = CheckReasonUnknown
			}
		} else {
			var err error
			if reason, err = s.stepUpHolds(ctx, tx, rec, chk); err != nil {
				return err
			}
		}
		if reason == "" && !met {
			reason = CheckReasonUnknown // the passkey's own evidence falls short (cannot happen with UV required)
		}
		detail := map[string]string{"run_id": chk.RunID, "provider": chk.Provider, "client": st.Login.ClientID}
		if reason != "" {
			detail["reason"] = reason
			return s.event(ctx, tx, Event{Type: EventStepUpFailed, UserExternalID: rec.User, CredentialID: st.CredentialID, Actor: "system", Detail: detail})
		}
		detail["acr"] = outcome.ACR
		if err := s.event(ctx, tx, Event{Type: EventStepUpPassed, UserExternalID: rec.User, CredentialID: st.CredentialID, Actor: "system", Detail: detail}); err != nil {
			return err
		}
		if err := s.event(ctx, tx, Event{Type: EventAuthenticationSuccess, UserExternalID: rec.User, CredentialID: st.CredentialID, Actor: "user",
			Detail: map[string]string{"acr": outcome.ACR, "client": st.Login.ClientID}}); err != nil {
			return err
		}
		var err error
		if approval, err = s.newApproval(rec.User, st.Login.ClientID, st.CredentialID, outcome.ACR, st.Details, st.DetailsHash, st.Assertion); err != nil {
			return err
		}
		return s.recordApproval(ctx, tx, approval)
	})
	if err != nil {
		return Progress{}, fmt.Errorf("finish step-up for run %s: %w", chk.RunID, err)
	}
	if reason != "" {
		s.log.InfoContext(ctx, "step-up failed", "user", rec.User, "run_id", chk.RunID, "reason", reason, "client", st.Login.ClientID)
		msg := FailureMessage(reason)
		return Progress{Status: CheckFailed, Reason: reason, Message: msg, Login: &AuthenticationResult{
			LoginChallenge: st.Login.Challenge, Error: acr.ErrorUnmetRequirements, ErrorDescription: msg,
		}}, nil
	}
	res, err := s.completeLogin(ctx, st.Login, st.Minimum, rec.User, st.CredentialID, outcome, met)
	if err != nil {
		return Progress{}, err
	}
	if res.Error == "" {
		res = withApproval(res, approval)
	}
	return Progress{Status: CheckPassed, Message: "Your identity is confirmed.", Login: &res}, nil
}

// stepUpHolds returns why a passed check must not elevate this login, or
// "" when it may: the check is this journey's (run, user, ceremony), the user
// is not suspended, the passkey is still active and the user's, and the
// reference the check matched is the one it was started against and still
// active (DESIGN.md §7.4, §7.5).
func (s *Service) stepUpHolds(ctx context.Context, tx Tx, rec pendingRecord, chk IDVCheck) (string, error) {
	st := rec.StepUp
	if chk.Journey != string(idvbridge.JourneyStepUp) || chk.Provider != rec.Provider || chk.RunID != rec.RunID ||
		chk.UserExternalID != rec.User || chk.CeremonyID != st.CeremonyID {
		s.log.WarnContext(ctx, "step-up check does not belong to this login", "user", rec.User, "run_id", chk.RunID,
			"check_user", chk.UserExternalID, "journey", chk.Journey)
		return CheckReasonReferenceMismatch, nil
	}
	u, err := tx.GetUser(ctx, rec.User)
	switch {
	case errors.Is(err, ErrNotFound):
		return CheckReasonUserSuspended, nil
	case err != nil:
		return "", fmt.Errorf("get user %s: %w", rec.User, err)
	case u.Status == UserSuspended:
		return CheckReasonUserSuspended, nil
	}
	c, err := tx.GetCredential(ctx, st.CredentialID)
	switch {
	case errors.Is(err, ErrNotFound):
		return CheckReasonCredentialRevoked, nil
	case err != nil:
		return "", fmt.Errorf("get credential: %w", err)
	case c.Status != CredentialActive || c.UserExternalID != rec.User:
		return CheckReasonCredentialRevoked, nil
	}
	if chk.ReferenceID != st.ReferenceID {
		return CheckReasonReferenceMismatch, nil
	}
	_, ok, err := activeReferenceByID(ctx, tx, rec.User, st.ReferenceID)
	switch {
	case err != nil:
		return "", err
	case !ok:
		return CheckReasonReferenceRevoked, nil
	}
	return "", nil
}
