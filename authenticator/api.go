package authenticator

import (
	"encoding/json"
	"time"

	"github.com/biometric-passkey/biometric-passkey/acr"
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
}

// Registration is the result of a finished registration ceremony.
type Registration struct {
	User       User
	Credential Credential
	ReturnURL  string // from the enrollment request, possibly empty
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
