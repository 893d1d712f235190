package authenticator

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/biometric-passkey/biometric-passkey/idvbridge"
)

// enrollmentState is an enrollment waiting on its identity check (ADR 0005,
// Enrollment). The outcome itself does the work (applyOutcome stores the
// sealed reference and enrolls the user), so this only keeps what the
// progress page and the logs need.
type enrollmentState struct {
	ClientID string `json:"client,omitempty"` // the relying party that made the link
}

// startEnrollmentCheck starts the identity check of a user whose passkey
// was just registered, bound to that registration's ceremony. It returns
// nil when there is nothing to start (no provider, user not
// biometric_pending) or when starting fails: the passkey is registered
// either way, and a failure is logged, not returned, because the relying
// party resumes with a new link (ResumeEnrollment).
func (s *Service) startEnrollmentCheck(ctx context.Context, u User, enr enrollmentRecord, ceremonyID, returnURL string) *PendingCheck {
	if s.cfg.IDV == nil || u.Status != UserBiometricPending {
		return nil
	}
	p, err := s.startPending(ctx, pendingRecord{Journey: idvbridge.JourneyEnrollment, ReturnURL: enr.ReturnURL,
		Enrollment: &enrollmentState{ClientID: enr.ClientID}}, u, nil, ceremonyID, returnURL)
	if err != nil {
		s.log.WarnContext(ctx, "enrollment check not started; the user stays biometric_pending until resumed with a new link",
			"user", u.ExternalID, "client", enr.ClientID, "error", err)
		return nil
	}
	return &p
}

var errAlreadyEnrolled = &Error{Code: CodeConflict, Message: "this account is already set up: sign in with your passkey"}

// ResumeEnrollment starts the identity check an enrollment or recovery
// link still needs (ADR 0005: an interrupted enrollment resumes with a new
// link from the relying party, and a biometric_pending user's link goes
// straight to the identity check). req.ReturnURL is the host's progress
// page; finish the check with ContinueIdentityCheck.
//
// For an enrollment link:
//   - the user is biometric_pending with an active passkey: the link is
//     consumed and the enrollment check starts;
//   - the user has no active passkey yet (invited): a zero PendingCheck and
//     nil error, and the link stays valid, so the host goes on to the
//     passkey registration (BeginRegistration) as it does for a new user;
//   - the user is enrolled: CodeConflict; suspended: CodeUserSuspended.
//
// For a recovery link (CreateEnrollment with PurposeRecovery) the link is
// consumed and a recovery check starts against the user's reference; once
// it passes, ContinueIdentityCheck returns the replacement passkey's
// ceremony and the link's return URL.
//
// An unknown, expired or used link is CodeChallengeUnknown. If the check
// cannot start (provider unavailable, rate limited) the link is put back
// for the rest of its lifetime, so that trying again later needs no new
// link.
func (s *Service) ResumeEnrollment(ctx context.Context, req ResumeEnrollmentRequest) (PendingCheck, error) {
	if err := errors.Join(validateToken("enrollment token", req.EnrollmentToken), validateReturnURL(req.ReturnURL)); err != nil {
		return PendingCheck{}, firstError(err)
	}
	key := enrollmentKey(req.EnrollmentToken)
	var enr enrollmentRecord
	if err := s.loadJSON(ctx, key, false, &enr, errEnrollmentGone); err != nil {
		return PendingCheck{}, err
	}
	if enr.recovery() {
		return s.resumeRecovery(ctx, key, enr, req.ReturnURL)
	}
	u, creds, err := s.activeUser(ctx, enr.ExternalUserID)
	if err != nil {
		return PendingCheck{}, err
	}
	hasPasskey := slices.ContainsFunc(creds, func(c Credential) bool { return c.Status == CredentialActive })
	switch {
	case u.Status == UserEnrolled:
		return PendingCheck{}, withCause(errAlreadyEnrolled, fmt.Errorf("resume enrollment of enrolled user %s", u.ExternalID))
	case u.Status == UserInvited, !hasPasskey:
		// The passkey comes first; a biometric_pending user whose passkeys
		// were all revoked registers one again the same way.
		return PendingCheck{}, nil
	case s.cfg.IDV == nil:
		return PendingCheck{}, withCause(errNoIDV, errors.New("no IDV provider configured"))
	}
	id, err := s.randomID(32) // the resumed journey's own ceremony, which the check is bound to
	if err != nil {
		return PendingCheck{}, err
	}
	return s.consumeAndStart(ctx, key, pendingRecord{Journey: idvbridge.JourneyEnrollment,
		ReturnURL: enr.ReturnURL, Enrollment: &enrollmentState{ClientID: enr.ClientID}}, u, nil, id, req.ReturnURL)
}

// consumeAndStart takes the link (of concurrent callers one wins, the
// others get errEnrollmentGone) and starts rec's check for u against ref
// (startPending); if the check does not start, the link is put back for
// what is left of its lifetime.
func (s *Service) consumeAndStart(ctx context.Context, key string, rec pendingRecord, u User, ref *BiometricReference, ceremonyID, returnURL string) (PendingCheck, error) {
	var taken enrollmentRecord
	if err := s.loadJSON(ctx, key, true, &taken, errEnrollmentGone); err != nil {
		return PendingCheck{}, err
	}
	p, err := s.startPending(ctx, rec, u, ref, ceremonyID, returnURL)
	if err != nil {
		if ttl := taken.ExpiresAt.Sub(s.now()); ttl > 0 {
			if perr := s.putJSON(ctx, key, taken, ttl); perr != nil {
				s.log.WarnContext(ctx, "link not restored after a failed start", "user", u.ExternalID, "error", perr)
			}
		}
		return PendingCheck{}, err
	}
	return p, nil
}

// finishEnrollment ends an enrollment journey whose check is final. The
// outcome has already done its work when it was applied (a pass stored the
// sealed reference and enrolled the user, in one transaction with its
// events), so this only tells the page what happened and where to go.
func (s *Service) finishEnrollment(ctx context.Context, rec pendingRecord, chk IDVCheck) (Progress, error) {
	p := Progress{ReturnURL: rec.ReturnURL}
	if chk.Status == CheckPassed {
		p.Message = "Your identity is verified and your account is ready: you can now sign in with your passkey."
		s.log.InfoContext(ctx, "enrollment finished", "user", rec.User, "run_id", chk.RunID)
		return p, nil
	}
	p.Message = enrollmentFailureMessage(chk.Reason)
	s.log.InfoContext(ctx, "enrollment check failed; the user stays biometric_pending", "user", rec.User,
		"run_id", chk.RunID, "reason", chk.Reason)
	return p, nil
}

// enrollmentFailureMessage is the user-safe sentence for a failed
// enrollment check: what happened, and that the passkey is kept and a new
// link from the relying party finishes the setup.
func enrollmentFailureMessage(reason string) string {
	const next = " Your passkey is saved; to finish setting up your account, ask for a new link and verify your identity again."
	switch reason {
	case CheckReasonUserSuspended:
		return ErrUserSuspended.Message
	case string(idvbridge.ReasonDeclined), CheckReasonNoReference:
		return "We could not verify your identity." + next
	case string(idvbridge.ReasonReview):
		return "Your identity check needs a manual review, so your account is not ready yet." + next
	case string(idvbridge.ReasonAbandoned):
		return "The identity check was not finished." + next
	case string(idvbridge.ReasonExpired), CheckReasonTimeout:
		return "The identity check took too long and has expired." + next
	case CheckReasonCancelled:
		return "You cancelled the identity check." + next
	}
	return "The identity check could not be completed." + next
}
