package convert

import (
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/plugin/internal/pb"
)

// ToProtoUser converts authenticator.User.
func ToProtoUser(u authenticator.User) *pb.User {
	return &pb.User{
		ExternalId:   u.ExternalID,
		Handle:       u.Handle,
		Username:     u.Username,
		DisplayName:  u.DisplayName,
		Status:       string(u.Status),
		CreatedAt:    toTimestamp(u.CreatedAt),
		UpdatedAt:    toTimestamp(u.UpdatedAt),
		AuditSubject: u.AuditSubject,
	}
}

// FromProtoUser converts a User message.
func FromProtoUser(p *pb.User) authenticator.User {
	if p == nil {
		return authenticator.User{}
	}
	return authenticator.User{
		ExternalID:   p.ExternalId,
		Handle:       p.Handle,
		Username:     p.Username,
		DisplayName:  p.DisplayName,
		Status:       authenticator.UserStatus(p.Status),
		CreatedAt:    fromTimestamp(p.CreatedAt),
		UpdatedAt:    fromTimestamp(p.UpdatedAt),
		AuditSubject: p.AuditSubject,
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
		Name:              c.Name,
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
		Name:              p.Name,
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

// ToProtoUserStatusCounts converts the map CountUsersByStatus returns.
func ToProtoUserStatusCounts(counts map[authenticator.UserStatus]int) *pb.UserStatusCounts {
	p := &pb.UserStatusCounts{Counts: make(map[string]int64, len(counts))}
	for st, n := range counts {
		p.Counts[string(st)] = int64(n)
	}
	return p
}

// FromProtoUserStatusCounts converts a UserStatusCounts message. A message,
// empty or not, gives a map that is not nil; nil gives nil.
func FromProtoUserStatusCounts(p *pb.UserStatusCounts) map[authenticator.UserStatus]int {
	if p == nil {
		return nil
	}
	out := make(map[authenticator.UserStatus]int, len(p.Counts))
	for st, n := range p.Counts {
		out[authenticator.UserStatus(st)] = int(n)
	}
	return out
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

// ToProtoReadUserRequest converts authenticator.ReadUserRequest.
func ToProtoReadUserRequest(r authenticator.ReadUserRequest) *pb.ReadUserRequest {
	return &pb.ReadUserRequest{ExternalId: r.ExternalID, Operator: r.Operator}
}

// FromProtoReadUserRequest converts a ReadUserRequest message.
func FromProtoReadUserRequest(p *pb.ReadUserRequest) authenticator.ReadUserRequest {
	return authenticator.ReadUserRequest{ExternalID: p.GetExternalId(), Operator: p.GetOperator()}
}

// ToProtoUserActionRequest converts authenticator.UserActionRequest.
func ToProtoUserActionRequest(r authenticator.UserActionRequest) *pb.UserActionRequest {
	return &pb.UserActionRequest{ExternalId: r.ExternalID, Reason: r.Reason, Operator: r.Operator}
}

// FromProtoUserActionRequest converts a UserActionRequest message.
func FromProtoUserActionRequest(p *pb.UserActionRequest) authenticator.UserActionRequest {
	return authenticator.UserActionRequest{ExternalID: p.GetExternalId(), Reason: p.GetReason(), Operator: p.GetOperator()}
}

// ToProtoCredentialActionRequest converts authenticator.CredentialActionRequest.
func ToProtoCredentialActionRequest(r authenticator.CredentialActionRequest) *pb.CredentialActionRequest {
	return &pb.CredentialActionRequest{CredentialId: r.CredentialID, Reason: r.Reason, Operator: r.Operator}
}

// FromProtoCredentialActionRequest converts a CredentialActionRequest message.
func FromProtoCredentialActionRequest(p *pb.CredentialActionRequest) authenticator.CredentialActionRequest {
	return authenticator.CredentialActionRequest{CredentialID: p.GetCredentialId(), Reason: p.GetReason(), Operator: p.GetOperator()}
}

// ToProtoRenameCredentialRequest converts authenticator.RenameCredentialRequest.
func ToProtoRenameCredentialRequest(r authenticator.RenameCredentialRequest) *pb.RenameCredentialRequest {
	return &pb.RenameCredentialRequest{CredentialId: r.CredentialID, Name: r.Name, Operator: r.Operator}
}

// FromProtoRenameCredentialRequest converts a RenameCredentialRequest message.
func FromProtoRenameCredentialRequest(p *pb.RenameCredentialRequest) authenticator.RenameCredentialRequest {
	return authenticator.RenameCredentialRequest{CredentialID: p.GetCredentialId(), Name: p.GetName(), Operator: p.GetOperator()}
}

// ToProtoVerifyAuditRequest wraps VerifyAudit's anchors.
func ToProtoVerifyAuditRequest(anchors []authenticator.AuditAnchor) *pb.VerifyAuditRequest {
	return &pb.VerifyAuditRequest{Anchors: mapSlice(anchors, func(a authenticator.AuditAnchor) *pb.AuditAnchor {
		return &pb.AuditAnchor{Seq: a.Seq, Hash: a.Hash}
	})}
}

// FromProtoVerifyAuditRequest unwraps VerifyAudit's anchors.
func FromProtoVerifyAuditRequest(p *pb.VerifyAuditRequest) []authenticator.AuditAnchor {
	return mapSlice(p.GetAnchors(), func(a *pb.AuditAnchor) authenticator.AuditAnchor {
		return authenticator.AuditAnchor{Seq: a.GetSeq(), Hash: a.GetHash()}
	})
}

// ToProtoAuditVerification converts authenticator.AuditVerification.
func ToProtoAuditVerification(v authenticator.AuditVerification) *pb.AuditVerification {
	return &pb.AuditVerification{Records: int64(v.Records), FirstBad: v.FirstBad, Problem: v.Problem, Head: v.Head}
}

// FromProtoAuditVerification converts an AuditVerification message.
func FromProtoAuditVerification(p *pb.AuditVerification) authenticator.AuditVerification {
	if p == nil {
		return authenticator.AuditVerification{}
	}
	return authenticator.AuditVerification{Records: int(p.Records), FirstBad: p.FirstBad, Problem: p.Problem, Head: p.Head}
}

// Page is the arguments of a paged listing (ListAudit, ListDeadLetters):
// the items after After, at most Limit.
type Page struct {
	After int64
	Limit int
}

// pageFromProto converts a page's wire fields. The limit travels as 64
// bits, as UserQuery's does; one beyond int's range becomes -1, which the
// service refuses.
func pageFromProto(after, limit int64) Page {
	if int64(int(limit)) != limit {
		limit = -1
	}
	return Page{After: after, Limit: int(limit)}
}

// ToProtoListAuditRequest converts ListAudit's arguments.
func ToProtoListAuditRequest(q Page) *pb.ListAuditRequest {
	return &pb.ListAuditRequest{After: q.After, Limit: int64(q.Limit)}
}

// FromProtoListAuditRequest converts a ListAuditRequest message.
func FromProtoListAuditRequest(p *pb.ListAuditRequest) Page {
	return pageFromProto(p.GetAfter(), p.GetLimit())
}

// ToProtoAuditRecord converts authenticator.AuditRecord.
func ToProtoAuditRecord(r authenticator.AuditRecord) *pb.AuditRecord {
	return &pb.AuditRecord{Seq: r.Seq, At: toTimestamp(r.At), Actor: r.Actor, Action: r.Action, Target: r.Target,
		Detail: r.Detail, PrevHash: r.PrevHash, Hash: r.Hash}
}

// FromProtoAuditRecord converts an AuditRecord message.
func FromProtoAuditRecord(p *pb.AuditRecord) authenticator.AuditRecord {
	if p == nil {
		return authenticator.AuditRecord{}
	}
	return authenticator.AuditRecord{Seq: p.Seq, At: fromTimestamp(p.At), Actor: p.Actor, Action: p.Action, Target: p.Target,
		Detail: p.Detail, PrevHash: p.PrevHash, Hash: p.Hash}
}

// ToProtoListAuditResponse wraps a page of ListAudit.
func ToProtoListAuditResponse(recs []authenticator.AuditRecord) *pb.ListAuditResponse {
	return &pb.ListAuditResponse{Records: mapSlice(recs, ToProtoAuditRecord)}
}

// FromProtoListAuditResponse unwraps a page of ListAudit.
func FromProtoListAuditResponse(p *pb.ListAuditResponse) []authenticator.AuditRecord {
	return mapSlice(p.GetRecords(), FromProtoAuditRecord)
}

// ToProtoActivityByDayRequest converts ActivityByDay's argument. It
// travels as 64 bits, as a page limit does.
func ToProtoActivityByDayRequest(days int) *pb.ActivityByDayRequest {
	return &pb.ActivityByDayRequest{Days: int64(days)}
}

// FromProtoActivityByDayRequest converts an ActivityByDayRequest message.
// A count beyond int's range becomes -1, which the service refuses.
func FromProtoActivityByDayRequest(p *pb.ActivityByDayRequest) int {
	days := p.GetDays()
	if int64(int(days)) != days {
		return -1
	}
	return int(days)
}

// ToProtoActivity converts authenticator.Activity.
func ToProtoActivity(a authenticator.Activity) *pb.Activity {
	return &pb.Activity{Days: mapSlice(a.Days, func(d authenticator.ActivityDay) *pb.ActivityDay {
		return &pb.ActivityDay{Day: toTimestamp(d.Day), SignIns: int64(d.SignIns), StepUps: int64(d.StepUps),
			Failures: int64(d.Failures), Recoveries: int64(d.Recoveries)}
	})}
}

// FromProtoActivity converts an Activity message.
func FromProtoActivity(p *pb.Activity) authenticator.Activity {
	days := mapSlice(p.GetDays(), func(d *pb.ActivityDay) authenticator.ActivityDay {
		return authenticator.ActivityDay{Day: fromTimestamp(d.GetDay()), SignIns: int(d.GetSignIns()), StepUps: int(d.GetStepUps()),
			Failures: int(d.GetFailures()), Recoveries: int(d.GetRecoveries())}
	})
	return authenticator.Activity{Days: days}
}

// ToProtoOperatorActionRequest converts authenticator.OperatorActionRequest.
func ToProtoOperatorActionRequest(r authenticator.OperatorActionRequest) *pb.OperatorActionRequest {
	return &pb.OperatorActionRequest{Operator: r.Operator, Action: r.Action, ExternalId: r.ExternalID, Reason: r.Reason, Detail: r.Detail}
}

// FromProtoOperatorActionRequest converts an OperatorActionRequest message.
func FromProtoOperatorActionRequest(p *pb.OperatorActionRequest) authenticator.OperatorActionRequest {
	return authenticator.OperatorActionRequest{Operator: p.GetOperator(), Action: p.GetAction(), ExternalID: p.GetExternalId(),
		Reason: p.GetReason(), Detail: p.GetDetail()}
}

// ToProtoListDeadLettersRequest converts ListDeadLetters' arguments.
func ToProtoListDeadLettersRequest(q Page) *pb.ListDeadLettersRequest {
	return &pb.ListDeadLettersRequest{After: q.After, Limit: int64(q.Limit)}
}

// FromProtoListDeadLettersRequest converts a ListDeadLettersRequest message.
func FromProtoListDeadLettersRequest(p *pb.ListDeadLettersRequest) Page {
	return pageFromProto(p.GetAfter(), p.GetLimit())
}

// ToProtoDelivery converts authenticator.Delivery.
func ToProtoDelivery(d authenticator.Delivery) *pb.Delivery {
	return &pb.Delivery{Id: d.ID, EventId: d.EventID, Endpoint: d.Endpoint, Attempts: int64(d.Attempts),
		NextAttemptAt: toTimestamp(d.NextAttemptAt), Status: string(d.Status), LastError: d.LastError,
		CreatedAt: toTimestamp(d.CreatedAt), UpdatedAt: toTimestamp(d.UpdatedAt), Event: ToProtoEvent(d.Event)}
}

// FromProtoDelivery converts a Delivery message.
func FromProtoDelivery(p *pb.Delivery) authenticator.Delivery {
	if p == nil {
		return authenticator.Delivery{}
	}
	return authenticator.Delivery{ID: p.Id, EventID: p.EventId, Endpoint: p.Endpoint, Attempts: int(p.Attempts),
		NextAttemptAt: fromTimestamp(p.NextAttemptAt), Status: authenticator.DeliveryStatus(p.Status), LastError: p.LastError,
		CreatedAt: fromTimestamp(p.CreatedAt), UpdatedAt: fromTimestamp(p.UpdatedAt), Event: FromProtoEvent(p.Event)}
}

// ToProtoListDeadLettersResponse wraps a page of ListDeadLetters.
func ToProtoListDeadLettersResponse(ds []authenticator.Delivery) *pb.ListDeadLettersResponse {
	return &pb.ListDeadLettersResponse{Deliveries: mapSlice(ds, ToProtoDelivery)}
}

// FromProtoListDeadLettersResponse unwraps a page of ListDeadLetters.
func FromProtoListDeadLettersResponse(p *pb.ListDeadLettersResponse) []authenticator.Delivery {
	return mapSlice(p.GetDeliveries(), FromProtoDelivery)
}

// ToProtoRedeliverRequest converts authenticator.RedeliverRequest.
func ToProtoRedeliverRequest(r authenticator.RedeliverRequest) *pb.RedeliverRequest {
	return &pb.RedeliverRequest{Operator: r.Operator, DeliveryId: r.DeliveryID, Reason: r.Reason}
}

// FromProtoRedeliverRequest converts a RedeliverRequest message.
func FromProtoRedeliverRequest(p *pb.RedeliverRequest) authenticator.RedeliverRequest {
	return authenticator.RedeliverRequest{Operator: p.GetOperator(), DeliveryID: p.GetDeliveryId(), Reason: p.GetReason()}
}

// ToProtoErasure converts authenticator.Erasure.
func ToProtoErasure(e authenticator.Erasure) *pb.Erasure {
	return &pb.Erasure{ExternalId: e.ExternalID, AuditSubject: e.AuditSubject, Credentials: int64(e.Credentials),
		References: int64(e.References), Checks: int64(e.Checks), Approvals: int64(e.Approvals), Events: int64(e.Events),
		At: toTimestamp(e.At)}
}

// FromProtoErasure converts an Erasure message.
func FromProtoErasure(p *pb.Erasure) authenticator.Erasure {
	if p == nil {
		return authenticator.Erasure{}
	}
	return authenticator.Erasure{ExternalID: p.ExternalId, AuditSubject: p.AuditSubject, Credentials: int(p.Credentials),
		References: int(p.References), Checks: int(p.Checks), Approvals: int(p.Approvals), Events: int(p.Events),
		At: fromTimestamp(p.At)}
}

// ToProtoDeliveryStats converts authenticator.DeliveryStats.
func ToProtoDeliveryStats(st authenticator.DeliveryStats) *pb.DeliveryStats {
	return &pb.DeliveryStats{Pending: st.Pending, Dead: st.Dead, OldestPendingAt: toTimestamp(st.OldestPendingAt)}
}

// FromProtoDeliveryStats converts a DeliveryStats message.
func FromProtoDeliveryStats(p *pb.DeliveryStats) authenticator.DeliveryStats {
	if p == nil {
		return authenticator.DeliveryStats{}
	}
	return authenticator.DeliveryStats{Pending: p.Pending, Dead: p.Dead, OldestPendingAt: fromTimestamp(p.OldestPendingAt)}
}
