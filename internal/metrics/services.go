package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/plugin"
)

// services measures every call of plugin.Services. It embeds nothing, so
// a method added to plugin.Authenticator or plugin.Admin fails to compile
// here until it is instrumented (and TestServicesRecordsEveryMethod checks
// each method records under its own name).
type services struct {
	next plugin.Services
	m    *Metrics
}

var _ plugin.Services = (*services)(nil)

// Services returns next with every call counted in bp_plugin_calls_total
// and timed in bp_plugin_call_duration_seconds, labelled with the method
// name and the call's authenticator error code. Results and errors pass
// through unchanged.
func (m *Metrics) Services(next plugin.Services) plugin.Services {
	return &services{next: next, m: m}
}

// observeCall records one call that started at start; it is deferred, so
// that it sees the call's error and, when the call panicked, records
// CodePanic and panics again with the same value.
func (m *Metrics) observeCall(method string, start time.Time, err *error) {
	code := CodeOK
	if r := recover(); r != nil {
		m.record(method, CodePanic, start)
		panic(r)
	}
	if *err != nil {
		code = string(authenticator.CodeOf(*err))
	}
	m.record(method, code, start)
}

func (m *Metrics) record(method, code string, start time.Time) {
	m.calls.WithLabelValues(method, code).Inc()
	m.callTime.WithLabelValues(method).Observe(m.now().Sub(start).Seconds())
}

// Capabilities calls the plugin's Capabilities and records it.
func (s *services) Capabilities(ctx context.Context) (_ authenticator.Capabilities, err error) {
	defer s.m.observeCall("Capabilities", s.m.now(), &err)
	return s.next.Capabilities(ctx)
}

// CreateEnrollment calls the plugin's CreateEnrollment and records it.
func (s *services) CreateEnrollment(ctx context.Context, req authenticator.CreateEnrollmentRequest) (_ authenticator.Enrollment, err error) {
	defer s.m.observeCall("CreateEnrollment", s.m.now(), &err)
	return s.next.CreateEnrollment(ctx, req)
}

// BeginRegistration calls the plugin's BeginRegistration and records it.
func (s *services) BeginRegistration(ctx context.Context, req authenticator.BeginRegistrationRequest) (_ authenticator.Ceremony, err error) {
	defer s.m.observeCall("BeginRegistration", s.m.now(), &err)
	return s.next.BeginRegistration(ctx, req)
}

// FinishRegistration calls the plugin's FinishRegistration and records it.
func (s *services) FinishRegistration(ctx context.Context, req authenticator.FinishRequest) (_ authenticator.Registration, err error) {
	defer s.m.observeCall("FinishRegistration", s.m.now(), &err)
	return s.next.FinishRegistration(ctx, req)
}

// DecideLogin calls the plugin's DecideLogin and records it.
func (s *services) DecideLogin(ctx context.Context, req authenticator.LoginRequest) (_ authenticator.LoginDecision, err error) {
	defer s.m.observeCall("DecideLogin", s.m.now(), &err)
	return s.next.DecideLogin(ctx, req)
}

// BeginAuthentication calls the plugin's BeginAuthentication and records it.
func (s *services) BeginAuthentication(ctx context.Context, req authenticator.BeginAuthenticationRequest) (_ authenticator.Ceremony, err error) {
	defer s.m.observeCall("BeginAuthentication", s.m.now(), &err)
	return s.next.BeginAuthentication(ctx, req)
}

// FinishAuthentication calls the plugin's FinishAuthentication and records it.
func (s *services) FinishAuthentication(ctx context.Context, req authenticator.FinishRequest) (_ authenticator.AuthenticationResult, err error) {
	defer s.m.observeCall("FinishAuthentication", s.m.now(), &err)
	return s.next.FinishAuthentication(ctx, req)
}

// StartIdentityCheck calls the plugin's StartIdentityCheck and records it.
func (s *services) StartIdentityCheck(ctx context.Context, req authenticator.StartIdentityCheckRequest) (_ idvbridge.Check, err error) {
	defer s.m.observeCall("StartIdentityCheck", s.m.now(), &err)
	return s.next.StartIdentityCheck(ctx, req)
}

// ApplyIDVWebhook calls the plugin's ApplyIDVWebhook and records it.
func (s *services) ApplyIDVWebhook(ctx context.Context, header http.Header, body []byte) (_ authenticator.IDVCheck, err error) {
	defer s.m.observeCall("ApplyIDVWebhook", s.m.now(), &err)
	return s.next.ApplyIDVWebhook(ctx, header, body)
}

// RefreshIdentityCheck calls the plugin's RefreshIdentityCheck and records it.
func (s *services) RefreshIdentityCheck(ctx context.Context, provider, runID string) (_ authenticator.IDVCheck, err error) {
	defer s.m.observeCall("RefreshIdentityCheck", s.m.now(), &err)
	return s.next.RefreshIdentityCheck(ctx, provider, runID)
}

// IdentityCheckStatus calls the plugin's IdentityCheckStatus and records it.
func (s *services) IdentityCheckStatus(ctx context.Context, provider, runID, externalUserID string) (_ authenticator.IDVCheck, err error) {
	defer s.m.observeCall("IdentityCheckStatus", s.m.now(), &err)
	return s.next.IdentityCheckStatus(ctx, provider, runID, externalUserID)
}

// ContinueIdentityCheck calls the plugin's ContinueIdentityCheck and records it.
func (s *services) ContinueIdentityCheck(ctx context.Context, req authenticator.ContinueRequest) (_ authenticator.Progress, err error) {
	defer s.m.observeCall("ContinueIdentityCheck", s.m.now(), &err)
	return s.next.ContinueIdentityCheck(ctx, req)
}

// ResumeEnrollment calls the plugin's ResumeEnrollment and records it.
func (s *services) ResumeEnrollment(ctx context.Context, req authenticator.ResumeEnrollmentRequest) (_ authenticator.PendingCheck, err error) {
	defer s.m.observeCall("ResumeEnrollment", s.m.now(), &err)
	return s.next.ResumeEnrollment(ctx, req)
}

// BeginRecovery calls the plugin's BeginRecovery and records it.
func (s *services) BeginRecovery(ctx context.Context, req authenticator.BeginRecoveryRequest) (_ authenticator.PendingCheck, err error) {
	defer s.m.observeCall("BeginRecovery", s.m.now(), &err)
	return s.next.BeginRecovery(ctx, req)
}

// VerifyApproval calls the plugin's VerifyApproval and records it.
func (s *services) VerifyApproval(ctx context.Context, id string) (_ authenticator.ApprovalVerification, err error) {
	defer s.m.observeCall("VerifyApproval", s.m.now(), &err)
	return s.next.VerifyApproval(ctx, id)
}

// ListUsers calls the plugin's ListUsers and records it.
func (s *services) ListUsers(ctx context.Context, q authenticator.UserQuery) (_ []authenticator.User, err error) {
	defer s.m.observeCall("ListUsers", s.m.now(), &err)
	return s.next.ListUsers(ctx, q)
}

// CountUsersByStatus calls the plugin's CountUsersByStatus and records it.
func (s *services) CountUsersByStatus(ctx context.Context) (_ map[authenticator.UserStatus]int, err error) {
	defer s.m.observeCall("CountUsersByStatus", s.m.now(), &err)
	return s.next.CountUsersByStatus(ctx)
}

// GetUser calls the plugin's GetUser and records it.
func (s *services) GetUser(ctx context.Context, externalID string) (_ authenticator.UserDetail, err error) {
	defer s.m.observeCall("GetUser", s.m.now(), &err)
	return s.next.GetUser(ctx, externalID)
}

// ReadUser calls the plugin's ReadUser and records it.
func (s *services) ReadUser(ctx context.Context, req authenticator.ReadUserRequest) (_ authenticator.UserDetail, err error) {
	defer s.m.observeCall("ReadUser", s.m.now(), &err)
	return s.next.ReadUser(ctx, req)
}

// RevokeCredential calls the plugin's RevokeCredential and records it.
func (s *services) RevokeCredential(ctx context.Context, req authenticator.RevokeCredentialRequest) (_ authenticator.Credential, err error) {
	defer s.m.observeCall("RevokeCredential", s.m.now(), &err)
	return s.next.RevokeCredential(ctx, req)
}

// SuspendCredential calls the plugin's SuspendCredential and records it.
func (s *services) SuspendCredential(ctx context.Context, req authenticator.CredentialActionRequest) (_ authenticator.Credential, err error) {
	defer s.m.observeCall("SuspendCredential", s.m.now(), &err)
	return s.next.SuspendCredential(ctx, req)
}

// UnsuspendCredential calls the plugin's UnsuspendCredential and records it.
func (s *services) UnsuspendCredential(ctx context.Context, req authenticator.CredentialActionRequest) (_ authenticator.Credential, err error) {
	defer s.m.observeCall("UnsuspendCredential", s.m.now(), &err)
	return s.next.UnsuspendCredential(ctx, req)
}

// RenameCredential calls the plugin's RenameCredential and records it.
func (s *services) RenameCredential(ctx context.Context, req authenticator.RenameCredentialRequest) (_ authenticator.Credential, err error) {
	defer s.m.observeCall("RenameCredential", s.m.now(), &err)
	return s.next.RenameCredential(ctx, req)
}

// SuspendUser calls the plugin's SuspendUser and records it.
func (s *services) SuspendUser(ctx context.Context, req authenticator.UserActionRequest) (_ authenticator.User, err error) {
	defer s.m.observeCall("SuspendUser", s.m.now(), &err)
	return s.next.SuspendUser(ctx, req)
}

// UnsuspendUser calls the plugin's UnsuspendUser and records it.
func (s *services) UnsuspendUser(ctx context.Context, req authenticator.UserActionRequest) (_ authenticator.User, err error) {
	defer s.m.observeCall("UnsuspendUser", s.m.now(), &err)
	return s.next.UnsuspendUser(ctx, req)
}

// RequireReverification calls the plugin's RequireReverification and records it.
func (s *services) RequireReverification(ctx context.Context, req authenticator.UserActionRequest) (_ authenticator.User, err error) {
	defer s.m.observeCall("RequireReverification", s.m.now(), &err)
	return s.next.RequireReverification(ctx, req)
}

// VerifyAudit calls the plugin's VerifyAudit and records it.
func (s *services) VerifyAudit(ctx context.Context, anchors ...authenticator.AuditAnchor) (_ authenticator.AuditVerification, err error) {
	defer s.m.observeCall("VerifyAudit", s.m.now(), &err)
	return s.next.VerifyAudit(ctx, anchors...)
}

// ListAudit calls the plugin's ListAudit and records it.
func (s *services) ListAudit(ctx context.Context, after int64, limit int) (_ []authenticator.AuditRecord, err error) {
	defer s.m.observeCall("ListAudit", s.m.now(), &err)
	return s.next.ListAudit(ctx, after, limit)
}

// ActivityByDay calls the plugin's ActivityByDay and records it.
func (s *services) ActivityByDay(ctx context.Context, days int) (_ authenticator.Activity, err error) {
	defer s.m.observeCall("ActivityByDay", s.m.now(), &err)
	return s.next.ActivityByDay(ctx, days)
}

// RecordOperatorAction calls the plugin's RecordOperatorAction and records it.
func (s *services) RecordOperatorAction(ctx context.Context, req authenticator.OperatorActionRequest) (_ authenticator.AuditRecord, err error) {
	defer s.m.observeCall("RecordOperatorAction", s.m.now(), &err)
	return s.next.RecordOperatorAction(ctx, req)
}

// ListDeadLetters calls the plugin's ListDeadLetters and records it.
func (s *services) ListDeadLetters(ctx context.Context, after int64, limit int) (_ []authenticator.Delivery, err error) {
	defer s.m.observeCall("ListDeadLetters", s.m.now(), &err)
	return s.next.ListDeadLetters(ctx, after, limit)
}

// RedeliverEvent calls the plugin's RedeliverEvent and records it.
func (s *services) RedeliverEvent(ctx context.Context, req authenticator.RedeliverRequest) (_ authenticator.Delivery, err error) {
	defer s.m.observeCall("RedeliverEvent", s.m.now(), &err)
	return s.next.RedeliverEvent(ctx, req)
}

// EraseUser calls the plugin's EraseUser and records it.
func (s *services) EraseUser(ctx context.Context, req authenticator.UserActionRequest) (_ authenticator.Erasure, err error) {
	defer s.m.observeCall("EraseUser", s.m.now(), &err)
	return s.next.EraseUser(ctx, req)
}

// DeliveryStats calls the plugin's DeliveryStats and records it.
func (s *services) DeliveryStats(ctx context.Context) (_ authenticator.DeliveryStats, err error) {
	defer s.m.observeCall("DeliveryStats", s.m.now(), &err)
	return s.next.DeliveryStats(ctx)
}
