package convert

import (
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/plugin/internal/pb"
)

// ToProtoUser converts authenticator.User.
func ToProtoUser(u authenticator.User) *pb.User {
	return &pb.User{
		ExternalId:  u.ExternalID,
		Handle:      u.Handle,
		Username:    u.Username,
		DisplayName: u.DisplayName,
		Status:      string(u.Status),
		CreatedAt:   toTimestamp(u.CreatedAt),
		UpdatedAt:   toTimestamp(u.UpdatedAt),
	}
}

// FromProtoUser converts a User message.
func FromProtoUser(p *pb.User) authenticator.User {
	if p == nil {
		return authenticator.User{}
	}
	return authenticator.User{
		ExternalID:  p.ExternalId,
		Handle:      p.Handle,
		Username:    p.Username,
		DisplayName: p.DisplayName,
		Status:      authenticator.UserStatus(p.Status),
		CreatedAt:   fromTimestamp(p.CreatedAt),
		UpdatedAt:   fromTimestamp(p.UpdatedAt),
	}
}

// ToProtoCredential converts authenticator.Credential.
func ToProtoCredential(c authenticator.Credential) *pb.Credential {
	return &pb.Credential{
		Id:                c.ID,
		UserExternalId:    c.UserExternalID,
		PublicKey:         c.PublicKey,
		AttestationType:   c.AttestationType,
		AttestationFormat: c.AttestationFormat,
		Aaguid:            c.AAGUID,
		SignCount:         c.SignCount,
		BackupEligible:    c.BackupEligible,
		BackupState:       c.BackupState,
		Transports:        c.Transports,
		Status:            string(c.Status),
		StatusReason:      c.StatusReason,
		CreatedAt:         toTimestamp(c.CreatedAt),
		LastUsedAt:        toTimestamp(c.LastUsedAt),
	}
}

// FromProtoCredential converts a Credential message.
func FromProtoCredential(p *pb.Credential) authenticator.Credential {
	if p == nil {
		return authenticator.Credential{}
	}
	return authenticator.Credential{
		ID:                p.Id,
		UserExternalID:    p.UserExternalId,
		PublicKey:         p.PublicKey,
		AttestationType:   p.AttestationType,
		AttestationFormat: p.AttestationFormat,
		AAGUID:            p.Aaguid,
		SignCount:         p.SignCount,
		BackupEligible:    p.BackupEligible,
		BackupState:       p.BackupState,
		Transports:        p.Transports,
		Status:            authenticator.CredentialStatus(p.Status),
		StatusReason:      p.StatusReason,
		CreatedAt:         fromTimestamp(p.CreatedAt),
		LastUsedAt:        fromTimestamp(p.LastUsedAt),
	}
}

// ToProtoEvent converts authenticator.Event.
func ToProtoEvent(e authenticator.Event) *pb.Event {
	return &pb.Event{
		Id:             e.ID,
		Type:           string(e.Type),
		UserExternalId: e.UserExternalID,
		CredentialId:   e.CredentialID,
		Actor:          e.Actor,
		Detail:         e.Detail,
		At:             toTimestamp(e.At),
	}
}

// FromProtoEvent converts an Event message.
func FromProtoEvent(p *pb.Event) authenticator.Event {
	if p == nil {
		return authenticator.Event{}
	}
	return authenticator.Event{
		ID:             p.Id,
		Type:           authenticator.EventType(p.Type),
		UserExternalID: p.UserExternalId,
		CredentialID:   p.CredentialId,
		Actor:          p.Actor,
		Detail:         p.Detail,
		At:             fromTimestamp(p.At),
	}
}

// ToProtoUserQuery converts authenticator.UserQuery.
func ToProtoUserQuery(q authenticator.UserQuery) *pb.UserQuery {
	return &pb.UserQuery{After: q.After, Limit: int64(q.Limit)}
}

// FromProtoUserQuery converts a UserQuery message. The limit travels as 64
// bits so that no value is silently truncated into a valid-looking one; the
// service validates its range.
func FromProtoUserQuery(p *pb.UserQuery) authenticator.UserQuery {
	if p == nil {
		return authenticator.UserQuery{}
	}
	return authenticator.UserQuery{After: p.After, Limit: int(p.Limit)}
}

// ToProtoListUsersResponse wraps the page ListUsers returns.
func ToProtoListUsersResponse(users []authenticator.User) *pb.ListUsersResponse {
	return &pb.ListUsersResponse{Users: mapSlice(users, ToProtoUser)}
}

// FromProtoListUsersResponse unwraps the page ListUsers returns.
func FromProtoListUsersResponse(p *pb.ListUsersResponse) []authenticator.User {
	return mapSlice(p.GetUsers(), FromProtoUser)
}

// ToProtoGetUserRequest wraps GetUser's argument.
func ToProtoGetUserRequest(externalID string) *pb.GetUserRequest {
	return &pb.GetUserRequest{ExternalId: externalID}
}

// FromProtoGetUserRequest unwraps GetUser's argument.
func FromProtoGetUserRequest(p *pb.GetUserRequest) string {
	return p.GetExternalId()
}

// ToProtoUserDetail converts authenticator.UserDetail.
func ToProtoUserDetail(d authenticator.UserDetail) *pb.UserDetail {
	return &pb.UserDetail{
		User:        ToProtoUser(d.User),
		Credentials: mapSlice(d.Credentials, ToProtoCredential),
		Events:      mapSlice(d.Events, ToProtoEvent),
	}
}

// FromProtoUserDetail converts a UserDetail message.
func FromProtoUserDetail(p *pb.UserDetail) authenticator.UserDetail {
	if p == nil {
		return authenticator.UserDetail{}
	}
	return authenticator.UserDetail{
		User:        FromProtoUser(p.User),
		Credentials: mapSlice(p.Credentials, FromProtoCredential),
		Events:      mapSlice(p.Events, FromProtoEvent),
	}
}

// ToProtoRevokeCredentialRequest converts authenticator.RevokeCredentialRequest.
func ToProtoRevokeCredentialRequest(r authenticator.RevokeCredentialRequest) *pb.RevokeCredentialRequest {
	return &pb.RevokeCredentialRequest{CredentialId: r.CredentialID, Reason: r.Reason, Operator: r.Operator}
}

// FromProtoRevokeCredentialRequest converts a RevokeCredentialRequest message.
func FromProtoRevokeCredentialRequest(p *pb.RevokeCredentialRequest) authenticator.RevokeCredentialRequest {
	if p == nil {
		return authenticator.RevokeCredentialRequest{}
	}
	return authenticator.RevokeCredentialRequest{CredentialID: p.CredentialId, Reason: p.Reason, Operator: p.Operator}
}
