package plugin

import (
	"context"
	"net/http"

	"google.golang.org/grpc"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/plugin/internal/convert"
	"github.com/biometric-passkey/biometric-passkey/plugin/internal/pb"
)

// client is the host side of the wire: Services over a gRPC connection.
// Every error it returns is an *authenticator.Error rebuilt by
// convert.FromStatus.
type client struct {
	auth  pb.AuthenticatorClient
	admin pb.AdminClient
}

var _ Services = (*client)(nil)

func newClient(conn grpc.ClientConnInterface) *client {
	return &client{auth: pb.NewAuthenticatorClient(conn), admin: pb.NewAdminClient(conn)}
}

// invoke runs one RPC on the host side: toproto → call → fromproto.
func invoke[In, PReq, PResp, Out any](ctx context.Context, in In,
	to func(In) PReq, call func(context.Context, PReq, ...grpc.CallOption) (PResp, error), from func(PResp) Out,
) (Out, error) {
	resp, err := call(ctx, to(in))
	if err != nil {
		var zero Out
		return zero, convert.FromStatus(ctx, err)
	}
	return from(resp), nil
}

func (c *client) Capabilities(ctx context.Context) (authenticator.Capabilities, error) {
	return invoke(ctx, struct{}{}, func(struct{}) *pb.CapabilitiesRequest { return &pb.CapabilitiesRequest{} },
		c.auth.Capabilities, convert.FromProtoCapabilities)
}

func (c *client) CreateEnrollment(ctx context.Context, req authenticator.CreateEnrollmentRequest) (authenticator.Enrollment, error) {
	return invoke(ctx, req, convert.ToProtoCreateEnrollmentRequest, c.auth.CreateEnrollment, convert.FromProtoEnrollment)
}

func (c *client) BeginRegistration(ctx context.Context, req authenticator.BeginRegistrationRequest) (authenticator.Ceremony, error) {
	return invoke(ctx, req, convert.ToProtoBeginRegistrationRequest, c.auth.BeginRegistration, convert.FromProtoCeremony)
}

func (c *client) FinishRegistration(ctx context.Context, req authenticator.FinishRequest) (authenticator.Registration, error) {
	return invoke(ctx, req, convert.ToProtoFinishRequest, c.auth.FinishRegistration, convert.FromProtoRegistration)
}

func (c *client) DecideLogin(ctx context.Context, req authenticator.LoginRequest) (authenticator.LoginDecision, error) {
	return invoke(ctx, req, convert.ToProtoLoginRequest, c.auth.DecideLogin, convert.FromProtoLoginDecision)
}

func (c *client) BeginAuthentication(ctx context.Context, req authenticator.BeginAuthenticationRequest) (authenticator.Ceremony, error) {
	return invoke(ctx, req, convert.ToProtoBeginAuthenticationRequest, c.auth.BeginAuthentication, convert.FromProtoCeremony)
}

func (c *client) FinishAuthentication(ctx context.Context, req authenticator.FinishRequest) (authenticator.AuthenticationResult, error) {
	return invoke(ctx, req, convert.ToProtoFinishRequest, c.auth.FinishAuthentication, convert.FromProtoAuthenticationResult)
}

func (c *client) StartIdentityCheck(ctx context.Context, req authenticator.StartIdentityCheckRequest) (idvbridge.Check, error) {
	return invoke(ctx, req, convert.ToProtoStartIdentityCheckRequest, c.auth.StartIdentityCheck, convert.FromProtoIdentityCheck)
}

func (c *client) ApplyIDVWebhook(ctx context.Context, header http.Header, body []byte) (authenticator.IDVCheck, error) {
	return invoke(ctx, convert.IDVWebhook{Header: header, Body: body}, convert.ToProtoApplyIDVWebhookRequest,
		c.auth.ApplyIDVWebhook, convert.FromProtoIDVCheck)
}

func (c *client) RefreshIdentityCheck(ctx context.Context, provider, runID string) (authenticator.IDVCheck, error) {
	return invoke(ctx, convert.CheckRun{Provider: provider, RunID: runID}, convert.ToProtoRefreshIdentityCheckRequest,
		c.auth.RefreshIdentityCheck, convert.FromProtoIDVCheck)
}

func (c *client) IdentityCheckStatus(ctx context.Context, provider, runID, externalUserID string) (authenticator.IDVCheck, error) {
	return invoke(ctx, convert.CheckStatusQuery{Provider: provider, RunID: runID, ExternalUserID: externalUserID},
		convert.ToProtoIdentityCheckStatusRequest, c.auth.IdentityCheckStatus, convert.FromProtoIDVCheck)
}

func (c *client) ContinueIdentityCheck(ctx context.Context, req authenticator.ContinueRequest) (authenticator.Progress, error) {
	return invoke(ctx, req, convert.ToProtoContinueRequest, c.auth.ContinueIdentityCheck, convert.FromProtoProgress)
}

func (c *client) ResumeEnrollment(ctx context.Context, req authenticator.ResumeEnrollmentRequest) (authenticator.PendingCheck, error) {
	return invoke(ctx, req, convert.ToProtoResumeEnrollmentRequest, c.auth.ResumeEnrollment, convert.FromProtoPendingCheck)
}

func (c *client) BeginRecovery(ctx context.Context, req authenticator.BeginRecoveryRequest) (authenticator.PendingCheck, error) {
	return invoke(ctx, req, convert.ToProtoBeginRecoveryRequest, c.auth.BeginRecovery, convert.FromProtoPendingCheck)
}

func (c *client) VerifyApproval(ctx context.Context, id string) (authenticator.ApprovalVerification, error) {
	return invoke(ctx, id, convert.ToProtoVerifyApprovalRequest, c.auth.VerifyApproval, convert.FromProtoApprovalVerification)
}

func (c *client) ListUsers(ctx context.Context, q authenticator.UserQuery) ([]authenticator.User, error) {
	return invoke(ctx, q, convert.ToProtoUserQuery, c.admin.ListUsers, convert.FromProtoListUsersResponse)
}

func (c *client) CountUsersByStatus(ctx context.Context) (map[authenticator.UserStatus]int, error) {
	return invoke(ctx, struct{}{}, func(struct{}) *pb.CountUsersByStatusRequest { return &pb.CountUsersByStatusRequest{} },
		c.admin.CountUsersByStatus, convert.FromProtoUserStatusCounts)
}

func (c *client) GetUser(ctx context.Context, externalID string) (authenticator.UserDetail, error) {
	return invoke(ctx, externalID, convert.ToProtoGetUserRequest, c.admin.GetUser, convert.FromProtoUserDetail)
}

func (c *client) RevokeCredential(ctx context.Context, req authenticator.RevokeCredentialRequest) (authenticator.Credential, error) {
	return invoke(ctx, req, convert.ToProtoRevokeCredentialRequest, c.admin.RevokeCredential, convert.FromProtoCredential)
}

func (c *client) ReadUser(ctx context.Context, req authenticator.ReadUserRequest) (authenticator.UserDetail, error) {
	return invoke(ctx, req, convert.ToProtoReadUserRequest, c.admin.ReadUser, convert.FromProtoUserDetail)
}

func (c *client) SuspendCredential(ctx context.Context, req authenticator.CredentialActionRequest) (authenticator.Credential, error) {
	return invoke(ctx, req, convert.ToProtoCredentialActionRequest, c.admin.SuspendCredential, convert.FromProtoCredential)
}

func (c *client) UnsuspendCredential(ctx context.Context, req authenticator.CredentialActionRequest) (authenticator.Credential, error) {
	return invoke(ctx, req, convert.ToProtoCredentialActionRequest, c.admin.UnsuspendCredential, convert.FromProtoCredential)
}

func (c *client) RenameCredential(ctx context.Context, req authenticator.RenameCredentialRequest) (authenticator.Credential, error) {
	return invoke(ctx, req, convert.ToProtoRenameCredentialRequest, c.admin.RenameCredential, convert.FromProtoCredential)
}

func (c *client) SuspendUser(ctx context.Context, req authenticator.UserActionRequest) (authenticator.User, error) {
	return invoke(ctx, req, convert.ToProtoUserActionRequest, c.admin.SuspendUser, convert.FromProtoUser)
}

func (c *client) UnsuspendUser(ctx context.Context, req authenticator.UserActionRequest) (authenticator.User, error) {
	return invoke(ctx, req, convert.ToProtoUserActionRequest, c.admin.UnsuspendUser, convert.FromProtoUser)
}

func (c *client) RequireReverification(ctx context.Context, req authenticator.UserActionRequest) (authenticator.User, error) {
	return invoke(ctx, req, convert.ToProtoUserActionRequest, c.admin.RequireReverification, convert.FromProtoUser)
}

func (c *client) VerifyAudit(ctx context.Context, anchors ...authenticator.AuditAnchor) (authenticator.AuditVerification, error) {
	return invoke(ctx, anchors, convert.ToProtoVerifyAuditRequest, c.admin.VerifyAudit, convert.FromProtoAuditVerification)
}

func (c *client) ListAudit(ctx context.Context, after int64, limit int) ([]authenticator.AuditRecord, error) {
	return invoke(ctx, convert.Page{After: after, Limit: limit}, convert.ToProtoListAuditRequest,
		c.admin.ListAudit, convert.FromProtoListAuditResponse)
}

func (c *client) ActivityByDay(ctx context.Context, days int) (authenticator.Activity, error) {
	return invoke(ctx, days, convert.ToProtoActivityByDayRequest, c.admin.ActivityByDay, convert.FromProtoActivity)
}

func (c *client) RecordOperatorAction(ctx context.Context, req authenticator.OperatorActionRequest) (authenticator.AuditRecord, error) {
	return invoke(ctx, req, convert.ToProtoOperatorActionRequest, c.admin.RecordOperatorAction, convert.FromProtoAuditRecord)
}

func (c *client) ListDeadLetters(ctx context.Context, after int64, limit int) ([]authenticator.Delivery, error) {
	return invoke(ctx, convert.Page{After: after, Limit: limit}, convert.ToProtoListDeadLettersRequest,
		c.admin.ListDeadLetters, convert.FromProtoListDeadLettersResponse)
}

func (c *client) RedeliverEvent(ctx context.Context, req authenticator.RedeliverRequest) (authenticator.Delivery, error) {
	return invoke(ctx, req, convert.ToProtoRedeliverRequest, c.admin.RedeliverEvent, convert.FromProtoDelivery)
}

func (c *client) EraseUser(ctx context.Context, req authenticator.UserActionRequest) (authenticator.Erasure, error) {
	return invoke(ctx, req, convert.ToProtoUserActionRequest, c.admin.EraseUser, convert.FromProtoErasure)
}

func (c *client) DeliveryStats(ctx context.Context) (authenticator.DeliveryStats, error) {
	return invoke(ctx, struct{}{}, func(struct{}) *pb.DeliveryStatsRequest { return &pb.DeliveryStatsRequest{} },
		c.admin.DeliveryStats, convert.FromProtoDeliveryStats)
}
