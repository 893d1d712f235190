package convert_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/plugin/internal/convert"
	"github.com/biometric-passkey/biometric-passkey/plugin/internal/pb"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/protobuf/proto"
)

// A time in a non-UTC zone with nanoseconds: the instant must survive,
// whatever the zone it comes back in (cmp compares times with Equal).
var at = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))

var (
	user = authenticator.User{
		ExternalID: "u-1", Handle: []byte{1, 2, 3}, Username: "ada", DisplayName: "Ada L.",
		Status: authenticator.UserEnrolled, CreatedAt: at, UpdatedAt: at.Add(time.Hour),
		AuditSubject: "p-0123456789abcdef0123456789abcdef",
	}
	credential = authenticator.Credential{
		ID: []byte("cred"), UserExternalID: "u-1", PublicKey: []byte{0xa5, 0x01},
		AttestationType: "self", AttestationFormat: "packed", AAGUID: make([]byte, 16),
		SignCount: 42, BackupEligible: true, BackupState: true, Transports: []string{"internal", "hybrid"},
		Status: authenticator.CredentialFlagged, StatusReason: "sign count went backwards",
		CreatedAt: at, LastUsedAt: at.Add(time.Minute),
	}
	login = authenticator.LoginRequest{
		Challenge: "lc", SessionID: "sid", ClientID: "bank", Skip: true, Subject: "u-1",
		ACRValues: []string{acr.StepUpACR, acr.RoutineACR}, RequestURL: "https://op/authorize?max_age=0", LoginHint: "ada",
	}
	outcome = acr.Outcome{ACR: acr.StepUpACR, AMR: []string{"face", "hwk", "mfa", "user"}}
)

// roundTrip checks that Go → proto → Go gives back the original, both in
// memory and through the wire encoding.
func roundTrip[T any, P proto.Message](t *testing.T, to func(T) P, from func(P) T, cases map[string]T) {
	t.Helper()
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(want, from(to(want))); diff != "" {
				t.Errorf("in memory: mismatch (-want +got):\n%s", diff)
			}
			b, err := proto.Marshal(to(want))
			if err != nil {
				t.Fatalf("Marshal: got error %v, want nil", err)
			}
			m := to(want).ProtoReflect().New().Interface()
			if err := proto.Unmarshal(b, m); err != nil {
				t.Fatalf("Unmarshal: got error %v, want nil", err)
			}
			p, ok := m.(P)
			if !ok {
				t.Fatalf("Unmarshal: got %T, want %T", m, to(want))
			}
			// The wire does not tell nil from empty.
			if diff := cmp.Diff(want, from(p), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("over the wire: mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCapabilities(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoCapabilities, convert.FromProtoCapabilities, map[string]authenticator.Capabilities{
		"zero":    {},
		"default": {Levels: acr.DefaultLevels(), ReachableACR: []string{acr.RoutineACR}, RPID: "bank.example"},
		"empty":   {Levels: []acr.Level{}, ReachableACR: []string{}},
	})
}

func TestLevel(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoLevel, convert.FromProtoLevel, map[string]acr.Level{
		"zero":    {},
		"step-up": acr.DefaultLevels()[1],
	})
}

func TestCreateEnrollmentRequest(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoCreateEnrollmentRequest, convert.FromProtoCreateEnrollmentRequest, map[string]authenticator.CreateEnrollmentRequest{
		"zero": {},
		"full": {ExternalUserID: "u-1", Username: "ada", DisplayName: "Ada", ClientID: "bank", ReturnURL: "https://bank/done"},
	})
}

func TestEnrollment(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoEnrollment, convert.FromProtoEnrollment, map[string]authenticator.Enrollment{
		"zero": {},
		"full": {Token: "tok", ExpiresAt: at, User: user},
	})
}

func TestBeginRegistrationRequest(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoBeginRegistrationRequest, convert.FromProtoBeginRegistrationRequest, map[string]authenticator.BeginRegistrationRequest{
		"zero": {},
		"full": {EnrollmentToken: "tok"},
	})
}

func TestCeremony(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoCeremony, convert.FromProtoCeremony, map[string]authenticator.Ceremony{
		"zero": {},
		"full": {ID: "c-1", Options: json.RawMessage(`{"publicKey":{"challenge":"AAEC"}}`), ExpiresAt: at},
	})
}

func TestFinishRequest(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoFinishRequest, convert.FromProtoFinishRequest, map[string]authenticator.FinishRequest{
		"zero": {},
		"full": {CeremonyID: "c-1", Response: []byte(`{"id":"x"}`)},
	})
}

func TestRegistration(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoRegistration, convert.FromProtoRegistration, map[string]authenticator.Registration{
		"zero": {},
		"full": {User: user, Credential: credential, ReturnURL: "https://bank/done"},
	})
}

func TestLoginRequest(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoLoginRequest, convert.FromProtoLoginRequest, map[string]authenticator.LoginRequest{
		"zero": {},
		"full": login,
	})
}

func TestOutcome(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoOutcome, convert.FromProtoOutcome, map[string]acr.Outcome{
		"zero": {},
		"full": outcome,
	})
}

func TestLoginDecision(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoLoginDecision, convert.FromProtoLoginDecision, map[string]authenticator.LoginDecision{
		"zero":         {},
		"accept":       {Action: acr.ActionAccept, Subject: "u-1", Outcome: outcome, AuthTime: at},
		"authenticate": {Action: acr.ActionAuthenticate, Target: acr.StepUpACR},
		"reject":       {Action: acr.ActionReject, Error: acr.ErrorUnmetRequirements, Description: "cannot reach step-up"},
		"unknown":      {Action: acr.Action("from-a-newer-plugin")},
	})
}

func TestBeginAuthenticationRequest(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoBeginAuthenticationRequest, convert.FromProtoBeginAuthenticationRequest, map[string]authenticator.BeginAuthenticationRequest{
		"zero":         {},
		"usernameless": {Login: login},
		"username":     {Login: login, Username: "ada"},
	})
}

func TestAuthenticationResult(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoAuthenticationResult, convert.FromProtoAuthenticationResult, map[string]authenticator.AuthenticationResult{
		"zero":              {},
		"full":              {LoginChallenge: "lc", Subject: "u-1", Outcome: outcome, CredentialID: []byte("cred"), AuthTime: at, RememberFor: 90 * time.Minute},
		"negative remember": {RememberFor: -time.Nanosecond},
		"refused":           {LoginChallenge: "lc", Error: acr.ErrorUnmetRequirements, ErrorDescription: "the requested level of assurance cannot be met"},
	})
}

func TestUser(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoUser, convert.FromProtoUser, map[string]authenticator.User{
		"zero":    {},
		"full":    user,
		"invited": {ExternalID: "u-2", Status: authenticator.UserInvited, CreatedAt: at},
	})
}

func TestCredential(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoCredential, convert.FromProtoCredential, map[string]authenticator.Credential{
		"zero":       {},
		"full":       credential,
		"never used": {ID: []byte("c2"), SignCount: 1<<32 - 1, Status: authenticator.CredentialActive, CreatedAt: at},
	})
}

func TestEvent(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoEvent, convert.FromProtoEvent, map[string]authenticator.Event{
		"zero": {},
		"full": {
			ID: 1 << 40, Type: authenticator.EventCredentialRevoked, UserExternalID: "u-1", CredentialID: []byte("cred"),
			Actor: "op-sub", Detail: map[string]string{"reason": "lost phone"}, At: at,
		},
	})
}

func TestUserQuery(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoUserQuery, convert.FromProtoUserQuery, map[string]authenticator.UserQuery{
		"zero":      {},
		"page":      {After: "u-1", Limit: authenticator.MaxPageSize},
		"too large": {Limit: 1 << 40}, // not truncated into a valid-looking limit
	})
}

func TestListUsersResponse(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoListUsersResponse, convert.FromProtoListUsersResponse, map[string][]authenticator.User{
		"nil":  nil,
		"page": {user, {ExternalID: "u-2"}},
	})
}

func TestGetUserRequest(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoGetUserRequest, convert.FromProtoGetUserRequest, map[string]string{
		"empty": "",
		"id":    "u-1",
	})
}

func TestUserDetail(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoUserDetail, convert.FromProtoUserDetail, map[string]authenticator.UserDetail{
		"zero": {},
		"full": {
			User:        user,
			Credentials: []authenticator.Credential{credential, {ID: []byte("c2")}},
			Events:      []authenticator.Event{{ID: 2, Type: authenticator.EventUserInvited, At: at}},
		},
	})
}

func TestRevokeCredentialRequest(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoRevokeCredentialRequest, convert.FromProtoRevokeCredentialRequest, map[string]authenticator.RevokeCredentialRequest{
		"zero": {},
		"full": {CredentialID: []byte("cred"), Reason: "lost phone", Operator: "op-sub"},
	})
}

func TestFromProtoNil(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ got, want any }{
		"Level":                      {convert.FromProtoLevel(nil), acr.Level{}},
		"Capabilities":               {convert.FromProtoCapabilities(nil), authenticator.Capabilities{}},
		"CreateEnrollmentRequest":    {convert.FromProtoCreateEnrollmentRequest(nil), authenticator.CreateEnrollmentRequest{}},
		"Enrollment":                 {convert.FromProtoEnrollment(nil), authenticator.Enrollment{}},
		"BeginRegistrationRequest":   {convert.FromProtoBeginRegistrationRequest(nil), authenticator.BeginRegistrationRequest{}},
		"Ceremony":                   {convert.FromProtoCeremony(nil), authenticator.Ceremony{}},
		"FinishRequest":              {convert.FromProtoFinishRequest(nil), authenticator.FinishRequest{}},
		"Registration":               {convert.FromProtoRegistration(nil), authenticator.Registration{}},
		"LoginRequest":               {convert.FromProtoLoginRequest(nil), authenticator.LoginRequest{}},
		"Outcome":                    {convert.FromProtoOutcome(nil), acr.Outcome{}},
		"LoginDecision":              {convert.FromProtoLoginDecision(nil), authenticator.LoginDecision{}},
		"BeginAuthenticationRequest": {convert.FromProtoBeginAuthenticationRequest(nil), authenticator.BeginAuthenticationRequest{}},
		"AuthenticationResult":       {convert.FromProtoAuthenticationResult(nil), authenticator.AuthenticationResult{}},
		"User":                       {convert.FromProtoUser(nil), authenticator.User{}},
		"Credential":                 {convert.FromProtoCredential(nil), authenticator.Credential{}},
		"Event":                      {convert.FromProtoEvent(nil), authenticator.Event{}},
		"UserQuery":                  {convert.FromProtoUserQuery(nil), authenticator.UserQuery{}},
		"ListUsersResponse":          {convert.FromProtoListUsersResponse(nil), []authenticator.User(nil)},
		"GetUserRequest":             {convert.FromProtoGetUserRequest(nil), ""},
		"UserDetail":                 {convert.FromProtoUserDetail(nil), authenticator.UserDetail{}},
		"RevokeCredentialRequest":    {convert.FromProtoRevokeCredentialRequest(nil), authenticator.RevokeCredentialRequest{}},
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

func TestStartIdentityCheckRequest(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoStartIdentityCheckRequest, convert.FromProtoStartIdentityCheckRequest, map[string]authenticator.StartIdentityCheckRequest{
		"zero": {},
		"full": {Journey: idvbridge.JourneyStepUp, ExternalUserID: "u-1", CeremonyID: "c-1", ReturnURL: "https://bank/done"},
	})
}

func TestIdentityCheck(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoIdentityCheck, convert.FromProtoIdentityCheck, map[string]idvbridge.Check{
		"zero": {},
		"full": {
			Provider: "onfido", RunID: "run-1", Journey: idvbridge.JourneyEnrollment, UserID: "u-1", CeremonyID: "c-1",
			CaptureURL: "https://capture.example/run-1", SDKToken: "sdk", ExpiresAt: at,
		},
	})
}

func TestApplyIDVWebhookRequest(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoApplyIDVWebhookRequest, convert.FromProtoApplyIDVWebhookRequest, map[string]convert.IDVWebhook{
		"zero": {},
		"full": {
			Header: http.Header{"X-Signature": {"sha256=ab"}, "Content-Type": {"application/json"}, "X-Multi": {"a", "b"}},
			Body:   []byte(`{"run_id":"run-1"}`),
		},
		"empty header": {Header: http.Header{}, Body: []byte{0}},
	})
}

func TestHeaderCanonical(t *testing.T) {
	t.Parallel()
	in := http.Header{"x-signature": {"a"}, "X-SIGNATURE": {"b"}, "content-type": {"text/plain"}}
	want := http.Header{"X-Signature": {"b", "a"}, "Content-Type": {"text/plain"}} // merged in sorted key order
	if diff := cmp.Diff(want, convert.FromProtoHeader(convert.ToProtoHeader(in))); diff != "" {
		t.Errorf("ToProtoHeader: mismatch (-want +got):\n%s", diff)
	}
	got := convert.FromProtoHeader(map[string]*pb.HeaderValues{"x-request-id": {Values: []string{"1"}}, "nil-values": nil})
	if diff := cmp.Diff(http.Header{"X-Request-Id": {"1"}, "Nil-Values": nil}, got); diff != "" {
		t.Errorf("FromProtoHeader: mismatch (-want +got):\n%s", diff)
	}
	if got := convert.ToProtoHeader(nil); got != nil {
		t.Errorf("ToProtoHeader(nil): got %v, want nil", got)
	}
}

func TestRefreshIdentityCheckRequest(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoRefreshIdentityCheckRequest, convert.FromProtoRefreshIdentityCheckRequest, map[string]convert.CheckRun{
		"zero": {},
		"full": {Provider: "onfido", RunID: "run-1"},
	})
}

func TestIdentityCheckStatusRequest(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoIdentityCheckStatusRequest, convert.FromProtoIdentityCheckStatusRequest, map[string]convert.CheckStatusQuery{
		"zero": {},
		"full": {Provider: "onfido", RunID: "run-1", ExternalUserID: "u-1"},
	})
}

func TestIDVCheck(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoIDVCheck, convert.FromProtoIDVCheck, map[string]authenticator.IDVCheck{
		"zero": {},
		"pending": {
			Provider: "onfido", RunID: "run-1", UserExternalID: "u-1", Journey: string(idvbridge.JourneyStepUp),
			CeremonyID: "c-1", ReferenceID: "ref-1", Status: authenticator.CheckPending, CreatedAt: at,
		},
		"failed": {
			Provider: "onfido", RunID: "run-2", UserExternalID: "u-1", Journey: string(idvbridge.JourneyEnrollment),
			Status: authenticator.CheckFailed, Reason: authenticator.CheckReasonNoReference, CreatedAt: at, CompletedAt: at.Add(time.Minute),
		},
	})
}

func TestFromProtoNilIDV(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ got, want any }{
		"StartIdentityCheckRequest":   {convert.FromProtoStartIdentityCheckRequest(nil), authenticator.StartIdentityCheckRequest{}},
		"IdentityCheck":               {convert.FromProtoIdentityCheck(nil), idvbridge.Check{}},
		"ApplyIDVWebhookRequest":      {convert.FromProtoApplyIDVWebhookRequest(nil), convert.IDVWebhook{}},
		"Header":                      {convert.FromProtoHeader(nil), http.Header(nil)},
		"RefreshIdentityCheckRequest": {convert.FromProtoRefreshIdentityCheckRequest(nil), convert.CheckRun{}},
		"IdentityCheckStatusRequest":  {convert.FromProtoIdentityCheckStatusRequest(nil), convert.CheckStatusQuery{}},
		"IDVCheck":                    {convert.FromProtoIDVCheck(nil), authenticator.IDVCheck{}},
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

func TestActivityByDayRequest(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoActivityByDayRequest, convert.FromProtoActivityByDayRequest, map[string]int{
		"default": 0, "two weeks": 14, "largest": authenticator.MaxActivityDays, "negative": -3,
	})
	if got := convert.FromProtoActivityByDayRequest(&pb.ActivityByDayRequest{Days: 1 << 40}); got != -1 && int64(got) != 1<<40 {
		t.Errorf("days beyond int: got %d, want -1 (or the value itself where int is 64 bits)", got)
	}
}

func TestActivity(t *testing.T) {
	t.Parallel()
	roundTrip(t, convert.ToProtoActivity, convert.FromProtoActivity, map[string]authenticator.Activity{
		"empty": {},
		"days": {Days: []authenticator.ActivityDay{
			{Day: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC), SignIns: 120, StepUps: 7, Failures: 3, Recoveries: 1},
			{Day: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)},
		}},
	})
}
