package authenticator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
)

// Account recovery (ADR 0005, Recovery; issue 3 item 8): a user who lost
// their device proves who they are with a recovery check against the
// biometric reference established at enrollment, then registers a
// replacement passkey; the old passkeys are revoked unless
// Config.KeepCredentialsOnRecovery. It starts from the sign-in page
// (BeginRecovery, which finishes that login) or from a relying party's
// server (CreateEnrollment with PurposeRecovery, then ResumeEnrollment).
//
//	BeginRecovery / ResumeEnrollment ─ recovery check ─▶ ContinueIdentityCheck
//	   passed ─▶ Progress.Ceremony ─▶ FinishRegistration (replace, revoke, login)
//	   failed ─▶ recovery.failed; a login is refused

// recoveryReason is the reason recorded on credentials a recovery replaced.
const recoveryReason = "replaced by account recovery"

// recoveryState is a recovery waiting on its check: where it came from.
type recoveryState struct {
	// Login and Minimum are the sign-in page's login and the lowest acr it
	// accepts (BeginRecovery); nil for a link.
	Login   *LoginRequest `json:"login,omitempty"`
	Minimum string        `json:"min_acr,omitempty"`
	// ClientID is the relying party that made a recovery link; the link's
	// return URL is pendingRecord.ReturnURL.
	ClientID string `json:"client,omitempty"`
}

// recoveryRegistration is what a recovery's registration ceremony carries
// instead of an enrollment link: the passed check that allows it, and
// where the recovery came from.
type recoveryRegistration struct {
	Provider  string        `json:"provider"`
	RunID     string        `json:"run"`
	Login     *LoginRequest `json:"login,omitempty"`
	Minimum   string        `json:"min_acr,omitempty"`
	ClientID  string        `json:"client,omitempty"`
	ReturnURL string        `json:"return_url,omitempty"`
}

// source names where a recovery came from, for events and logs.
func source(login *LoginRequest) string {
	if login != nil {
		return "login"
	}
	return "link"
}

var (
	// errCannotRecover is the one answer BeginRecovery gives for an unknown
	// username, a user who has not finished enrollment and one without an
	// active reference, so that it does not tell which (WebAuthn §14.6.2 in
	// spirit: no account enumeration from the sign-in page).
	errCannotRecover = &Error{Code: CodeUnmetRequirements, Message: "we cannot recover this account here; please contact support"}
	// errNotRecoverable is the relying party's answer (CreateEnrollment):
	// its server knows its own users, so it gets the reason.
	errNotRecoverable = &Error{Code: CodeUnmetRequirements, Message: "this account has not finished enrollment with a verified identity, so it cannot be recovered; send an enrollment link instead"}
	// errRecoveryStale refuses a replacement passkey whose recovery check no
	// longer holds (its reference was revoked or the user changed meanwhile).
	errRecoveryStale = &Error{Code: CodeUnmetRequirements, Message: "your identity check is no longer valid; please start the account recovery again"}
)

// recoverableUser loads a user a relying party may start a recovery link
// for: existing, enrolled, not suspended, with an active reference at the
// configured provider, which it returns too.
func (s *Service) recoverableUser(ctx context.Context, externalID string) (User, BiometricReference, error) {
	if s.cfg.IDV == nil {
		return User{}, BiometricReference{}, withCause(errNoIDV, errors.New("no IDV provider configured"))
	}
	u, err := s.store.GetUser(ctx, externalID)
	switch {
	case errors.Is(err, ErrNotFound):
		return User{}, BiometricReference{}, withCause(errUnknownUser, err)
	case err != nil:
		return User{}, BiometricReference{}, fmt.Errorf("load user: %w", err)
	}
	ref, err := s.recoverable(ctx, u, errNotRecoverable)
	if err != nil {
		return User{}, BiometricReference{}, err
	}
	return u, ref, nil
}

// recoverable returns the active reference at the configured provider of
// u, a user who may recover: enrolled and not suspended. A suspended user
// is CodeUserSuspended; one not enrolled, or without an active reference,
// gets refuse (errNotRecoverable for a relying party, errCannotRecover for
// the sign-in page).
func (s *Service) recoverable(ctx context.Context, u User, refuse *Error) (BiometricReference, error) {
	switch {
	case u.Status == UserSuspended:
		return BiometricReference{}, Errorf(CodeUserSuspended, "recovery for suspended user %s", u.ExternalID)
	case u.Status != UserEnrolled:
		return BiometricReference{}, withCause(refuse, fmt.Errorf("recovery for %s user %s", u.Status, u.ExternalID))
	}
	ref, err := s.activeReference(ctx, s.store, u.ExternalID, s.cfg.IDV.Name())
	if err != nil {
		return BiometricReference{}, withCause(refuse, err)
	}
	return ref, nil
}

var errRecoveryWithDetails = &Error{Code: CodeInvalidArgument, Message: "an account recovery cannot approve a transaction: " +
	"recover your account from a plain sign-in first, then start the transaction again"}

// BeginRecovery starts an account recovery from the sign-in page ("lost
// your device?") for req.Login: a recovery check against the user's
// reference, finished with ContinueIdentityCheck. A passed check yields the
// replacement passkey's ceremony; FinishRegistration then also finishes the
// login, accepted at the level the recovery's evidence supports or refused
// if that is below the login's minimum. A failed check refuses the login.
//
// The login is validated as BeginAuthentication does (a login the service
// would refuse is CodeUnmetRequirements; one that needs no ceremony is
// CodeInvalidArgument). Attempts are limited per username, before any
// lookup, to Config.IDVAttemptsPerHour an hour (CodeRateLimited). An
// unknown username, a user who has not finished enrollment and one without
// an active reference all get the same CodeUnmetRequirements error, so the
// page does not reveal which; a suspended user gets CodeUserSuspended. No
// check starts in any of these cases.
func (s *Service) BeginRecovery(ctx context.Context, req BeginRecoveryRequest) (PendingCheck, error) {
	d, lg, err := s.decide(ctx, req.Login)
	if err != nil {
		return PendingCheck{}, err
	}
	switch d.Action {
	case acr.ActionAuthenticate:
	case acr.ActionReject:
		return PendingCheck{}, UserError(CodeUnmetRequirements, d.Description, nil)
	default:
		return PendingCheck{}, UserError(CodeInvalidArgument, "this login does not need a passkey ceremony", fmt.Errorf("decision %s", d.Action))
	}
	if err := errors.Join(validateUsername(req.Username), validateReturnURL(req.ReturnURL)); err != nil {
		return PendingCheck{}, firstError(err)
	}
	// A recovery registers a new passkey; it signs no challenge bound to a
	// transaction, so it must not finish a login that asks for one approved
	// (ADR 0005, transaction binding).
	if len(lg.Request.AuthorizationDetails) > 0 {
		return PendingCheck{}, errRecoveryWithDetails
	}
	if s.cfg.IDV == nil {
		return PendingCheck{}, withCause(errNoIDV, errors.New("no IDV provider configured"))
	}
	// Counted per username, not per user, and before the lookup: unknown
	// names cost the same, so guessing names is as slow as guessing faces.
	if err := s.allowAttempt(ctx, limitRecovery, req.Username); err != nil {
		return PendingCheck{}, err
	}
	u, err := s.store.GetUserByUsername(ctx, req.Username)
	switch {
	case errors.Is(err, ErrNotFound):
		return PendingCheck{}, withCause(errCannotRecover, fmt.Errorf("recovery for unknown username %q", req.Username))
	case err != nil:
		return PendingCheck{}, fmt.Errorf("load user: %w", err)
	}
	ref, err := s.recoverable(ctx, u, errCannotRecover)
	if err != nil {
		return PendingCheck{}, err
	}
	id, err := s.randomID(32) // the recovery's own ceremony, which the check is bound to
	if err != nil {
		return PendingCheck{}, err
	}
	login := req.Login
	p, err := s.startPending(ctx, pendingRecord{Journey: idvbridge.JourneyRecovery,
		Recovery: &recoveryState{Login: &login, Minimum: d.Minimum.ACR}}, u, &ref, id, req.ReturnURL)
	if err != nil {
		return PendingCheck{}, err
	}
	s.recoveryStarted(ctx, u.ExternalID, p, req.Login.ClientID, &login)
	return p, nil
}

// resumeRecovery starts the recovery check of a recovery link
// (ResumeEnrollment), consuming the link.
func (s *Service) resumeRecovery(ctx context.Context, key string, enr enrollmentRecord, returnURL string) (PendingCheck, error) {
	u, ref, err := s.recoverableUser(ctx, enr.ExternalUserID)
	if err != nil {
		return PendingCheck{}, err
	}
	id, err := s.randomID(32)
	if err != nil {
		return PendingCheck{}, err
	}
	p, err := s.consumeAndStart(ctx, key, pendingRecord{Journey: idvbridge.JourneyRecovery,
		ReturnURL: enr.ReturnURL, Recovery: &recoveryState{ClientID: enr.ClientID}}, u, &ref, id, returnURL)
	if err != nil {
		return PendingCheck{}, err
	}
	s.recoveryStarted(ctx, u.ExternalID, p, enr.ClientID, nil)
	return p, nil
}

// recoveryStarted records the recovery.started event. The check has
// started and is recorded (idv_check.started) by then, so a failure here is
// logged rather than failing a journey that is already under way.
func (s *Service) recoveryStarted(ctx context.Context, user string, p PendingCheck, client string, login *LoginRequest) {
	err := s.store.Atomic(ctx, func(tx Tx) error {
		return s.event(ctx, tx, Event{Type: EventRecoveryStarted, UserExternalID: user, Actor: "user",
			Detail: map[string]string{"provider": p.Provider, "run_id": p.RunID, "source": source(login), "client": client}})
	})
	if err != nil {
		s.log.ErrorContext(ctx, "recovery.started event not recorded", "user", user, "run_id", p.RunID, "error", err)
	}
	s.log.InfoContext(ctx, "recovery started", "user", user, "run_id", p.RunID, "source", source(login), "client", client)
}

// finishRecovery ends a recovery journey whose check is final. Passed: it
// opens the registration ceremony for the replacement passkey, carrying
// the recovery instead of an enrollment link (Progress.Ceremony; finish it
// with FinishRegistration within ChallengeTTL, or the recovery must start
// again). The old passkeys are not excluded: the user may be replacing the
// very device they found again. A user suspended meanwhile is refused
// (CodeUserSuspended). Failed: recovery.failed with the reason, and a
// login it came from is refused.
func (s *Service) finishRecovery(ctx context.Context, rec pendingRecord, chk IDVCheck) (Progress, error) {
	st := rec.Recovery
	if st == nil {
		return Progress{}, Errorf(CodeInternal, "recovery journey of %s without its state", rec.User)
	}
	p := Progress{ReturnURL: rec.ReturnURL}
	if chk.Status == CheckPassed {
		u, err := s.store.GetUser(ctx, rec.User)
		if err != nil {
			return Progress{}, fmt.Errorf("load user: %w", err)
		}
		if u.Status == UserSuspended {
			return s.recoveryRefused(ctx, rec, chk, CheckReasonUserSuspended), nil
		}
		creation, session, err := s.wa.BeginRegistration(&waUser{u: u})
		if err != nil {
			return Progress{}, Errorf(CodeInternal, "begin recovery registration: %w", err)
		}
		cer, err := s.openCeremony(ctx, "ceremony:reg:", creation, registrationRecord{Session: *session, ExternalUserID: u.ExternalID,
			Recovery: &recoveryRegistration{Provider: chk.Provider, RunID: chk.RunID, Login: st.Login, Minimum: st.Minimum,
				ClientID: st.ClientID, ReturnURL: rec.ReturnURL}})
		if err != nil {
			return Progress{}, err
		}
		p.Ceremony = &cer
		p.Message = "It is you: now create a new passkey on this device to replace the one you lost."
		return p, nil
	}
	return s.recoveryRefused(ctx, rec, chk, chk.Reason), nil
}

// recoveryRefused ends a recovery as failed for reason, with its event,
// and refuses the login it came from, if any, so that login is not left open.
func (s *Service) recoveryRefused(ctx context.Context, rec pendingRecord, chk IDVCheck, reason string) Progress {
	s.recoveryFailed(ctx, rec, chk, reason)
	p := Progress{ReturnURL: rec.ReturnURL, Status: CheckFailed, Reason: reason, Message: FailureMessage(reason)}
	if l := rec.Recovery.Login; l != nil {
		p.Login = &AuthenticationResult{LoginChallenge: l.Challenge,
			Error: acr.ErrorUnmetRequirements, ErrorDescription: FailureMessage(reason)}
	}
	return p
}

// recoveryFailed records recovery.failed; the check's own outcome is
// already recorded, so a failure here is logged only.
func (s *Service) recoveryFailed(ctx context.Context, rec pendingRecord, chk IDVCheck, reason string) {
	err := s.store.Atomic(ctx, func(tx Tx) error {
		return s.event(ctx, tx, Event{Type: EventRecoveryFailed, UserExternalID: rec.User, Actor: "system",
			Detail: map[string]string{"provider": chk.Provider, "run_id": chk.RunID, "reason": reason, "source": source(rec.Recovery.Login)}})
	})
	if err != nil {
		s.log.ErrorContext(ctx, "recovery.failed event not recorded", "user", rec.User, "run_id", chk.RunID, "error", err)
	}
	s.log.InfoContext(ctx, "recovery failed", "user", rec.User, "run_id", chk.RunID, "reason", reason)
}

// finishRecoveryRegistration stores a recovery's replacement passkey c
// (already verified and within policy) in one transaction with everything
// it changes: the recovery check must still have passed for this user
// against a reference that is still active, the user must still be
// enrolled; the user's other active or flagged passkeys are revoked
// (unless Config.KeepCredentialsOnRecovery), each with credential.revoked,
// then credential.registered and recovery.completed. When the recovery came
// from a login, that login is finished too: the evidence is this
// registration's passkey with its UV flag plus the recovery check's
// biometric match, and completeLogin accepts it at the level that supports
// or refuses it.
func (s *Service) finishRecoveryRegistration(ctx context.Context, rec registrationRecord, u User, c Credential, uv bool) (Registration, error) {
	r := rec.Recovery
	ev := acr.Evidence{
		PasskeyVerified: true, UserVerified: uv, BackupEligible: c.BackupEligible,
		CredentialActive: true, UserActive: true, // the new credential; the user is re-checked in the transaction
		BiometricMatch: true, // the recovery check passed for this journey, re-checked in the transaction
	}
	outcome, met := s.meets(ev, r.Minimum)
	var success *Event
	if r.Login != nil && met {
		success = &Event{Type: EventAuthenticationSuccess, UserExternalID: u.ExternalID, CredentialID: c.ID, Actor: "user",
			Detail: map[string]string{"acr": outcome.ACR, "client": r.Login.ClientID, "recovery_run_id": r.RunID}}
	}
	client := r.ClientID
	if r.Login != nil {
		client = r.Login.ClientID
	}
	replaced := 0
	err := s.store.Atomic(ctx, func(tx Tx) error {
		if err := s.recoveryHolds(ctx, tx, r, u.ExternalID); err != nil {
			return err
		}
		if err := tx.CreateCredential(ctx, c); err != nil {
			return err
		}
		if !s.cfg.KeepCredentialsOnRecovery {
			creds, err := tx.ListCredentials(ctx, u.ExternalID)
			if err != nil {
				return fmt.Errorf("list credentials: %w", err)
			}
			for _, old := range creds {
				if bytes.Equal(old.ID, c.ID) || old.Status == CredentialRevoked {
					continue
				}
				_, changed, err := s.revoke(ctx, tx, old.ID, recoveryReason, "user", map[string]string{"recovery_run_id": r.RunID})
				if err != nil {
					return fmt.Errorf("revoke replaced credential: %w", err)
				}
				if changed {
					replaced++
				}
			}
		}
		if err := s.event(ctx, tx, registeredEvent(c, client, map[string]string{"recovery_run_id": r.RunID})); err != nil {
			return err
		}
		if err := s.event(ctx, tx, Event{Type: EventRecoveryCompleted, UserExternalID: u.ExternalID, CredentialID: c.ID, Actor: "user",
			Detail: map[string]string{"provider": r.Provider, "run_id": r.RunID, "replaced": strconv.Itoa(replaced),
				"source": source(r.Login), "client": client}}); err != nil {
			return err
		}
		if success != nil {
			return s.event(ctx, tx, *success)
		}
		return nil
	})
	if errors.Is(err, ErrConflict) {
		return Registration{}, UserError(CodeConflict, "this passkey is already registered", err)
	}
	if err != nil {
		return Registration{}, fmt.Errorf("store recovery credential: %w", err)
	}
	s.log.InfoContext(ctx, "account recovered", "user", u.ExternalID, "run_id", r.RunID, "replaced", replaced,
		"source", source(r.Login), "device_bound", c.DeviceBound())
	reg := Registration{User: u, Credential: c, ReturnURL: r.ReturnURL, Replaced: replaced}
	if r.Login != nil {
		res, err := s.completeLogin(ctx, *r.Login, r.Minimum, u.ExternalID, c.ID, outcome, met)
		if err != nil {
			return Registration{}, err
		}
		reg.Login = &res
	}
	return reg, nil
}

// recoveryHolds re-checks, inside the transaction that replaces the
// passkeys, what the recovery's evidence claims: the recorded check is a
// passed recovery check of this user, its reference is still active and
// the user is still enrolled (DESIGN.md §7.4: revoked references and
// suspended users fail closed, even between the check and the passkey).
func (s *Service) recoveryHolds(ctx context.Context, tx Tx, r *recoveryRegistration, externalID string) error {
	chk, err := tx.GetCheck(ctx, r.Provider, r.RunID)
	if err != nil {
		return withCause(errRecoveryStale, fmt.Errorf("load recovery check %s/%s: %w", r.Provider, r.RunID, err))
	}
	if chk.Status != CheckPassed || chk.Journey != string(idvbridge.JourneyRecovery) || chk.UserExternalID != externalID {
		return withCause(errRecoveryStale, fmt.Errorf("check %s/%s is %s %s of %s", r.Provider, r.RunID, chk.Status, chk.Journey, chk.UserExternalID))
	}
	_, ok, err := activeReferenceByID(ctx, tx, externalID, chk.ReferenceID)
	if err != nil {
		return err
	}
	if !ok {
		return withCause(errRecoveryStale, fmt.Errorf("reference %q of check %s is no longer active", chk.ReferenceID, r.RunID))
	}
	u, err := tx.GetUser(ctx, externalID)
	if err != nil {
		return fmt.Errorf("load user: %w", err)
	}
	switch u.Status {
	case UserSuspended:
		return Errorf(CodeUserSuspended, "user %s suspended during recovery", externalID)
	case UserEnrolled:
		return nil
	}
	return withCause(errRecoveryStale, fmt.Errorf("user %s is %s", externalID, u.Status))
}
