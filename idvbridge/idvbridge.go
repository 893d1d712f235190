package idvbridge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Journey is why a check runs.
type Journey string

// Journeys.
const (
	JourneyEnrollment Journey = "enrollment" // establish the user's biometric reference
	JourneyStepUp     Journey = "step_up"    // live capture matched against the reference
	JourneyRecovery   Journey = "recovery"   // the same, to replace a lost passkey
)

// Reference is a user's enrolled biometric reference as the provider knows
// it: an opaque id, never biometric data.
type Reference struct {
	Provider string `json:"provider"`
	ID       string `json:"id"`
}

// StartRequest starts a check.
type StartRequest struct {
	Journey Journey
	// UserID is the relying party's external_user_id (the provider's
	// customer user id).
	UserID string
	// Reference is the user's reference; required for step-up and recovery,
	// empty for enrollment.
	Reference *Reference
	// CeremonyID binds the check to our ceremony; the provider echoes it in
	// the outcome where it can (tags, custom data).
	CeremonyID string
	// ReturnURL is where a hosted capture sends the user when done (web).
	ReturnURL string
	// Locale is a BCP 47 language tag for the capture, optional.
	Locale string
}

// Check is a started check: what the user must do next.
type Check struct {
	Provider   string
	RunID      string // the provider's run id
	Journey    Journey
	UserID     string
	CeremonyID string
	CaptureURL string // hosted capture for the web, if the provider offers one
	SDKToken   string // for a native app's capture SDK, if the provider offers one
	ExpiresAt  time.Time
}

// Status is a check's state.
type Status string

// Statuses. Only StatusPassed ever leads to a higher assurance level.
const (
	StatusPending Status = "pending" // the user has not finished, or the provider is still deciding
	StatusPassed  Status = "passed"
	StatusFailed  Status = "failed" // see Reason
)

// Reason says why a check did not pass. Each provider status maps to one
// explicitly; nothing unknown maps to passed.
type Reason string

// Reasons.
const (
	ReasonNone      Reason = ""
	ReasonDeclined  Reason = "declined"  // the provider decided the person does not match
	ReasonReview    Reason = "review"    // the provider wants a human review: not a pass
	ReasonAbandoned Reason = "abandoned" // the user left the capture
	ReasonError     Reason = "error"     // the provider failed to process the check
	ReasonExpired   Reason = "expired"   // the check ran out of time
)

// Outcome is a check's result as the provider reports it.
type Outcome struct {
	Provider   string
	RunID      string
	UserID     string
	CeremonyID string // when the provider echoes it; empty otherwise
	Status     Status
	Reason     Reason
	// Reference is the reference an enrollment check established (passed
	// only), or the one a step-up or recovery check matched against.
	Reference   *Reference
	CompletedAt time.Time // zero while pending
}

// Provider is an identity-verification service.
type Provider interface {
	// Name is the provider's stable name ("onfido", "sandbox"), stored with
	// references and checks.
	Name() string
	// Start starts a check. Step-up and recovery need req.Reference.
	Start(ctx context.Context, req StartRequest) (Check, error)
	// Fetch returns the run's current outcome by an authenticated request to
	// the provider (the fallback when no webhook arrives).
	Fetch(ctx context.Context, runID string) (Outcome, error)
	// ParseWebhook verifies a notification over its raw body (before
	// decoding anything) and returns the outcome it reports. A bad or
	// missing signature is ErrBadSignature. Duplicates and replays return
	// the same outcome again and must be harmless to apply twice.
	ParseWebhook(ctx context.Context, header http.Header, body []byte) (Outcome, error)
	// DeleteReference asks the provider to delete a user's reference
	// (erasure, revocation). Deleting an absent reference is not an error.
	DeleteReference(ctx context.Context, ref Reference) error
}

// Errors every adapter returns (wrapped, with detail) so callers can decide.
var (
	ErrInvalid      = errors.New("idvbridge: invalid request")           // ours: fix the request
	ErrNotFound     = errors.New("idvbridge: not found")                 // unknown run or reference
	ErrBadSignature = errors.New("idvbridge: webhook signature invalid") // drop the notification
	ErrUnavailable  = errors.New("idvbridge: provider unavailable")      // retryable: timeouts, 429, 5xx
	ErrRejected     = errors.New("idvbridge: provider rejected the request")
)

// APIError is a provider's documented error answer, wrapped in
// ErrRejected, ErrNotFound or ErrUnavailable.
type APIError struct {
	HTTPStatus int
	Type       string              // e.g. validation_error
	Message    string              // the provider's message (not shown to end users)
	Fields     map[string][]string // per-field problems, when the provider names them
}

func (e *APIError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s %v", e.HTTPStatus, e.Type, e.Message, e.Fields)
}

// Validate checks a StartRequest the same way for every adapter.
func (r StartRequest) Validate() error {
	var errs []error
	switch r.Journey {
	case JourneyEnrollment:
		if r.Reference != nil {
			errs = append(errs, fmt.Errorf("%w: enrollment takes no reference", ErrInvalid))
		}
	case JourneyStepUp, JourneyRecovery:
		if r.Reference == nil || r.Reference.ID == "" {
			errs = append(errs, fmt.Errorf("%w: %s needs the user's reference", ErrInvalid, r.Journey))
		}
	default:
		errs = append(errs, fmt.Errorf("%w: unknown journey %q", ErrInvalid, r.Journey))
	}
	if r.UserID == "" || len(r.UserID) > 256 {
		errs = append(errs, fmt.Errorf("%w: user id must be 1 to 256 characters", ErrInvalid))
	}
	if r.CeremonyID == "" || len(r.CeremonyID) > 128 {
		errs = append(errs, fmt.Errorf("%w: ceremony id must be 1 to 128 characters", ErrInvalid))
	}
	return errors.Join(errs...)
}
