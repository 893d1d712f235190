package authenticator

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/biometric-passkey/biometric-passkey/idvbridge"
)

// Reasons a check fails that the service decides itself, beside the
// provider's (idvbridge.Reason), as stored in IDVCheck.Reason.
const (
	CheckReasonNoReference       = "no_reference"       // a passed enrollment named no reference
	CheckReasonReferenceMismatch = "reference_mismatch" // a passed step-up named another reference than the one recorded
	CheckReasonReferenceRevoked  = "reference_revoked"  // the recorded reference was revoked meanwhile
	CheckReasonUserSuspended     = "user_suspended"     // the user was suspended meanwhile
	CheckReasonUnknown           = "unknown"            // the provider failed the check without a reason
)

// StartIdentityCheckRequest starts an identity-verification check for a
// user, bound to a ceremony.
type StartIdentityCheckRequest struct {
	// Journey is enrollment (establish the reference; the user must be
	// biometric_pending), step_up or recovery (match against the user's
	// active reference).
	Journey        idvbridge.Journey
	ExternalUserID string
	// CeremonyID is the ceremony the check belongs to; an outcome naming
	// another ceremony is refused.
	CeremonyID string
	// ReturnURL is where a hosted capture sends the user back (optional).
	ReturnURL string
}

var (
	errNoIDV         = &Error{Code: CodeUnmetRequirements, Message: "identity verification is not available on this service"}
	errNoReference   = &Error{Code: CodeUnmetRequirements, Message: "your identity has not been verified for this account yet; please finish setting up your account first"}
	errCheckNotFound = &Error{Code: CodeNotFound, Message: "this identity check is unknown or has expired; please start again"}
	errCheckMismatch = &Error{Code: CodeInvalidArgument, Message: "this identity check result does not belong to this request"}
	errBadWebhook    = &Error{Code: CodeInvalidArgument, Message: "the notification could not be verified"}
	errUnknownUser   = &Error{Code: CodeNotFound, Message: "this account is not known here"}
	// errFinal aborts the transaction of an outcome for a check that has
	// already left pending: the outcome is then a harmless no-op.
	errFinal = errors.New("check already final")
)

func withCause(e *Error, cause error) error {
	return &Error{Code: e.Code, Message: e.Message, Err: cause}
}

// StartIdentityCheck starts a check at the configured provider and records
// it, pending, with an idv_check.started event. It returns what the user
// must do next (capture URL or SDK token), never the reference. A suspended
// user cannot start one; a step-up or recovery without an active reference
// is CodeUnmetRequirements.
func (s *Service) StartIdentityCheck(ctx context.Context, req StartIdentityCheckRequest) (idvbridge.Check, error) {
	if s.cfg.IDV == nil {
		return idvbridge.Check{}, withCause(errNoIDV, errors.New("no IDV provider configured"))
	}
	if err := errors.Join(ValidateExternalUserID(req.ExternalUserID), validateToken("ceremony_id", req.CeremonyID),
		validateReturnURL(req.ReturnURL)); err != nil {
		return idvbridge.Check{}, firstError(err)
	}
	if !slices.Contains([]idvbridge.Journey{idvbridge.JourneyEnrollment, idvbridge.JourneyStepUp, idvbridge.JourneyRecovery}, req.Journey) {
		return idvbridge.Check{}, UserError(CodeInvalidArgument, "journey must be enrollment, step_up or recovery", fmt.Errorf("journey %q", req.Journey))
	}
	u, err := s.store.GetUser(ctx, req.ExternalUserID)
	switch {
	case errors.Is(err, ErrNotFound):
		return idvbridge.Check{}, withCause(errUnknownUser, err)
	case err != nil:
		return idvbridge.Check{}, fmt.Errorf("start identity check: %w", err)
	case u.Status == UserSuspended:
		return idvbridge.Check{}, Errorf(CodeUserSuspended, "identity check for suspended user %s", u.ExternalID)
	}
	var ref *BiometricReference
	switch req.Journey {
	case idvbridge.JourneyEnrollment:
		switch u.Status {
		case UserInvited:
			return idvbridge.Check{}, UserError(CodeInvalidArgument, "register a passkey before verifying your identity", fmt.Errorf("user %s is %s", u.ExternalID, u.Status))
		case UserEnrolled:
			return idvbridge.Check{}, UserError(CodeConflict, "your identity is already verified for this account", fmt.Errorf("user %s is %s", u.ExternalID, u.Status))
		}
	default:
		r, err := s.activeReference(ctx, s.store, u.ExternalID, s.cfg.IDV.Name())
		if err != nil {
			return idvbridge.Check{}, err
		}
		ref = &r
	}
	return s.startCheck(ctx, u, ref, req.Journey, req.CeremonyID, req.ReturnURL)
}

// startCheck is StartIdentityCheck once its request is validated and its
// user u and, for a step-up or recovery, the active reference ref (nil for
// an enrollment) are loaded and checked: the journeys call it with the user
// and reference they have already read.
func (s *Service) startCheck(ctx context.Context, u User, ref *BiometricReference, journey idvbridge.Journey, ceremonyID, returnURL string) (idvbridge.Check, error) {
	name := s.cfg.IDV.Name()
	var bref *idvbridge.Reference
	var refID string
	if ref != nil {
		plain, err := s.open(ref.ID, ref.UserExternalID, ref.SealedRef)
		if err != nil {
			return idvbridge.Check{}, err
		}
		bref, refID = &idvbridge.Reference{Provider: name, ID: plain}, ref.ID
	}
	chk, err := s.cfg.IDV.Start(ctx, idvbridge.StartRequest{
		Journey: journey, UserID: u.ExternalID, Reference: bref, CeremonyID: ceremonyID, ReturnURL: returnURL,
	})
	if err != nil {
		return idvbridge.Check{}, idvError("start identity check", err)
	}
	if chk.RunID == "" || chk.Provider != name {
		return idvbridge.Check{}, Errorf(CodeInternal, "provider %s started run %q as %q", name, chk.RunID, chk.Provider)
	}
	rec := IDVCheck{
		Provider: name, RunID: chk.RunID, UserExternalID: u.ExternalID, Journey: string(journey),
		CeremonyID: ceremonyID, ReferenceID: refID, Status: CheckPending, CreatedAt: s.now().UTC(),
	}
	err = s.store.Atomic(ctx, func(tx Tx) error {
		if err := tx.CreateCheck(ctx, rec); err != nil {
			return fmt.Errorf("record check: %w", err)
		}
		return s.event(ctx, tx, Event{Type: EventIDVCheckStarted, UserExternalID: u.ExternalID, Actor: "user", Detail: checkDetail(rec)})
	})
	if err != nil {
		return idvbridge.Check{}, fmt.Errorf("start identity check: %w", err)
	}
	s.log.InfoContext(ctx, "identity check started", "user", u.ExternalID, "provider", name, "run_id", chk.RunID, "journey", journey)
	return chk, nil
}

// ApplyIDVWebhook verifies a provider notification over its raw body and
// applies the outcome it reports. A bad signature is CodeInvalidArgument and
// changes nothing; duplicates and replays are no-ops. It returns the check
// as it stands afterwards.
func (s *Service) ApplyIDVWebhook(ctx context.Context, header http.Header, body []byte) (IDVCheck, error) {
	if s.cfg.IDV == nil {
		return IDVCheck{}, withCause(errNoIDV, errors.New("no IDV provider configured"))
	}
	o, err := s.cfg.IDV.ParseWebhook(ctx, header, body)
	if err != nil {
		return IDVCheck{}, idvError("parse webhook", err)
	}
	return s.applyOutcome(ctx, o)
}

// RefreshIdentityCheck fetches the run's outcome from the provider (the
// fallback when no webhook arrives) and applies it. A check that is already
// final is returned without asking the provider.
func (s *Service) RefreshIdentityCheck(ctx context.Context, provider, runID string) (IDVCheck, error) {
	if s.cfg.IDV == nil {
		return IDVCheck{}, withCause(errNoIDV, errors.New("no IDV provider configured"))
	}
	if provider != s.cfg.IDV.Name() || runID == "" {
		return IDVCheck{}, withCause(errCheckNotFound, fmt.Errorf("check %s/%s", provider, runID))
	}
	chk, err := s.getCheck(ctx, provider, runID)
	if err != nil || chk.Status != CheckPending {
		return chk, err
	}
	o, err := s.cfg.IDV.Fetch(ctx, runID)
	if err != nil {
		return IDVCheck{}, idvError("fetch outcome", err)
	}
	return s.applyOutcome(ctx, o)
}

// IdentityCheckStatus returns a check for the progress page, only to its own
// user: another user's check is not found.
func (s *Service) IdentityCheckStatus(ctx context.Context, provider, runID, externalUserID string) (IDVCheck, error) {
	if provider == "" || runID == "" || externalUserID == "" {
		return IDVCheck{}, withCause(errCheckNotFound, errors.New("missing provider, run or user"))
	}
	chk, err := s.getCheck(ctx, provider, runID)
	if err != nil {
		return IDVCheck{}, err
	}
	if chk.UserExternalID != externalUserID {
		return IDVCheck{}, withCause(errCheckNotFound, fmt.Errorf("check %s/%s asked for by user %s", provider, runID, externalUserID))
	}
	return chk, nil
}

func (s *Service) getCheck(ctx context.Context, provider, runID string) (IDVCheck, error) {
	chk, err := s.store.GetCheck(ctx, provider, runID)
	if errors.Is(err, ErrNotFound) {
		return IDVCheck{}, withCause(errCheckNotFound, err)
	}
	if err != nil {
		return IDVCheck{}, fmt.Errorf("get check %s/%s: %w", provider, runID, err)
	}
	return chk, nil
}

// applyOutcome accepts an outcome only for the recorded check (same
// provider, run and user; the same ceremony when the outcome names one) and
// moves it from pending to passed or failed exactly once, in one
// transaction with its consequences and events. A pending outcome, or one
// for a check that is already final, changes nothing.
func (s *Service) applyOutcome(ctx context.Context, o idvbridge.Outcome) (IDVCheck, error) {
	name := s.cfg.IDV.Name()
	if o.Provider != name {
		return IDVCheck{}, withCause(errCheckMismatch, fmt.Errorf("outcome from provider %q, want %q", o.Provider, name))
	}
	chk, err := s.getCheck(ctx, name, o.RunID)
	if err != nil {
		return IDVCheck{}, err
	}
	if o.UserID != chk.UserExternalID || (o.CeremonyID != "" && o.CeremonyID != chk.CeremonyID) {
		s.log.WarnContext(ctx, "identity check outcome refused: it does not match the recorded check",
			"provider", name, "run_id", o.RunID, "user", chk.UserExternalID, "outcome_user", o.UserID,
			"ceremony_id", chk.CeremonyID, "outcome_ceremony_id", o.CeremonyID)
		return IDVCheck{}, withCause(errCheckMismatch, fmt.Errorf("outcome for run %s names user %q ceremony %q", o.RunID, o.UserID, o.CeremonyID))
	}
	switch {
	case chk.Status != CheckPending, o.Status == idvbridge.StatusPending:
		return chk, nil
	case o.Status != idvbridge.StatusPassed && o.Status != idvbridge.StatusFailed:
		return IDVCheck{}, Errorf(CodeInternal, "outcome for run %s has unknown status %q", o.RunID, o.Status)
	}
	enrollPass := o.Status == idvbridge.StatusPassed && chk.Journey == string(idvbridge.JourneyEnrollment) &&
		o.Reference != nil && o.Reference.ID != "" && o.Reference.Provider == name
	var newRef BiometricReference
	if enrollPass {
		id, err := s.randomID(16)
		if err != nil {
			return IDVCheck{}, err
		}
		sealed, err := s.seal(id, chk.UserExternalID, o.Reference.ID)
		if err != nil {
			return IDVCheck{}, err
		}
		newRef = BiometricReference{ID: id, UserExternalID: chk.UserExternalID, Provider: name, SealedRef: sealed,
			Status: ReferenceActive, CreatedAt: s.now().UTC()}
	}
	var out IDVCheck
	err = s.store.Atomic(ctx, func(tx Tx) error {
		status, reason, refID, user, err := s.judge(ctx, tx, chk, o, newRef.ID)
		if err != nil {
			return err
		}
		out, err = tx.UpdateCheck(ctx, name, o.RunID, func(c IDVCheck) (IDVCheck, error) {
			if c.Status != CheckPending {
				return c, errFinal
			}
			c.Status, c.Reason, c.CompletedAt = status, reason, s.now().UTC()
			if refID != "" {
				c.ReferenceID = refID
			}
			return c, nil
		})
		if err != nil {
			return err
		}
		if status == CheckPassed && out.Journey == string(idvbridge.JourneyEnrollment) {
			if err := s.establish(ctx, tx, newRef, user); err != nil {
				return err
			}
		}
		typ := EventIDVCheckFailed
		if status == CheckPassed {
			typ = EventIDVCheckPassed
		}
		return s.event(ctx, tx, Event{Type: typ, UserExternalID: out.UserExternalID, Actor: "system", Detail: checkDetail(out)})
	})
	if errors.Is(err, errFinal) {
		return s.getCheck(ctx, name, o.RunID)
	}
	if err != nil {
		return IDVCheck{}, fmt.Errorf("apply outcome for run %s: %w", o.RunID, err)
	}
	s.log.InfoContext(ctx, "identity check finished", "user", out.UserExternalID, "provider", name, "run_id", out.RunID,
		"journey", out.Journey, "status", out.Status, "reason", out.Reason)
	return out, nil
}

// judge decides, inside the transaction, what a final outcome makes of the
// check: only a provider pass that still holds against the stored state
// passes.
func (s *Service) judge(ctx context.Context, tx Tx, chk IDVCheck, o idvbridge.Outcome, newRefID string) (status CheckStatus, reason, refID string, u User, err error) {
	fail := func(r string) (CheckStatus, string, string, User, error) { return CheckFailed, r, "", u, nil }
	if o.Status != idvbridge.StatusPassed {
		if o.Reason == idvbridge.ReasonNone {
			return fail(CheckReasonUnknown)
		}
		return fail(string(o.Reason))
	}
	if u, err = tx.GetUser(ctx, chk.UserExternalID); err != nil {
		return "", "", "", u, fmt.Errorf("get user %s: %w", chk.UserExternalID, err)
	}
	if u.Status == UserSuspended {
		return fail(CheckReasonUserSuspended)
	}
	if chk.Journey == string(idvbridge.JourneyEnrollment) {
		if newRefID == "" {
			return fail(CheckReasonNoReference)
		}
		return CheckPassed, "", newRefID, u, nil
	}
	ref, ok, err := activeReferenceByID(ctx, tx, chk.UserExternalID, chk.ReferenceID)
	if err != nil {
		return "", "", "", u, err
	}
	if !ok {
		return fail(CheckReasonReferenceRevoked)
	}
	if o.Reference == nil || o.Reference.Provider != chk.Provider {
		return fail(CheckReasonReferenceMismatch)
	}
	plain, err := s.open(ref.ID, ref.UserExternalID, ref.SealedRef)
	if err != nil {
		return "", "", "", u, err
	}
	if subtle.ConstantTimeCompare([]byte(plain), []byte(o.Reference.ID)) != 1 {
		return fail(CheckReasonReferenceMismatch)
	}
	return CheckPassed, "", chk.ReferenceID, u, nil
}

// establish stores the reference a passed enrollment check established and
// moves a biometric_pending user to enrolled, with events.
func (s *Service) establish(ctx context.Context, tx Tx, ref BiometricReference, u User) error {
	if err := tx.CreateReference(ctx, ref); err != nil {
		return fmt.Errorf("create reference: %w", err)
	}
	if err := s.event(ctx, tx, Event{Type: EventReferenceCreated, UserExternalID: ref.UserExternalID, Actor: "system",
		Detail: map[string]string{"reference_id": ref.ID, "provider": ref.Provider}}); err != nil {
		return err
	}
	if u.Status != UserBiometricPending {
		return nil
	}
	if _, err := tx.UpdateUser(ctx, u.ExternalID, func(cur User) (User, error) {
		if cur.Status == UserBiometricPending {
			cur.Status, cur.UpdatedAt = UserEnrolled, s.now().UTC()
		}
		return cur, nil
	}); err != nil {
		return fmt.Errorf("enroll user %s: %w", u.ExternalID, err)
	}
	return s.event(ctx, tx, Event{Type: EventUserEnrolled, UserExternalID: u.ExternalID, Actor: "system",
		Detail: map[string]string{"reference_id": ref.ID}})
}

// activeReference returns the user's newest active reference at provider,
// or errNoReference.
func (s *Service) activeReference(ctx context.Context, tx Tx, externalID, provider string) (BiometricReference, error) {
	refs, err := tx.ListReferences(ctx, externalID)
	if err != nil {
		return BiometricReference{}, fmt.Errorf("list references: %w", err)
	}
	for _, r := range slices.Backward(refs) {
		if r.Status == ReferenceActive && r.Provider == provider {
			return r, nil
		}
	}
	return BiometricReference{}, withCause(errNoReference, fmt.Errorf("user %s has no active %s reference", externalID, provider))
}

// activeReferenceByID returns the user's reference id, with ok false when
// the user has no such reference or it is no longer active.
func activeReferenceByID(ctx context.Context, tx Tx, externalID, id string) (ref BiometricReference, ok bool, err error) {
	if id == "" {
		return BiometricReference{}, false, nil
	}
	refs, err := tx.ListReferences(ctx, externalID)
	if err != nil {
		return BiometricReference{}, false, fmt.Errorf("list references: %w", err)
	}
	i := slices.IndexFunc(refs, func(r BiometricReference) bool { return r.ID == id })
	if i < 0 || refs[i].Status != ReferenceActive {
		return BiometricReference{}, false, nil
	}
	return refs[i], true, nil
}

// checkDetail is an event's detail for a check: ids and outcome, never the
// provider's reference.
func checkDetail(c IDVCheck) map[string]string {
	d := map[string]string{"provider": c.Provider, "run_id": c.RunID, "journey": c.Journey, "ceremony_id": c.CeremonyID}
	if c.ReferenceID != "" {
		d["reference_id"] = c.ReferenceID
	}
	if c.Reason != "" {
		d["reason"] = c.Reason
	}
	return d
}

// idvError turns a provider failure into a user-safe error.
func idvError(op string, err error) error {
	cause := fmt.Errorf("%s: %w", op, err)
	switch {
	case errors.Is(err, idvbridge.ErrBadSignature):
		return withCause(errBadWebhook, cause)
	case errors.Is(err, idvbridge.ErrNotFound):
		return withCause(errCheckNotFound, cause)
	case errors.Is(err, idvbridge.ErrInvalid):
		return UserError(CodeInvalidArgument, "the identity check request is not valid", cause)
	case errors.Is(err, idvbridge.ErrUnavailable):
		return withCause(ErrUnavailable, cause)
	}
	return Errorf(CodeInternal, "%w", cause)
}
