package authenticator

import (
	"encoding/json"
	"time"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
)

// This file holds the request and response types of the operations a host
// calls. They cross the plugin wire (plugin/internal/convert) unchanged in
// meaning, so every field is plain data.

// Capabilities describes what this authenticator offers.
type Capabilities struct {
	Levels []acr.Level // lowest first
	// ReachableACR lists the acr values this deployment can issue now (a
	// biometric level needs an identity-verification provider).
	ReachableACR []string
	RPID         string
}

// CreateEnrollmentRequest is a relying party's request to enroll one of its
// existing accounts. The RP has authenticated the account holder itself.
type CreateEnrollmentRequest struct {
	ExternalUserID string // becomes sub; see ValidateExternalUserID
	Username       string // optional; defaults to ExternalUserID
	DisplayName    string // optional; defaults to Username
	ClientID       string // the OAuth client that asked, for the record
	// ReturnURL is where the enrollment page sends the user when done. The
	// host checks it against the client's registered redirect URIs first.
	ReturnURL string
	// Purpose is PurposeEnrollment (the default) or PurposeRecovery.
	Purpose string
}

// Enrollment is a single-use, short-lived enrollment link's secret.
type Enrollment struct {
	Token     string // opaque; the host puts it in the link
	ExpiresAt time.Time
	User      User
}

// BeginRegistrationRequest opens a registration ceremony from an enrollment link.
type BeginRegistrationRequest struct {
	EnrollmentToken string
}

// Ceremony is an open WebAuthn ceremony: its id and the options for
// navigator.credentials.create() or .get(), as JSON ({"publicKey": …}).
type Ceremony struct {
	ID        string
	Options   json.RawMessage
	ExpiresAt time.Time
}

// FinishRequest completes a ceremony with the browser's or app's response:
// the PublicKeyCredential as JSON (WebAuthn §5.1, toJSON()).
type FinishRequest struct {
	CeremonyID string
	Response   []byte
	// ReturnURL is the host's progress page, where a hosted identity check
	// sends the user back when the ceremony needs one (step-up, enrollment).
	ReturnURL string
}

// Registration is the result of a finished registration ceremony.
type Registration struct {
	User       User
	Credential Credential
	ReturnURL  string // from the enrollment request, possibly empty
	// Pending is the enrollment's identity check, started as soon as the
	// passkey is registered when an IDV provider is configured; the user is
	// enrolled once it passes.
	Pending *PendingCheck
	// Replaced counts the old passkeys a recovery revoked (recovery only).
	Replaced int
	// Login is the login a recovery begun from the sign-in page finishes
	// (accepted, or refused with Error set); nil otherwise.
	Login *AuthenticationResult
}

// LoginRequest is an identity server's login request, identity-server neutral.
type LoginRequest struct {
	Challenge  string   // the identity server's login challenge
	SessionID  string   // the identity server's browser-session id (Hydra session_id)
	ClientID   string   // the relying party
	Skip       bool     // the identity server already has an authenticated session
	Subject    string   // that session's subject when Skip
	ACRValues  []string // from the OIDC context
	RequestURL string   // the original authorize URL (prompt, max_age)
	LoginHint  string   // login_hint, if any
}

// LoginDecision is the verdict on a login request before any ceremony.
type LoginDecision struct {
	Action  acr.Action
	Subject string      // ActionAccept
	Outcome acr.Outcome // ActionAccept
	// AuthTime is when the accepted session's user really signed in
	// (ActionAccept): the recorded sign-in's time, not the time of this
	// decision. Hosts pass it on as auth_time, e.g. into access tokens.
	AuthTime    time.Time
	Target      string // ActionAuthenticate: the acr the ceremony aims for
	Error       string // ActionReject: OAuth error code
	Description string // ActionReject
}

// BeginAuthenticationRequest opens an authentication ceremony for a login.
// With Username empty the ceremony is usernameless (discoverable
// credentials); otherwise it lists that user's credentials.
type BeginAuthenticationRequest struct {
	Login    LoginRequest
	Username string
}

// AuthenticationResult is a finished, verified login: what to tell the
// identity server about LoginChallenge.
//
// Usually the login is accepted, with Subject and Outcome. When Error is
// set, the passkey was verified but the login must be refused: only
// LoginChallenge, Error and ErrorDescription are set (Subject and Outcome
// are empty), and the host must reject that login at the identity server
// with Error and ErrorDescription, which reach the relying party (DESIGN.md
// §5: refused, never downgraded). A host that is stateless has no other way
// to learn which login to refuse.
type AuthenticationResult struct {
	LoginChallenge string // the login the ceremony was bound to at Begin
	Subject        string
	Outcome        acr.Outcome
	CredentialID   []byte
	AuthTime       time.Time
	// RememberFor is how long the identity server should keep the session;
	// the achieved level is recorded for exactly as long.
	RememberFor time.Duration
	// Error is an OAuth error code, such as acr.ErrorUnmetRequirements, when
	// the login must be refused; empty when it is accepted.
	Error string
	// ErrorDescription says why, for the relying party and the user; it
	// carries no internal detail.
	ErrorDescription string
	// Pending is set, alone with LoginChallenge, when the passkey was
	// verified but the login's level also needs a biometric match: the
	// identity check has started and ContinueIdentityCheck finishes the login.
	Pending *PendingCheck
	// AuthorizationDetails are the RFC 9396 details this login approved
	// (RFC 8785 canonical form), DetailsHash their base64url SHA-256, and
	// ApprovalID the stored approval (VerifyApproval); empty without details.
	AuthorizationDetails json.RawMessage
	DetailsHash          string
	ApprovalID           string
}

// UserDetail is one user as the dashboard and CLI see it.
type UserDetail struct {
	User        User
	Credentials []Credential
	Events      []Event
}

// RevokeCredentialRequest revokes a passkey on an operator's behalf.
type RevokeCredentialRequest struct {
	CredentialID []byte
	Reason       string
	Operator     string // the operator's sub, for the record (DESIGN.md §7.7)
}

// PendingCheck is an identity-verification check the user must complete
// before a journey can go on: the step-up's biometric match, an
// enrollment's reference, a recovery's match. The host shows progress and
// calls ContinueIdentityCheck with Token until the check is final.
type PendingCheck struct {
	// Token is the opaque handle of this journey for ContinueIdentityCheck,
	// single-journey and short-lived. It is a bearer secret: a web host keeps
	// it in an HttpOnly cookie, an app in memory; it never goes to the IDV
	// provider or into a URL.
	Token      string
	Journey    idvbridge.Journey
	Provider   string
	RunID      string
	CaptureURL string // hosted capture (web); empty if the provider has none
	SDKToken   string // capture SDK token (native apps); empty if the provider has none
	// ExpiresAt is when the journey gives up waiting for the check: after it
	// the check counts as expired and the journey fails.
	ExpiresAt time.Time
}

// ContinueRequest asks where a journey waiting on an identity check stands,
// or cancels it.
type ContinueRequest struct {
	Token  string // PendingCheck.Token
	Cancel bool   // the user gave up: the journey fails now, with reason cancelled
}

// Reason a journey's check failed that only the service knows, beside
// the CheckReason* values and the provider's idvbridge.Reason.
const (
	CheckReasonCancelled = "cancelled" // the user cancelled on the progress page
	CheckReasonTimeout   = "timeout"   // no outcome before PendingCheck.ExpiresAt
)

// Progress is where a journey waiting on an identity check stands. Once
// Status is final the token is spent: a second call is ErrChallengeUnknown.
type Progress struct {
	Journey idvbridge.Journey
	Status  CheckStatus // pending, passed or failed
	Reason  string      // failed: why (CheckReason*, or the provider's idvbridge.Reason)
	// Message is a user-safe sentence for the page: what happened and what
	// to do now. Never internal detail.
	Message string
	// Pending is the same check again while Status is pending.
	Pending *PendingCheck
	// Login, when set, is the login to finish at the identity server: a
	// passed step-up accepted at its level (acr with the biometric match,
	// amr with face), or, with Error set, a login to refuse after a failed,
	// cancelled or expired check. Nil for journeys begun without a login.
	Login *AuthenticationResult
	// Ceremony is, after a passed recovery check, the registration ceremony
	// for the replacement passkey (finish it with FinishRegistration).
	Ceremony *Ceremony
	// ReturnURL is where an enrollment or recovery link sends the user when
	// the journey is over (the relying party's, checked when the link was
	// made); empty for logins.
	ReturnURL string
}

// Purposes of a link made by CreateEnrollment.
const (
	PurposeEnrollment = "enrollment" // register a passkey, then verify identity
	PurposeRecovery   = "recovery"   // verify identity against the reference, then replace the passkeys
)

// ResumeEnrollmentRequest starts the identity check an enrollment or
// recovery link still needs.
type ResumeEnrollmentRequest struct {
	EnrollmentToken string
	ReturnURL       string // the host's progress page, where a hosted capture comes back to
}

// BeginRecoveryRequest starts an account recovery for a user who lost their
// device: a recovery check against the reference, then a replacement passkey.
type BeginRecoveryRequest struct {
	// Login is the login the recovery was started from (the sign-in page's
	// "lost your device?"); once the replacement passkey is registered that
	// login is accepted at the level the recovery's evidence supports, or
	// refused if that falls short of what it asked for. Required.
	Login LoginRequest
	// Username identifies the account; an unknown one gets the same answer
	// shape as a known one up to the capture (see BeginRecovery).
	Username  string
	ReturnURL string // the host's progress page
}

// Approval is a login that approved RFC 9396 authorization_details with a
// passkey whose challenge committed to them (ADR 0005): everything needed to
// verify the signature again later, and nothing biometric.
type Approval struct {
	ID                   string
	UserExternalID       string
	ClientID             string
	CredentialID         []byte
	ACR                  string
	AuthorizationDetails json.RawMessage // RFC 8785 canonical form, as signed over
	DetailsHash          string          // base64url SHA-256 of AuthorizationDetails
	// The WebAuthn assertion as received (WebAuthn §6.1, §5.8.1, §6.3.3).
	AuthenticatorData []byte
	ClientDataJSON    []byte
	Signature         []byte
	CreatedAt         time.Time
}

// ApprovalVerification is the result of verifying a stored approval again.
type ApprovalVerification struct {
	Approval Approval
	Valid    bool
	// Problem says why Valid is false, for the operator; empty when valid.
	Problem string
}
