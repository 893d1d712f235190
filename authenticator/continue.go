package authenticator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/biometric-passkey/biometric-passkey/idvbridge"
)

// Defaults of the identity-check journeys (ADR 0005).
const (
	// DefaultIDVTimeout is how long a journey waits for its check's outcome.
	DefaultIDVTimeout = 10 * time.Minute
	// DefaultIDVAttemptsPerHour bounds the checks one user may start in an
	// hour, over every journey: each costs a vendor check and each is a
	// guess at someone's face.
	DefaultIDVAttemptsPerHour = 5
	// pollInterval is the least time between two status fetches from the
	// provider for one run: progress pages poll every two seconds, the
	// provider is asked at most this often (webhooks usually answer first).
	pollInterval = 3 * time.Second
	// pendingGrace keeps a journey's record past its deadline so that a
	// late poll still learns it timed out (and a login is refused, not left open).
	pendingGrace = 2 * time.Minute
)

var errJourneyGone = &Error{Code: CodeChallengeUnknown, Message: "this identity check has finished or expired; please start again"}

// pendingRecord is a journey waiting on an identity check, under
// pendingKey(token). The journey-specific part is in one of the pointers.
type pendingRecord struct {
	Journey    idvbridge.Journey `json:"journey"`
	Provider   string            `json:"provider"`
	RunID      string            `json:"run"`
	User       string            `json:"user"`
	CaptureURL string            `json:"capture_url,omitempty"`
	SDKToken   string            `json:"sdk_token,omitempty"`
	ExpiresAt  time.Time         `json:"exp"`
	ReturnURL  string            `json:"return_url,omitempty"` // the RP's, for links

	StepUp     *stepUpState     `json:"step_up,omitempty"`
	Enrollment *enrollmentState `json:"enrollment,omitempty"`
	Recovery   *recoveryState   `json:"recovery,omitempty"`
}

func pendingKey(token string) string {
	h := sha256.Sum256([]byte(token))
	return "pending:" + hex.EncodeToString(h[:])
}

func (r pendingRecord) check(token string) PendingCheck {
	return PendingCheck{Token: token, Journey: r.Journey, Provider: r.Provider, RunID: r.RunID,
		CaptureURL: r.CaptureURL, SDKToken: r.SDKToken, ExpiresAt: r.ExpiresAt}
}

// Rate limits (allowAttempt): what is counted, and per what.
const (
	limitIDV      = "idv"      // identity-check starts, per user (external id)
	limitRecovery = "recovery" // recovery starts from the sign-in page, per username
)

// allowAttempt counts one attempt of kind (limitIDV, limitRecovery) for who
// and refuses it beyond Config.IDVAttemptsPerHour (ErrRateLimited). The
// counter is a fixed window in the ephemeral store, shared by every replica.
func (s *Service) allowAttempt(ctx context.Context, kind, who string) error {
	n, err := s.eph.Incr(ctx, "ratelimit:"+kind+":"+who, time.Hour)
	if err != nil {
		return fmt.Errorf("count %s attempts: %w", kind, err)
	}
	if n > int64(s.cfg.IDVAttemptsPerHour) {
		s.log.WarnContext(ctx, kind+" attempt refused: rate limit", "who", who, "attempts", n)
		return Errorf(CodeRateLimited, "%s started %d %s attempts this hour (limit %d)", who, n, kind, s.cfg.IDVAttemptsPerHour)
	}
	return nil
}

// startPending starts a journey's identity check (counted against the
// user's rate limit), and stores rec, completed with the check, under a new
// token. The caller has loaded and checked u (not suspended, in the state
// the journey needs) and, for a step-up or recovery, u's active reference
// ref (nil for an enrollment); rec.Journey must be set, rec.User is set to
// u's. returnURL is the host's progress page, already validated.
func (s *Service) startPending(ctx context.Context, rec pendingRecord, u User, ref *BiometricReference, ceremonyID, returnURL string) (PendingCheck, error) {
	if s.cfg.IDV == nil {
		return PendingCheck{}, withCause(errNoIDV, errors.New("no IDV provider configured"))
	}
	rec.User = u.ExternalID
	if err := s.allowAttempt(ctx, limitIDV, rec.User); err != nil {
		return PendingCheck{}, err
	}
	chk, err := s.startCheck(ctx, u, ref, rec.Journey, ceremonyID, returnURL)
	if err != nil {
		return PendingCheck{}, err
	}
	token, err := s.randomID(32)
	if err != nil {
		return PendingCheck{}, err
	}
	now := s.now()
	exp := now.Add(s.cfg.IDVTimeout).UTC()
	// The provider's deadline shortens ours, unless it is already past by
	// our clock (skew between the two): then ours stands, and the provider
	// reports the run as expired when asked.
	if !chk.ExpiresAt.IsZero() && chk.ExpiresAt.Before(exp) && chk.ExpiresAt.After(now) {
		exp = chk.ExpiresAt.UTC()
	}
	rec.Provider, rec.RunID, rec.CaptureURL, rec.SDKToken, rec.ExpiresAt = chk.Provider, chk.RunID, chk.CaptureURL, chk.SDKToken, exp
	if err := s.putJSON(ctx, pendingKey(token), rec, exp.Sub(s.now())+pendingGrace); err != nil {
		return PendingCheck{}, err
	}
	return rec.check(token), nil
}

// ContinueIdentityCheck reports where a journey waiting on an identity
// check stands, asking the provider when no webhook has answered yet, and
// finishes the journey once the check is final: exactly once, for one
// caller (the record is taken atomically); later calls are
// ErrChallengeUnknown. Cancel fails the check and the journey now; a
// journey past its deadline fails with CheckReasonTimeout.
func (s *Service) ContinueIdentityCheck(ctx context.Context, req ContinueRequest) (Progress, error) {
	if err := validateToken("token", req.Token); err != nil {
		return Progress{}, err
	}
	key := pendingKey(req.Token)
	var rec pendingRecord
	if err := s.loadJSON(ctx, key, false, &rec, errJourneyGone); err != nil {
		return Progress{}, err
	}
	chk, err := s.getCheck(ctx, rec.Provider, rec.RunID)
	if err != nil {
		return Progress{}, err
	}
	switch {
	case chk.Status == CheckPassed && req.Cancel && rec.Journey != idvbridge.JourneyEnrollment:
		// The user withdrew after the provider answered: a step-up or
		// recovery is not approved against their last word. (The check
		// itself stays passed; an enrollment's reference stands.)
		chk.Status, chk.Reason = CheckFailed, CheckReasonCancelled
	case chk.Status != CheckPending:
	case req.Cancel:
		chk, err = s.failCheck(ctx, chk, CheckReasonCancelled)
	case !s.now().Before(rec.ExpiresAt):
		chk, err = s.failCheck(ctx, chk, CheckReasonTimeout)
	default:
		chk, err = s.pollCheck(ctx, chk)
	}
	if err != nil {
		return Progress{}, err
	}
	if chk.Status == CheckPending {
		p := rec.check(req.Token)
		return Progress{Journey: rec.Journey, Status: CheckPending, Message: "We are waiting for the result of your identity check.", Pending: &p}, nil
	}
	// Final: one caller finishes the journey.
	if err := s.loadJSON(ctx, key, true, &rec, errJourneyGone); err != nil {
		return Progress{}, err
	}
	var p Progress
	switch rec.Journey {
	case idvbridge.JourneyStepUp:
		p, err = s.finishStepUp(ctx, rec, chk)
	case idvbridge.JourneyEnrollment:
		p, err = s.finishEnrollment(ctx, rec, chk)
	case idvbridge.JourneyRecovery:
		p, err = s.finishRecovery(ctx, rec, chk)
	default:
		err = Errorf(CodeInternal, "pending journey %q", rec.Journey)
	}
	if err != nil {
		return Progress{}, err
	}
	// A finisher may fail a journey whose check passed (the user was
	// suspended, the reference revoked meanwhile): its status stands.
	p.Journey = rec.Journey
	if p.Status == "" {
		p.Status, p.Reason = chk.Status, ""
		if chk.Status == CheckFailed {
			p.Reason = chk.Reason
		}
	}
	if p.Status == CheckFailed && p.Message == "" {
		p.Message = FailureMessage(p.Reason)
	}
	return p, nil
}

// pollCheck asks the provider for the run's outcome, at most once per
// pollInterval per run across replicas; an unavailable provider leaves the
// check pending (the next poll or the webhook will tell).
func (s *Service) pollCheck(ctx context.Context, chk IDVCheck) (IDVCheck, error) {
	n, err := s.eph.Incr(ctx, "poll:"+chk.Provider+":"+chk.RunID, pollInterval)
	if err != nil || n > 1 {
		return chk, nil //nolint:nilerr // a throttle failure only skips this poll
	}
	out, err := s.RefreshIdentityCheck(ctx, chk.Provider, chk.RunID)
	if errors.Is(err, ErrUnavailable) {
		s.log.WarnContext(ctx, "identity check poll failed", "provider", chk.Provider, "run_id", chk.RunID, "error", err)
		return chk, nil
	}
	return out, err
}

// failCheck moves a pending check to failed with reason (cancel, timeout),
// as a provider's failed outcome would: exactly once, with its event. If
// the check became final meanwhile, that result stands.
func (s *Service) failCheck(ctx context.Context, chk IDVCheck, reason string) (IDVCheck, error) {
	var out IDVCheck
	err := s.store.Atomic(ctx, func(tx Tx) error {
		var err error
		out, err = tx.UpdateCheck(ctx, chk.Provider, chk.RunID, func(c IDVCheck) (IDVCheck, error) {
			if c.Status != CheckPending {
				return c, errFinal
			}
			c.Status, c.Reason, c.CompletedAt = CheckFailed, reason, s.now().UTC()
			return c, nil
		})
		if err != nil {
			return err
		}
		return s.event(ctx, tx, Event{Type: EventIDVCheckFailed, UserExternalID: out.UserExternalID, Actor: "system", Detail: checkDetail(out)})
	})
	if errors.Is(err, errFinal) {
		return s.getCheck(ctx, chk.Provider, chk.RunID)
	}
	if err != nil {
		return IDVCheck{}, fmt.Errorf("fail check %s/%s: %w", chk.Provider, chk.RunID, err)
	}
	s.log.InfoContext(ctx, "identity check ended", "user", out.UserExternalID, "run_id", out.RunID, "reason", reason)
	return out, nil
}

// FailureMessage is the user-safe sentence for a failed check's reason.
func FailureMessage(reason string) string {
	switch reason {
	case string(idvbridge.ReasonDeclined), CheckReasonReferenceMismatch:
		return "We could not confirm that it is you. Nothing was approved."
	case string(idvbridge.ReasonReview):
		return "Your identity check needs a manual review, so it cannot approve this now. Nothing was approved."
	case string(idvbridge.ReasonAbandoned):
		return "The identity check was not finished. Nothing was approved; you can start again."
	case string(idvbridge.ReasonExpired), CheckReasonTimeout:
		return "The identity check took too long and has expired. Nothing was approved; you can start again."
	case CheckReasonCancelled:
		return "You cancelled the identity check. Nothing was approved."
	case CheckReasonUserSuspended:
		return ErrUserSuspended.Message
	case CheckReasonCredentialRevoked:
		return ErrCredentialRevoked.Message + " Nothing was approved."
	case CheckReasonReferenceRevoked, CheckReasonNoReference:
		return "Your identity has not been verified for this account; please contact support."
	}
	return "The identity check could not be completed. Nothing was approved; please try again later."
}
