package convert_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/plugin/internal/convert"
)

// deadLetter is a dead delivery with its event, every field set.
var deadLetter = authenticator.Delivery{
	ID: 1 << 40, EventID: 7, Endpoint: "https://rp.example/hook", Attempts: 8, NextAttemptAt: at,
	Status: authenticator.DeliveryDead, LastError: "status 503", CreatedAt: at, UpdatedAt: at.Add(time.Hour),
	Event: authenticator.Event{ID: 7, Type: authenticator.EventCredentialRevoked, UserExternalID: "u-1",
		CredentialID: []byte("cred"), Actor: "op-sub", Detail: map[string]string{"reason": "lost phone"}, At: at},
}

func TestOperatorActionRequest(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoOperatorActionRequest, convert.FromProtoOperatorActionRequest, map[string]authenticator.OperatorActionRequest{
		"zero": {},
		"full": {Operator: "op-sub", Action: authenticator.AuditSessionsRevoke, ExternalID: "u-1", Reason: "stolen phone",
			Detail: map[string]string{"result": "failed", "error": "status 502"}},
		"no user": {Operator: "op-sub", Action: authenticator.AuditExport, Detail: map[string]string{"format": "jsonl"}},
	})
}

func TestListDeadLettersRequest(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoListDeadLettersRequest, convert.FromProtoListDeadLettersRequest, map[string]convert.Page{
		"zero": {},
		"page": {After: 1 << 40, Limit: authenticator.MaxPageSize},
	})
}

func TestDelivery(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoDelivery, convert.FromProtoDelivery, map[string]authenticator.Delivery{
		"zero": {},
		"dead": deadLetter,
	})
}

func TestListDeadLettersResponse(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoListDeadLettersResponse, convert.FromProtoListDeadLettersResponse, map[string][]authenticator.Delivery{
		"nil":  nil,
		"page": {deadLetter, {ID: 2, Status: authenticator.DeliveryDead}},
	})
}

func TestRedeliverRequest(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoRedeliverRequest, convert.FromProtoRedeliverRequest, map[string]authenticator.RedeliverRequest{
		"zero": {},
		"full": {Operator: "op-sub", DeliveryID: 1 << 40, Reason: "endpoint fixed"},
	})
}

func TestErasure(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoErasure, convert.FromProtoErasure, map[string]authenticator.Erasure{
		"zero": {},
		"full": {ExternalID: "u-1", AuditSubject: "p-0123456789abcdef0123456789abcdef", Credentials: 2, References: 1,
			Checks: 3, Approvals: 4, Events: 1 << 33, At: at},
	})
}

func TestDeliveryStats(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoDeliveryStats, convert.FromProtoDeliveryStats, map[string]authenticator.DeliveryStats{
		"empty":   {},
		"backlog": {Pending: 1 << 33, Dead: 12, OldestPendingAt: at},
	})
}

func TestUserStatusCounts(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoUserStatusCounts, convert.FromProtoUserStatusCounts, map[string]map[authenticator.UserStatus]int{
		"empty": {},
		"counts": {authenticator.UserInvited: 3, authenticator.UserEnrolled: 1 << 33, authenticator.UserSuspended: 1,
			"retired": 2}, // a status a newer plugin adds crosses as it is
	})
}

func TestFromProtoNilDashboard(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ got, want any }{
		"OperatorActionRequest":   {convert.FromProtoOperatorActionRequest(nil), authenticator.OperatorActionRequest{}},
		"ListDeadLettersRequest":  {convert.FromProtoListDeadLettersRequest(nil), convert.Page{}},
		"Delivery":                {convert.FromProtoDelivery(nil), authenticator.Delivery{}},
		"ListDeadLettersResponse": {convert.FromProtoListDeadLettersResponse(nil), []authenticator.Delivery(nil)},
		"RedeliverRequest":        {convert.FromProtoRedeliverRequest(nil), authenticator.RedeliverRequest{}},
		"Erasure":                 {convert.FromProtoErasure(nil), authenticator.Erasure{}},
		"DeliveryStats":           {convert.FromProtoDeliveryStats(nil), authenticator.DeliveryStats{}},
		"UserStatusCounts":        {convert.FromProtoUserStatusCounts(nil), map[authenticator.UserStatus]int(nil)},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("FromProto%s(nil) mismatch (-want +got):\n%s", name, diff)
			}
		})
	}
}
