package plugin_test

import (
	"context"
	"net/http"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/plugin"
)

// fakeServices is a Services whose methods call the function fields; a test
// sets the ones it calls.
type fakeServices struct {
	CapabilitiesFunc          func(context.Context) (authenticator.Capabilities, error)
	CreateEnrollmentFunc      func(context.Context, authenticator.CreateEnrollmentRequest) (authenticator.Enrollment, error)
	BeginRegistrationFunc     func(context.Context, authenticator.BeginRegistrationRequest) (authenticator.Ceremony, error)
	FinishRegistrationFunc    func(context.Context, authenticator.FinishRequest) (authenticator.Registration, error)
	DecideLoginFunc           func(context.Context, authenticator.LoginRequest) (authenticator.LoginDecision, error)
	BeginAuthenticationFunc   func(context.Context, authenticator.BeginAuthenticationRequest) (authenticator.Ceremony, error)
	FinishAuthenticationFunc  func(context.Context, authenticator.FinishRequest) (authenticator.AuthenticationResult, error)
	StartIdentityCheckFunc    func(context.Context, authenticator.StartIdentityCheckRequest) (idvbridge.Check, error)
	ApplyIDVWebhookFunc       func(context.Context, http.Header, []byte) (authenticator.IDVCheck, error)
	RefreshIdentityCheckFunc  func(context.Context, string, string) (authenticator.IDVCheck, error)
	IdentityCheckStatusFunc   func(context.Context, string, string, string) (authenticator.IDVCheck, error)
	ContinueIdentityCheckFunc func(context.Context, authenticator.ContinueRequest) (authenticator.Progress, error)
	ResumeEnrollmentFunc      func(context.Context, authenticator.ResumeEnrollmentRequest) (authenticator.PendingCheck, error)
	BeginRecoveryFunc         func(context.Context, authenticator.BeginRecoveryRequest) (authenticator.PendingCheck, error)
	VerifyApprovalFunc        func(context.Context, string) (authenticator.ApprovalVerification, error)
	ListUsersFunc             func(context.Context, authenticator.UserQuery) ([]authenticator.User, error)
	CountUsersByStatusFunc    func(context.Context) (map[authenticator.UserStatus]int, error)
	GetUserFunc               func(context.Context, string) (authenticator.UserDetail, error)
	RevokeCredentialFunc      func(context.Context, authenticator.RevokeCredentialRequest) (authenticator.Credential, error)
	ReadUserFunc              func(context.Context, authenticator.ReadUserRequest) (authenticator.UserDetail, error)
	SuspendCredentialFunc     func(context.Context, authenticator.CredentialActionRequest) (authenticator.Credential, error)
	UnsuspendCredentialFunc   func(context.Context, authenticator.CredentialActionRequest) (authenticator.Credential, error)
	RenameCredentialFunc      func(context.Context, authenticator.RenameCredentialRequest) (authenticator.Credential, error)
	SuspendUserFunc           func(context.Context, authenticator.UserActionRequest) (authenticator.User, error)
	UnsuspendUserFunc         func(context.Context, authenticator.UserActionRequest) (authenticator.User, error)
	RequireReverificationFunc func(context.Context, authenticator.UserActionRequest) (authenticator.User, error)
	VerifyAuditFunc           func(context.Context, []authenticator.AuditAnchor) (authenticator.AuditVerification, error)
	ListAuditFunc             func(context.Context, int64, int) ([]authenticator.AuditRecord, error)
	ActivityByDayFunc         func(context.Context, int) (authenticator.Activity, error)
	RecordOperatorActionFunc  func(context.Context, authenticator.OperatorActionRequest) (authenticator.AuditRecord, error)
	ListDeadLettersFunc       func(context.Context, int64, int) ([]authenticator.Delivery, error)
	RedeliverEventFunc        func(context.Context, authenticator.RedeliverRequest) (authenticator.Delivery, error)
	EraseUserFunc             func(context.Context, authenticator.UserActionRequest) (authenticator.Erasure, error)
	DeliveryStatsFunc         func(context.Context) (authenticator.DeliveryStats, error)
}

var _ plugin.Services = (*fakeServices)(nil)

func (f *fakeServices) Capabilities(ctx context.Context) (authenticator.Capabilities, error) {
	return f.CapabilitiesFunc(ctx)
}

func (f *fakeServices) CreateEnrollment(ctx context.Context, req authenticator.CreateEnrollmentRequest) (authenticator.Enrollment, error) {
	return f.CreateEnrollmentFunc(ctx, req)
}

func (f *fakeServices) BeginRegistration(ctx context.Context, req authenticator.BeginRegistrationRequest) (authenticator.Ceremony, error) {
	return f.BeginRegistrationFunc(ctx, req)
}

func (f *fakeServices) FinishRegistration(ctx context.Context, req authenticator.FinishRequest) (authenticator.Registration, error) {
	return f.FinishRegistrationFunc(ctx, req)
}

func (f *fakeServices) DecideLogin(ctx context.Context, req authenticator.LoginRequest) (authenticator.LoginDecision, error) {
	return f.DecideLoginFunc(ctx, req)
}

func (f *fakeServices) BeginAuthentication(ctx context.Context, req authenticator.BeginAuthenticationRequest) (authenticator.Ceremony, error) {
	return f.BeginAuthenticationFunc(ctx, req)
}

func (f *fakeServices) FinishAuthentication(ctx context.Context, req authenticator.FinishRequest) (authenticator.AuthenticationResult, error) {
	return f.FinishAuthenticationFunc(ctx, req)
}

func (f *fakeServices) StartIdentityCheck(ctx context.Context, req authenticator.StartIdentityCheckRequest) (idvbridge.Check, error) {
	return f.StartIdentityCheckFunc(ctx, req)
}

func (f *fakeServices) ApplyIDVWebhook(ctx context.Context, header http.Header, body []byte) (authenticator.IDVCheck, error) {
	return f.ApplyIDVWebhookFunc(ctx, header, body)
}

func (f *fakeServices) RefreshIdentityCheck(ctx context.Context, provider, runID string) (authenticator.IDVCheck, error) {
	return f.RefreshIdentityCheckFunc(ctx, provider, runID)
}

func (f *fakeServices) IdentityCheckStatus(ctx context.Context, provider, runID, externalUserID string) (authenticator.IDVCheck, error) {
	return f.IdentityCheckStatusFunc(ctx, provider, runID, externalUserID)
}

func (f *fakeServices) ListUsers(ctx context.Context, q authenticator.UserQuery) ([]authenticator.User, error) {
	return f.ListUsersFunc(ctx, q)
}

func (f *fakeServices) CountUsersByStatus(ctx context.Context) (map[authenticator.UserStatus]int, error) {
	return f.CountUsersByStatusFunc(ctx)
}

func (f *fakeServices) GetUser(ctx context.Context, externalID string) (authenticator.UserDetail, error) {
	return f.GetUserFunc(ctx, externalID)
}

func (f *fakeServices) RevokeCredential(ctx context.Context, req authenticator.RevokeCredentialRequest) (authenticator.Credential, error) {
	return f.RevokeCredentialFunc(ctx, req)
}

func (f *fakeServices) ContinueIdentityCheck(ctx context.Context, req authenticator.ContinueRequest) (authenticator.Progress, error) {
	return f.ContinueIdentityCheckFunc(ctx, req)
}

func (f *fakeServices) ResumeEnrollment(ctx context.Context, req authenticator.ResumeEnrollmentRequest) (authenticator.PendingCheck, error) {
	return f.ResumeEnrollmentFunc(ctx, req)
}

func (f *fakeServices) BeginRecovery(ctx context.Context, req authenticator.BeginRecoveryRequest) (authenticator.PendingCheck, error) {
	return f.BeginRecoveryFunc(ctx, req)
}

func (f *fakeServices) VerifyApproval(ctx context.Context, id string) (authenticator.ApprovalVerification, error) {
	return f.VerifyApprovalFunc(ctx, id)
}

func (f *fakeServices) ReadUser(ctx context.Context, req authenticator.ReadUserRequest) (authenticator.UserDetail, error) {
	return f.ReadUserFunc(ctx, req)
}

func (f *fakeServices) SuspendCredential(ctx context.Context, req authenticator.CredentialActionRequest) (authenticator.Credential, error) {
	return f.SuspendCredentialFunc(ctx, req)
}

func (f *fakeServices) UnsuspendCredential(ctx context.Context, req authenticator.CredentialActionRequest) (authenticator.Credential, error) {
	return f.UnsuspendCredentialFunc(ctx, req)
}

func (f *fakeServices) RenameCredential(ctx context.Context, req authenticator.RenameCredentialRequest) (authenticator.Credential, error) {
	return f.RenameCredentialFunc(ctx, req)
}

func (f *fakeServices) SuspendUser(ctx context.Context, req authenticator.UserActionRequest) (authenticator.User, error) {
	return f.SuspendUserFunc(ctx, req)
}

func (f *fakeServices) UnsuspendUser(ctx context.Context, req authenticator.UserActionRequest) (authenticator.User, error) {
	return f.UnsuspendUserFunc(ctx, req)
}

func (f *fakeServices) RequireReverification(ctx context.Context, req authenticator.UserActionRequest) (authenticator.User, error) {
	return f.RequireReverificationFunc(ctx, req)
}

// VerifyAudit passes the anchors to VerifyAuditFunc as a slice, so that
// roundTrip can compare them.
func (f *fakeServices) VerifyAudit(ctx context.Context, anchors ...authenticator.AuditAnchor) (authenticator.AuditVerification, error) {
	return f.VerifyAuditFunc(ctx, anchors)
}

func (f *fakeServices) ListAudit(ctx context.Context, after int64, limit int) ([]authenticator.AuditRecord, error) {
	return f.ListAuditFunc(ctx, after, limit)
}

func (f *fakeServices) ActivityByDay(ctx context.Context, days int) (authenticator.Activity, error) {
	return f.ActivityByDayFunc(ctx, days)
}

func (f *fakeServices) RecordOperatorAction(ctx context.Context, req authenticator.OperatorActionRequest) (authenticator.AuditRecord, error) {
	return f.RecordOperatorActionFunc(ctx, req)
}

func (f *fakeServices) ListDeadLetters(ctx context.Context, after int64, limit int) ([]authenticator.Delivery, error) {
	return f.ListDeadLettersFunc(ctx, after, limit)
}

func (f *fakeServices) RedeliverEvent(ctx context.Context, req authenticator.RedeliverRequest) (authenticator.Delivery, error) {
	return f.RedeliverEventFunc(ctx, req)
}

func (f *fakeServices) EraseUser(ctx context.Context, req authenticator.UserActionRequest) (authenticator.Erasure, error) {
	return f.EraseUserFunc(ctx, req)
}

func (f *fakeServices) DeliveryStats(ctx context.Context) (authenticator.DeliveryStats, error) {
	return f.DeliveryStatsFunc(ctx)
}
