package convert

import (
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/plugin/internal/pb"
)

// ToProtoPendingCheck converts authenticator.PendingCheck.
func ToProtoPendingCheck(c authenticator.PendingCheck) *pb.PendingCheck {
	return &pb.PendingCheck{Token: c.Token, Journey: string(c.Journey), Provider: c.Provider, RunId: c.RunID,
		CaptureUrl: c.CaptureURL, SdkToken: c.SDKToken, ExpiresAt: toTimestamp(c.ExpiresAt)}
}

// FromProtoPendingCheck converts a PendingCheck message.
func FromProtoPendingCheck(p *pb.PendingCheck) authenticator.PendingCheck {
	if p == nil {
		return authenticator.PendingCheck{}
	}
	return authenticator.PendingCheck{Token: p.Token, Journey: idvbridge.Journey(p.Journey), Provider: p.Provider, RunID: p.RunId,
		CaptureURL: p.CaptureUrl, SDKToken: p.SdkToken, ExpiresAt: fromTimestamp(p.ExpiresAt)}
}

// ToProtoContinueRequest converts authenticator.ContinueRequest.
func ToProtoContinueRequest(r authenticator.ContinueRequest) *pb.ContinueRequest {
	return &pb.ContinueRequest{Token: r.Token, Cancel: r.Cancel}
}

// FromProtoContinueRequest converts a ContinueRequest message.
func FromProtoContinueRequest(p *pb.ContinueRequest) authenticator.ContinueRequest {
	if p == nil {
		return authenticator.ContinueRequest{}
	}
	return authenticator.ContinueRequest{Token: p.Token, Cancel: p.Cancel}
}

// ToProtoProgress converts authenticator.Progress.
func ToProtoProgress(g authenticator.Progress) *pb.Progress {
	return &pb.Progress{
		Journey: string(g.Journey), Status: string(g.Status), Reason: g.Reason, Message: g.Message,
		Pending:   toOptional(g.Pending, ToProtoPendingCheck),
		Login:     toOptional(g.Login, ToProtoAuthenticationResult),
		Ceremony:  toOptional(g.Ceremony, ToProtoCeremony),
		ReturnUrl: g.ReturnURL,
	}
}

// FromProtoProgress converts a Progress message.
func FromProtoProgress(p *pb.Progress) authenticator.Progress {
	if p == nil {
		return authenticator.Progress{}
	}
	return authenticator.Progress{
		Journey: idvbridge.Journey(p.Journey), Status: authenticator.CheckStatus(p.Status), Reason: p.Reason, Message: p.Message,
		Pending:   fromOptional(p.Pending, FromProtoPendingCheck),
		Login:     fromOptional(p.Login, FromProtoAuthenticationResult),
		Ceremony:  fromOptional(p.Ceremony, FromProtoCeremony),
		ReturnURL: p.ReturnUrl,
	}
}

// ToProtoResumeEnrollmentRequest converts authenticator.ResumeEnrollmentRequest.
func ToProtoResumeEnrollmentRequest(r authenticator.ResumeEnrollmentRequest) *pb.ResumeEnrollmentRequest {
	return &pb.ResumeEnrollmentRequest{EnrollmentToken: r.EnrollmentToken, ReturnUrl: r.ReturnURL}
}

// FromProtoResumeEnrollmentRequest converts a ResumeEnrollmentRequest message.
func FromProtoResumeEnrollmentRequest(p *pb.ResumeEnrollmentRequest) authenticator.ResumeEnrollmentRequest {
	if p == nil {
		return authenticator.ResumeEnrollmentRequest{}
	}
	return authenticator.ResumeEnrollmentRequest{EnrollmentToken: p.EnrollmentToken, ReturnURL: p.ReturnUrl}
}

// ToProtoBeginRecoveryRequest converts authenticator.BeginRecoveryRequest.
func ToProtoBeginRecoveryRequest(r authenticator.BeginRecoveryRequest) *pb.BeginRecoveryRequest {
	return &pb.BeginRecoveryRequest{Login: ToProtoLoginRequest(r.Login), Username: r.Username, ReturnUrl: r.ReturnURL}
}

// FromProtoBeginRecoveryRequest converts a BeginRecoveryRequest message.
func FromProtoBeginRecoveryRequest(p *pb.BeginRecoveryRequest) authenticator.BeginRecoveryRequest {
	if p == nil {
		return authenticator.BeginRecoveryRequest{}
	}
	return authenticator.BeginRecoveryRequest{Login: FromProtoLoginRequest(p.Login), Username: p.Username, ReturnURL: p.ReturnUrl}
}

// ToProtoVerifyApprovalRequest wraps VerifyApproval's argument.
func ToProtoVerifyApprovalRequest(id string) *pb.VerifyApprovalRequest {
	return &pb.VerifyApprovalRequest{Id: id}
}

// FromProtoVerifyApprovalRequest unwraps VerifyApproval's argument.
func FromProtoVerifyApprovalRequest(p *pb.VerifyApprovalRequest) string {
	return p.GetId()
}

// ToProtoApproval converts authenticator.Approval.
func ToProtoApproval(a authenticator.Approval) *pb.Approval {
	return &pb.Approval{
		Id: a.ID, UserExternalId: a.UserExternalID, ClientId: a.ClientID, CredentialId: a.CredentialID, Acr: a.ACR,
		AuthorizationDetails: a.AuthorizationDetails, DetailsHash: a.DetailsHash,
		AuthenticatorData: a.AuthenticatorData, ClientDataJson: a.ClientDataJSON, Signature: a.Signature,
		CreatedAt: toTimestamp(a.CreatedAt),
	}
}

// FromProtoApproval converts an Approval message.
func FromProtoApproval(p *pb.Approval) authenticator.Approval {
	if p == nil {
		return authenticator.Approval{}
	}
	return authenticator.Approval{
		ID: p.Id, UserExternalID: p.UserExternalId, ClientID: p.ClientId, CredentialID: p.CredentialId, ACR: p.Acr,
		AuthorizationDetails: p.AuthorizationDetails, DetailsHash: p.DetailsHash,
		AuthenticatorData: p.AuthenticatorData, ClientDataJSON: p.ClientDataJson, Signature: p.Signature,
		CreatedAt: fromTimestamp(p.CreatedAt),
	}
}

// ToProtoApprovalVerification converts authenticator.ApprovalVerification.
func ToProtoApprovalVerification(v authenticator.ApprovalVerification) *pb.ApprovalVerification {
	return &pb.ApprovalVerification{Approval: ToProtoApproval(v.Approval), Valid: v.Valid, Problem: v.Problem}
}

// FromProtoApprovalVerification converts an ApprovalVerification message.
func FromProtoApprovalVerification(p *pb.ApprovalVerification) authenticator.ApprovalVerification {
	if p == nil {
		return authenticator.ApprovalVerification{}
	}
	return authenticator.ApprovalVerification{Approval: FromProtoApproval(p.Approval), Valid: p.Valid, Problem: p.Problem}
}
