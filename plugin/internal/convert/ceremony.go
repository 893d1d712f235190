package convert

import (
	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/plugin/internal/pb"
	"google.golang.org/protobuf/types/known/durationpb"
)

// ToProtoLevel converts an acr.Level.
func ToProtoLevel(l acr.Level) *pb.Level {
	return &pb.Level{Name: l.Name, Acr: l.ACR, Requires: convertSlice[string](l.Requires)}
}

// FromProtoLevel converts a Level message.
func FromProtoLevel(p *pb.Level) acr.Level {
	if p == nil {
		return acr.Level{}
	}
	return acr.Level{Name: p.Name, ACR: p.Acr, Requires: convertSlice[acr.Requirement](p.Requires)}
}

// ToProtoCapabilities converts authenticator.Capabilities.
func ToProtoCapabilities(c authenticator.Capabilities) *pb.Capabilities {
	return &pb.Capabilities{
		Levels:       mapSlice(c.Levels, ToProtoLevel),
		ReachableAcr: c.ReachableACR,
		RpId:         c.RPID,
	}
}

// FromProtoCapabilities converts a Capabilities message.
func FromProtoCapabilities(p *pb.Capabilities) authenticator.Capabilities {
	if p == nil {
		return authenticator.Capabilities{}
	}
	return authenticator.Capabilities{
		Levels:       mapSlice(p.Levels, FromProtoLevel),
		ReachableACR: p.ReachableAcr,
		RPID:         p.RpId,
	}
}

// ToProtoCreateEnrollmentRequest converts authenticator.CreateEnrollmentRequest.
func ToProtoCreateEnrollmentRequest(r authenticator.CreateEnrollmentRequest) *pb.CreateEnrollmentRequest {
	return &pb.CreateEnrollmentRequest{
		ExternalUserId: r.ExternalUserID,
		Username:       r.Username,
		DisplayName:    r.DisplayName,
		ClientId:       r.ClientID,
		ReturnUrl:      r.ReturnURL,
		Purpose:        r.Purpose,
	}
}

// FromProtoCreateEnrollmentRequest converts a CreateEnrollmentRequest message.
func FromProtoCreateEnrollmentRequest(p *pb.CreateEnrollmentRequest) authenticator.CreateEnrollmentRequest {
	if p == nil {
		return authenticator.CreateEnrollmentRequest{}
	}
	return authenticator.CreateEnrollmentRequest{
		ExternalUserID: p.ExternalUserId,
		Username:       p.Username,
		DisplayName:    p.DisplayName,
		ClientID:       p.ClientId,
		ReturnURL:      p.ReturnUrl,
		Purpose:        p.Purpose,
	}
}

// ToProtoEnrollment converts authenticator.Enrollment.
func ToProtoEnrollment(e authenticator.Enrollment) *pb.Enrollment {
	return &pb.Enrollment{Token: e.Token, ExpiresAt: toTimestamp(e.ExpiresAt), User: ToProtoUser(e.User)}
}

// FromProtoEnrollment converts an Enrollment message.
func FromProtoEnrollment(p *pb.Enrollment) authenticator.Enrollment {
	if p == nil {
		return authenticator.Enrollment{}
	}
	return authenticator.Enrollment{Token: p.Token, ExpiresAt: fromTimestamp(p.ExpiresAt), User: FromProtoUser(p.User)}
}

// ToProtoBeginRegistrationRequest converts authenticator.BeginRegistrationRequest.
func ToProtoBeginRegistrationRequest(r authenticator.BeginRegistrationRequest) *pb.BeginRegistrationRequest {
	return &pb.BeginRegistrationRequest{EnrollmentToken: r.EnrollmentToken}
}

// FromProtoBeginRegistrationRequest converts a BeginRegistrationRequest message.
func FromProtoBeginRegistrationRequest(p *pb.BeginRegistrationRequest) authenticator.BeginRegistrationRequest {
	if p == nil {
		return authenticator.BeginRegistrationRequest{}
	}
	return authenticator.BeginRegistrationRequest{EnrollmentToken: p.EnrollmentToken}
}

// ToProtoCeremony converts authenticator.Ceremony; Options travel as their
// JSON bytes.
func ToProtoCeremony(c authenticator.Ceremony) *pb.Ceremony {
	return &pb.Ceremony{Id: c.ID, Options: c.Options, ExpiresAt: toTimestamp(c.ExpiresAt)}
}

// FromProtoCeremony converts a Ceremony message.
func FromProtoCeremony(p *pb.Ceremony) authenticator.Ceremony {
	if p == nil {
		return authenticator.Ceremony{}
	}
	return authenticator.Ceremony{ID: p.Id, Options: p.Options, ExpiresAt: fromTimestamp(p.ExpiresAt)}
}

// ToProtoFinishRequest converts authenticator.FinishRequest.
func ToProtoFinishRequest(r authenticator.FinishRequest) *pb.FinishRequest {
	return &pb.FinishRequest{CeremonyId: r.CeremonyID, Response: r.Response, ReturnUrl: r.ReturnURL}
}

// FromProtoFinishRequest converts a FinishRequest message.
func FromProtoFinishRequest(p *pb.FinishRequest) authenticator.FinishRequest {
	if p == nil {
		return authenticator.FinishRequest{}
	}
	return authenticator.FinishRequest{CeremonyID: p.CeremonyId, Response: p.Response, ReturnURL: p.ReturnUrl}
}

// ToProtoRegistration converts authenticator.Registration.
func ToProtoRegistration(r authenticator.Registration) *pb.Registration {
	return &pb.Registration{User: ToProtoUser(r.User), Credential: ToProtoCredential(r.Credential), ReturnUrl: r.ReturnURL,
		Pending: toOptional(r.Pending, ToProtoPendingCheck), Replaced: int64(r.Replaced),
		Login: toOptional(r.Login, ToProtoAuthenticationResult)}
}

// FromProtoRegistration converts a Registration message.
func FromProtoRegistration(p *pb.Registration) authenticator.Registration {
	if p == nil {
		return authenticator.Registration{}
	}
	return authenticator.Registration{User: FromProtoUser(p.User), Credential: FromProtoCredential(p.Credential), ReturnURL: p.ReturnUrl,
		Pending: fromOptional(p.Pending, FromProtoPendingCheck), Replaced: int(p.Replaced),
		Login: fromOptional(p.Login, FromProtoAuthenticationResult)}
}

// ToProtoLoginRequest converts authenticator.LoginRequest.
func ToProtoLoginRequest(r authenticator.LoginRequest) *pb.LoginRequest {
	return &pb.LoginRequest{
		Challenge:  r.Challenge,
		SessionId:  r.SessionID,
		ClientId:   r.ClientID,
		Skip:       r.Skip,
		Subject:    r.Subject,
		AcrValues:  r.ACRValues,
		RequestUrl: r.RequestURL,
		LoginHint:  r.LoginHint,
	}
}

// FromProtoLoginRequest converts a LoginRequest message.
func FromProtoLoginRequest(p *pb.LoginRequest) authenticator.LoginRequest {
	if p == nil {
		return authenticator.LoginRequest{}
	}
	return authenticator.LoginRequest{
		Challenge:  p.Challenge,
		SessionID:  p.SessionId,
		ClientID:   p.ClientId,
		Skip:       p.Skip,
		Subject:    p.Subject,
		ACRValues:  p.AcrValues,
		RequestURL: p.RequestUrl,
		LoginHint:  p.LoginHint,
	}
}

// ToProtoOutcome converts an acr.Outcome.
func ToProtoOutcome(o acr.Outcome) *pb.Outcome {
	return &pb.Outcome{Acr: o.ACR, Amr: o.AMR}
}

// FromProtoOutcome converts an Outcome message.
func FromProtoOutcome(p *pb.Outcome) acr.Outcome {
	if p == nil {
		return acr.Outcome{}
	}
	return acr.Outcome{ACR: p.Acr, AMR: p.Amr}
}

// ToProtoLoginDecision converts authenticator.LoginDecision.
func ToProtoLoginDecision(d authenticator.LoginDecision) *pb.LoginDecision {
	return &pb.LoginDecision{
		Action:      string(d.Action),
		Subject:     d.Subject,
		Outcome:     ToProtoOutcome(d.Outcome),
		Target:      d.Target,
		Error:       d.Error,
		Description: d.Description,
		AuthTime:    toTimestamp(d.AuthTime),
	}
}

// FromProtoLoginDecision converts a LoginDecision message.
func FromProtoLoginDecision(p *pb.LoginDecision) authenticator.LoginDecision {
	if p == nil {
		return authenticator.LoginDecision{}
	}
	return authenticator.LoginDecision{
		Action:      acr.Action(p.Action),
		Subject:     p.Subject,
		Outcome:     FromProtoOutcome(p.Outcome),
		Target:      p.Target,
		Error:       p.Error,
		Description: p.Description,
		AuthTime:    fromTimestamp(p.AuthTime),
	}
}

// ToProtoBeginAuthenticationRequest converts authenticator.BeginAuthenticationRequest.
func ToProtoBeginAuthenticationRequest(r authenticator.BeginAuthenticationRequest) *pb.BeginAuthenticationRequest {
	return &pb.BeginAuthenticationRequest{Login: ToProtoLoginRequest(r.Login), Username: r.Username}
}

// FromProtoBeginAuthenticationRequest converts a BeginAuthenticationRequest message.
func FromProtoBeginAuthenticationRequest(p *pb.BeginAuthenticationRequest) authenticator.BeginAuthenticationRequest {
	if p == nil {
		return authenticator.BeginAuthenticationRequest{}
	}
	return authenticator.BeginAuthenticationRequest{Login: FromProtoLoginRequest(p.Login), Username: p.Username}
}

// ToProtoAuthenticationResult converts authenticator.AuthenticationResult.
func ToProtoAuthenticationResult(r authenticator.AuthenticationResult) *pb.AuthenticationResult {
	return &pb.AuthenticationResult{
		LoginChallenge:       r.LoginChallenge,
		Subject:              r.Subject,
		Outcome:              ToProtoOutcome(r.Outcome),
		CredentialId:         r.CredentialID,
		AuthTime:             toTimestamp(r.AuthTime),
		RememberFor:          durationpb.New(r.RememberFor),
		Error:                r.Error,
		ErrorDescription:     r.ErrorDescription,
		Pending:              toOptional(r.Pending, ToProtoPendingCheck),
		AuthorizationDetails: r.AuthorizationDetails,
		DetailsHash:          r.DetailsHash,
		ApprovalId:           r.ApprovalID,
	}
}

// FromProtoAuthenticationResult converts an AuthenticationResult message.
func FromProtoAuthenticationResult(p *pb.AuthenticationResult) authenticator.AuthenticationResult {
	if p == nil {
		return authenticator.AuthenticationResult{}
	}
	return authenticator.AuthenticationResult{
		LoginChallenge:       p.LoginChallenge,
		Subject:              p.Subject,
		Outcome:              FromProtoOutcome(p.Outcome),
		CredentialID:         p.CredentialId,
		AuthTime:             fromTimestamp(p.AuthTime),
		RememberFor:          fromDuration(p.RememberFor),
		Error:                p.Error,
		ErrorDescription:     p.ErrorDescription,
		Pending:              fromOptional(p.Pending, FromProtoPendingCheck),
		AuthorizationDetails: p.AuthorizationDetails,
		DetailsHash:          p.DetailsHash,
		ApprovalID:           p.ApprovalId,
	}
}
