package plugin

import (
	"context"
	"net/http"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
)

// Authenticator is the ceremony service a host calls. *authenticator.Service
// implements it in-process; the gRPC client implements it across the plugin
// wire. Errors are *authenticator.Error values on both sides, so
// errors.Is(err, authenticator.ErrChallengeUnknown) works on the host.
type Authenticator interface {
	// Capabilities reports the acr ladder and what this deployment can reach.
	Capabilities(ctx context.Context) (authenticator.Capabilities, error)
	// CreateEnrollment creates (or finds) the RP's user and a single-use enrollment link secret.
	CreateEnrollment(ctx context.Context, req authenticator.CreateEnrollmentRequest) (authenticator.Enrollment, error)
	// BeginRegistration opens a registration ceremony for an enrollment link.
	BeginRegistration(ctx context.Context, req authenticator.BeginRegistrationRequest) (authenticator.Ceremony, error)
	// FinishRegistration verifies the attestation and stores the passkey.
	FinishRegistration(ctx context.Context, req authenticator.FinishRequest) (authenticator.Registration, error)
	// DecideLogin says what to do with a login request before any ceremony.
	DecideLogin(ctx context.Context, req authenticator.LoginRequest) (authenticator.LoginDecision, error)
	// BeginAuthentication opens an authentication ceremony bound to a login.
	BeginAuthentication(ctx context.Context, req authenticator.BeginAuthenticationRequest) (authenticator.Ceremony, error)
	// FinishAuthentication verifies the assertion and returns the acr/amr this
	// login earned, or, with the result's Error set, the OAuth error the host
	// must reject the bound login with.
	FinishAuthentication(ctx context.Context, req authenticator.FinishRequest) (authenticator.AuthenticationResult, error)
	// StartIdentityCheck starts an identity-verification check for a user,
	// bound to a ceremony, and returns what the user must do next (capture
	// URL or SDK token), never the reference.
	StartIdentityCheck(ctx context.Context, req authenticator.StartIdentityCheckRequest) (idvbridge.Check, error)
	// ApplyIDVWebhook verifies a provider notification over its raw body and
	// applies the outcome it reports; a bad signature is
	// authenticator.ErrInvalidArgument. Header names cross the wire in
	// canonical form.
	ApplyIDVWebhook(ctx context.Context, header http.Header, body []byte) (authenticator.IDVCheck, error)
	// RefreshIdentityCheck fetches a run's outcome from the provider (the
	// fallback when no webhook arrives) and applies it.
	RefreshIdentityCheck(ctx context.Context, provider, runID string) (authenticator.IDVCheck, error)
	// IdentityCheckStatus returns a check for the progress page, only to its
	// own user: another user's check is authenticator.ErrNotFound.
	IdentityCheckStatus(ctx context.Context, provider, runID, externalUserID string) (authenticator.IDVCheck, error)
	// ContinueIdentityCheck reports where a journey waiting on an identity
	// check (step-up, enrollment, recovery) stands, cancels it, and finishes
	// it once the check is final; see authenticator.Progress.
	ContinueIdentityCheck(ctx context.Context, req authenticator.ContinueRequest) (authenticator.Progress, error)
	// ResumeEnrollment starts the identity check an enrollment or recovery
	// link still needs; a zero PendingCheck means a passkey must be
	// registered first.
	ResumeEnrollment(ctx context.Context, req authenticator.ResumeEnrollmentRequest) (authenticator.PendingCheck, error)
	// BeginRecovery starts an account recovery from a login ("lost your device?").
	BeginRecovery(ctx context.Context, req authenticator.BeginRecoveryRequest) (authenticator.PendingCheck, error)
	// VerifyApproval verifies a stored transaction approval again.
	VerifyApproval(ctx context.Context, id string) (authenticator.ApprovalVerification, error)
}

// Admin is the operator service for the dashboard and the CLI.
type Admin interface {
	// ListUsers pages through users.
	ListUsers(ctx context.Context, q authenticator.UserQuery) ([]authenticator.User, error)
	// CountUsersByStatus counts the users in each status in one store
	// query, for the dashboard overview; a status no user is in is absent.
	CountUsersByStatus(ctx context.Context) (map[authenticator.UserStatus]int, error)
	// GetUser returns a user with credentials and recent events, auditing
	// the read without an operator (authenticator.AuditActorUnattributed).
	// It is kept for hosts built before ReadUser; use ReadUser.
	GetUser(ctx context.Context, externalID string) (authenticator.UserDetail, error)
	// ReadUser is GetUser with the operator's sub, recorded as the audit
	// record's actor (DESIGN.md §7.7). This is the read a dashboard or the
	// CLI makes.
	ReadUser(ctx context.Context, req authenticator.ReadUserRequest) (authenticator.UserDetail, error)
	// RevokeCredential revokes a passkey; later sign-ins with it fail closed.
	RevokeCredential(ctx context.Context, req authenticator.RevokeCredentialRequest) (authenticator.Credential, error)
	// SuspendCredential locks an active passkey, reversibly; it fails
	// closed like a revoked one until UnsuspendCredential.
	SuspendCredential(ctx context.Context, req authenticator.CredentialActionRequest) (authenticator.Credential, error)
	// UnsuspendCredential makes a suspended, or after review a flagged,
	// passkey active again.
	UnsuspendCredential(ctx context.Context, req authenticator.CredentialActionRequest) (authenticator.Credential, error)
	// RenameCredential sets a passkey's user-visible name.
	RenameCredential(ctx context.Context, req authenticator.RenameCredentialRequest) (authenticator.Credential, error)
	// SuspendUser suspends a user: every journey fails closed.
	SuspendUser(ctx context.Context, req authenticator.UserActionRequest) (authenticator.User, error)
	// UnsuspendUser returns a suspended user to the status they had before.
	UnsuspendUser(ctx context.Context, req authenticator.UserActionRequest) (authenticator.User, error)
	// RequireReverification revokes an enrolled user's biometric
	// references and returns the user to biometric_pending, so that a new
	// enrollment link's identity check must pass before the next step-up.
	RequireReverification(ctx context.Context, req authenticator.UserActionRequest) (authenticator.User, error)
	// VerifyAudit checks the audit chain against any anchors given.
	VerifyAudit(ctx context.Context, anchors ...authenticator.AuditAnchor) (authenticator.AuditVerification, error)
	// ListAudit returns the audit records after record after, at most
	// limit: an export, a page at a time.
	ListAudit(ctx context.Context, after int64, limit int) ([]authenticator.AuditRecord, error)
	// ActivityByDay counts sign-ins, step-ups, failures and recoveries per
	// UTC day over the last days days (1..90, 0 meaning 14), for the
	// dashboard overview.
	ActivityByDay(ctx context.Context, days int) (authenticator.Activity, error)
	// RecordOperatorAction audits an operator action the host performed
	// itself, which the plugin cannot see (authenticator.AuditSessionsRevoke,
	// AuditExport, AuditAccessRefused), and returns the record as stored. A
	// record naming a user targets the user's audit pseudonym; a
	// sessions.revoke that succeeded also appends the user's
	// sessions.revoked event.
	RecordOperatorAction(ctx context.Context, req authenticator.OperatorActionRequest) (authenticator.AuditRecord, error)
	// ListDeadLetters returns the dead-lettered webhook deliveries after
	// delivery after, at most limit (1..500; 0 means 50), each with its
	// event.
	ListDeadLetters(ctx context.Context, after int64, limit int) ([]authenticator.Delivery, error)
	// RedeliverEvent moves a dead letter back to pending on an operator's
	// behalf, audited, and returns the delivery as it now is: an unknown
	// delivery is authenticator.ErrNotFound, one that is not dead
	// authenticator.ErrConflict.
	RedeliverEvent(ctx context.Context, req authenticator.RedeliverRequest) (authenticator.Delivery, error)
	// EraseUser erases a user: their biometric references at the provider,
	// then passkeys, references, checks, approvals and events here, audited
	// under the user's pseudonym, which the audit log keeps. A reason is
	// required; an unknown user is authenticator.ErrNotFound.
	EraseUser(ctx context.Context, req authenticator.UserActionRequest) (authenticator.Erasure, error)
	// DeliveryStats reports the webhook outbox's health for the provider's
	// metrics: how many deliveries are pending and dead, and when the
	// oldest pending one was queued (the zero time when none is). It
	// returns counts only, never an id.
	DeliveryStats(ctx context.Context) (authenticator.DeliveryStats, error)
}

// Services is what one plugin process serves.
type Services interface {
	Authenticator
	Admin
}

// *authenticator.Service is the in-process implementation of the contract.
var _ Services = (*authenticator.Service)(nil)
