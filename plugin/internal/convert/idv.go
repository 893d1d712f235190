package convert

import (
	"maps"
	"net/http"
	"net/textproto"
	"slices"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/plugin/internal/pb"
)

// IDVWebhook is ApplyIDVWebhook's arguments: a provider notification as
// received.
type IDVWebhook struct {
	Header http.Header
	Body   []byte
}

// CheckRun is RefreshIdentityCheck's arguments.
type CheckRun struct {
	Provider string
	RunID    string
}

// CheckStatusQuery is IdentityCheckStatus's arguments.
type CheckStatusQuery struct {
	Provider       string
	RunID          string
	ExternalUserID string
}

// ToProtoStartIdentityCheckRequest converts authenticator.StartIdentityCheckRequest.
func ToProtoStartIdentityCheckRequest(r authenticator.StartIdentityCheckRequest) *pb.StartIdentityCheckRequest {
	return &pb.StartIdentityCheckRequest{
		Journey:        string(r.Journey),
		ExternalUserId: r.ExternalUserID,
		CeremonyId:     r.CeremonyID,
		ReturnUrl:      r.ReturnURL,
	}
}

// FromProtoStartIdentityCheckRequest converts a StartIdentityCheckRequest message.
func FromProtoStartIdentityCheckRequest(p *pb.StartIdentityCheckRequest) authenticator.StartIdentityCheckRequest {
	if p == nil {
		return authenticator.StartIdentityCheckRequest{}
	}
	return authenticator.StartIdentityCheckRequest{
		Journey:        idvbridge.Journey(p.Journey),
		ExternalUserID: p.ExternalUserId,
		CeremonyID:     p.CeremonyId,
		ReturnURL:      p.ReturnUrl,
	}
}

// ToProtoIdentityCheck converts an idvbridge.Check.
func ToProtoIdentityCheck(c idvbridge.Check) *pb.IdentityCheck {
	return &pb.IdentityCheck{
		Provider:   c.Provider,
		RunId:      c.RunID,
		Journey:    string(c.Journey),
		UserId:     c.UserID,
		CeremonyId: c.CeremonyID,
		CaptureUrl: c.CaptureURL,
		SdkToken:   c.SDKToken,
		ExpiresAt:  toTimestamp(c.ExpiresAt),
	}
}

// FromProtoIdentityCheck converts an IdentityCheck message.
func FromProtoIdentityCheck(p *pb.IdentityCheck) idvbridge.Check {
	if p == nil {
		return idvbridge.Check{}
	}
	return idvbridge.Check{
		Provider:   p.Provider,
		RunID:      p.RunId,
		Journey:    idvbridge.Journey(p.Journey),
		UserID:     p.UserId,
		CeremonyID: p.CeremonyId,
		CaptureURL: p.CaptureUrl,
		SDKToken:   p.SdkToken,
		ExpiresAt:  fromTimestamp(p.ExpiresAt),
	}
}

// ToProtoHeader converts an http.Header, keyed by canonical header name.
// Keys that differ only in case are merged, in sorted key order; nil stays
// nil.
func ToProtoHeader(h http.Header) map[string]*pb.HeaderValues {
	if h == nil {
		return nil
	}
	out := make(map[string]*pb.HeaderValues, len(h))
	for _, k := range slices.Sorted(maps.Keys(h)) {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		if hv, ok := out[ck]; ok {
			hv.Values = append(hv.Values, h[k]...)
			continue
		}
		out[ck] = &pb.HeaderValues{Values: slices.Clone(h[k])}
	}
	return out
}

// FromProtoHeader converts a header map back to an http.Header with
// canonical keys; nil stays nil.
func FromProtoHeader(m map[string]*pb.HeaderValues) http.Header {
	if m == nil {
		return nil
	}
	out := make(http.Header, len(m))
	for k, v := range m {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		out[ck] = append(out[ck], v.GetValues()...)
	}
	return out
}

// ToProtoApplyIDVWebhookRequest wraps ApplyIDVWebhook's arguments.
func ToProtoApplyIDVWebhookRequest(w IDVWebhook) *pb.ApplyIDVWebhookRequest {
	return &pb.ApplyIDVWebhookRequest{Header: ToProtoHeader(w.Header), Body: w.Body}
}

// FromProtoApplyIDVWebhookRequest unwraps ApplyIDVWebhook's arguments.
func FromProtoApplyIDVWebhookRequest(p *pb.ApplyIDVWebhookRequest) IDVWebhook {
	if p == nil {
		return IDVWebhook{}
	}
	return IDVWebhook{Header: FromProtoHeader(p.Header), Body: p.Body}
}

// ToProtoRefreshIdentityCheckRequest wraps RefreshIdentityCheck's arguments.
func ToProtoRefreshIdentityCheckRequest(r CheckRun) *pb.RefreshIdentityCheckRequest {
	return &pb.RefreshIdentityCheckRequest{Provider: r.Provider, RunId: r.RunID}
}

// FromProtoRefreshIdentityCheckRequest unwraps RefreshIdentityCheck's arguments.
func FromProtoRefreshIdentityCheckRequest(p *pb.RefreshIdentityCheckRequest) CheckRun {
	if p == nil {
		return CheckRun{}
	}
	return CheckRun{Provider: p.Provider, RunID: p.RunId}
}

// ToProtoIdentityCheckStatusRequest wraps IdentityCheckStatus's arguments.
func ToProtoIdentityCheckStatusRequest(q CheckStatusQuery) *pb.IdentityCheckStatusRequest {
	return &pb.IdentityCheckStatusRequest{Provider: q.Provider, RunId: q.RunID, ExternalUserId: q.ExternalUserID}
}

// FromProtoIdentityCheckStatusRequest unwraps IdentityCheckStatus's arguments.
func FromProtoIdentityCheckStatusRequest(p *pb.IdentityCheckStatusRequest) CheckStatusQuery {
	if p == nil {
		return CheckStatusQuery{}
	}
	return CheckStatusQuery{Provider: p.Provider, RunID: p.RunId, ExternalUserID: p.ExternalUserId}
}

// ToProtoIDVCheck converts authenticator.IDVCheck.
func ToProtoIDVCheck(c authenticator.IDVCheck) *pb.IDVCheck {
	return &pb.IDVCheck{
		Provider:       c.Provider,
		RunId:          c.RunID,
		UserExternalId: c.UserExternalID,
		Journey:        c.Journey,
		CeremonyId:     c.CeremonyID,
		ReferenceId:    c.ReferenceID,
		Status:         string(c.Status),
		Reason:         c.Reason,
		CreatedAt:      toTimestamp(c.CreatedAt),
		CompletedAt:    toTimestamp(c.CompletedAt),
	}
}

// FromProtoIDVCheck converts an IDVCheck message.
func FromProtoIDVCheck(p *pb.IDVCheck) authenticator.IDVCheck {
	if p == nil {
		return authenticator.IDVCheck{}
	}
	return authenticator.IDVCheck{
		Provider:       p.Provider,
		RunID:          p.RunId,
		UserExternalID: p.UserExternalId,
		Journey:        p.Journey,
		CeremonyID:     p.CeremonyId,
		ReferenceID:    p.ReferenceId,
		Status:         authenticator.CheckStatus(p.Status),
		Reason:         p.Reason,
		CreatedAt:      fromTimestamp(p.CreatedAt),
		CompletedAt:    fromTimestamp(p.CompletedAt),
	}
}
