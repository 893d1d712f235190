package plugin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/plugin"
)

// secret is internal detail that must stay in the plugin's log.
const secret = "pq: password authentication failed for user \"app\""

// syncBuffer is a log sink that RPC handlers may write to while a test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// conn serves impl in-process over gRPC with go-plugin's test helper and
// returns the host side, the plugin's log and a function that stops the
// plugin's server.
func conn(t *testing.T, impl plugin.Services) (plugin.Services, *syncBuffer, func()) {
	t.Helper()
	log := new(syncBuffer)
	ps := map[string]goplugin.Plugin{plugin.PluginName: &plugin.GRPCPlugin{
		Impl:   impl,
		Logger: slog.New(slog.NewTextHandler(log, nil)),
	}}
	client, server := goplugin.TestPluginGRPCConn(t, false, ps)
	// Close asks the server to stop (go-plugin's controller Shutdown); a
	// second, concurrent server.Stop would race inside go-plugin.
	t.Cleanup(func() { _ = client.Close() })
	raw, err := client.Dispense(plugin.PluginName)
	if err != nil {
		t.Fatalf("Dispense: got error %v, want nil", err)
	}
	svc, ok := raw.(plugin.Services)
	if !ok {
		t.Fatalf("Dispense: got %T, want plugin.Services", raw)
	}
	return svc, log, server.Stop
}

var (
	at   = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)
	user = authenticator.User{
		ExternalID: "u-1", Handle: []byte{1, 2, 3}, Username: "ada", DisplayName: "Ada L.",
		Status: authenticator.UserEnrolled, CreatedAt: at, UpdatedAt: at.Add(time.Hour),
		AuditSubject: "p-0123456789abcdef0123456789abcdef",
	}
	credential = authenticator.Credential{
		ID: []byte("cred"), UserExternalID: "u-1", PublicKey: []byte{0xa5, 0x01}, AttestationType: "self",
		AttestationFormat: "packed", AAGUID: make([]byte, 16), SignCount: 7, BackupEligible: true,
		Transports: []string{"internal"}, Status: authenticator.CredentialActive, CreatedAt: at, LastUsedAt: at,
		Name: "Ada's phone",
	}
	login = authenticator.LoginRequest{
		Challenge: "lc", SessionID: "sid", ClientID: "bank", ACRValues: []string{acr.StepUpACR},
		RequestURL: "https://op/authorize?max_age=60", LoginHint: "ada",
	}
	ceremony = authenticator.Ceremony{ID: "c-1", Options: json.RawMessage(`{"publicKey":{"challenge":"AAEC"}}`), ExpiresAt: at}
	finish   = authenticator.FinishRequest{CeremonyID: "c-1", Response: []byte(`{"id":"cred"}`)}
	outcome  = acr.Outcome{ACR: acr.StepUpACR, AMR: []string{"face", "hwk", "mfa", "user"}}
	// finishWithReturn names the host's progress page for a hosted check.
	finishWithReturn = authenticator.FinishRequest{CeremonyID: "c-1", Response: []byte(`{"id":"cred"}`), ReturnURL: "https://login/verify"}
	pending          = authenticator.PendingCheck{Token: "t", Journey: idvbridge.JourneyStepUp, Provider: "sandbox", RunID: "run-1",
		CaptureURL: "https://capture.example/run-1", SDKToken: "sdk", ExpiresAt: at}
)

// roundTrip returns a test of one method: the request reaches the
// implementation intact and the response comes back intact; an error comes
// back with its code and message and without its internal detail, which the
// plugin logs instead.
func roundTrip[Req, Resp any](req Req, resp Resp,
	set func(*fakeServices, func(context.Context, Req) (Resp, error)),
	call func(plugin.Services, context.Context, Req) (Resp, error),
) func(*testing.T) {
	return func(t *testing.T) {
		t.Run("ok", func(t *testing.T) {
			t.Parallel()
			got := make(chan Req, 1)
			f := new(fakeServices)
			set(f, func(_ context.Context, r Req) (Resp, error) {
				got <- r
				return resp, nil
			})
			svc, _, _ := conn(t, f)
			out, err := call(svc, t.Context(), req)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if diff := cmp.Diff(req, <-got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("request mismatch (-sent +received):\n%s", diff)
			}
			if diff := cmp.Diff(resp, out, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("response mismatch (-sent +received):\n%s", diff)
			}
		})
		t.Run("error", func(t *testing.T) {
			t.Parallel()
			f := new(fakeServices)
			set(f, func(context.Context, Req) (Resp, error) {
				var zero Resp
				return zero, authenticator.UserError(authenticator.CodeConflict, "already there", errors.New(secret))
			})
			svc, log, _ := conn(t, f)
			_, err := call(svc, t.Context(), req)
			if !errors.Is(err, authenticator.ErrConflict) {
				t.Errorf("errors.Is(%v, ErrConflict): got false, want true", err)
			}
			if msg := authenticator.PublicMessage(err); msg != "already there" {
				t.Errorf("message: got %q, want %q", msg, "already there")
			}
			if strings.Contains(err.Error(), "password") || errors.Unwrap(err) != nil {
				t.Errorf("internal detail crossed the wire: got %q, want no detail", err)
			}
			if !strings.Contains(log.String(), "password authentication failed") {
				t.Errorf("plugin log: got %q, want the internal detail", log.String())
			}
		})
	}
}

// auditPage carries ListAudit's (and ListDeadLetters') arguments through
// roundTrip.
type auditPage struct {
	After int64
	Limit int
}

var (
	// deadLetter is a dead webhook delivery with its event.
	deadLetter = authenticator.Delivery{
		ID: 4, EventID: 3, Endpoint: "https://rp.example/hook", Attempts: 8, NextAttemptAt: at, Status: authenticator.DeliveryDead,
		LastError: "status 503", CreatedAt: at, UpdatedAt: at.Add(time.Minute),
		Event: authenticator.Event{ID: 3, Type: authenticator.EventCredentialRevoked, UserExternalID: "u-1", CredentialID: credential.ID,
			Actor: "op-sub", Detail: map[string]string{"reason": "lost phone"}, At: at},
	}
	suspendedCredential = func() authenticator.Credential {
		c := credential
		c.Status, c.StatusReason = authenticator.CredentialSuspended, "stolen"
		return c
	}()
	// auditRecords are two chained records, as a store returns them.
	auditRecords = func() []authenticator.AuditRecord {
		r1 := authenticator.AuditRecord{Seq: 11, At: at, Actor: "op-sub", Action: authenticator.AuditUserSuspend, Target: "u-1",
			Detail: map[string]string{"reason": "fraud", "previous_status": "enrolled"}, PrevHash: bytes.Repeat([]byte{1}, 32)}
		r1.Hash = authenticator.AuditHash(r1)
		r2 := authenticator.AuditRecord{Seq: 12, At: at.Add(time.Microsecond), Actor: "op-sub", Action: authenticator.AuditUserRead,
			Target: "u-1", PrevHash: r1.Hash}
		r2.Hash = authenticator.AuditHash(r2)
		return []authenticator.AuditRecord{r1, r2}
	}()
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	tests := map[string]func(*testing.T){
		"Capabilities": roundTrip(struct{}{},
			authenticator.Capabilities{Levels: acr.DefaultLevels(), ReachableACR: []string{acr.RoutineACR}, RPID: "bank.example"},
			func(f *fakeServices, fn func(context.Context, struct{}) (authenticator.Capabilities, error)) {
				f.CapabilitiesFunc = func(ctx context.Context) (authenticator.Capabilities, error) { return fn(ctx, struct{}{}) }
			},
			func(s plugin.Services, ctx context.Context, _ struct{}) (authenticator.Capabilities, error) {
				return s.Capabilities(ctx)
			}),
		"CreateEnrollment": roundTrip(
			authenticator.CreateEnrollmentRequest{ExternalUserID: "u-1", Username: "ada", DisplayName: "Ada", ClientID: "bank", ReturnURL: "https://bank/done"},
			authenticator.Enrollment{Token: "tok", ExpiresAt: at, User: user},
			func(f *fakeServices, fn func(context.Context, authenticator.CreateEnrollmentRequest) (authenticator.Enrollment, error)) {
				f.CreateEnrollmentFunc = fn
			},
			plugin.Services.CreateEnrollment),
		"BeginRegistration": roundTrip(authenticator.BeginRegistrationRequest{EnrollmentToken: "tok"}, ceremony,
			func(f *fakeServices, fn func(context.Context, authenticator.BeginRegistrationRequest) (authenticator.Ceremony, error)) {
				f.BeginRegistrationFunc = fn
			},
			plugin.Services.BeginRegistration),
		"FinishRegistration": roundTrip(finish, authenticator.Registration{User: user, Credential: credential, ReturnURL: "https://bank/done"},
			func(f *fakeServices, fn func(context.Context, authenticator.FinishRequest) (authenticator.Registration, error)) {
				f.FinishRegistrationFunc = fn
			},
			plugin.Services.FinishRegistration),
		"DecideLogin": roundTrip(login, authenticator.LoginDecision{Action: acr.ActionAccept, Subject: "u-1", Outcome: outcome, AuthTime: at},
			func(f *fakeServices, fn func(context.Context, authenticator.LoginRequest) (authenticator.LoginDecision, error)) {
				f.DecideLoginFunc = fn
			},
			plugin.Services.DecideLogin),
		"BeginAuthentication": roundTrip(authenticator.BeginAuthenticationRequest{Login: login, Username: "ada"}, ceremony,
			func(f *fakeServices, fn func(context.Context, authenticator.BeginAuthenticationRequest) (authenticator.Ceremony, error)) {
				f.BeginAuthenticationFunc = fn
			},
			plugin.Services.BeginAuthentication),
		"FinishAuthentication": roundTrip(finish,
			authenticator.AuthenticationResult{LoginChallenge: "lc", Subject: "u-1", Outcome: outcome, CredentialID: credential.ID, AuthTime: at, RememberFor: time.Hour},
			func(f *fakeServices, fn func(context.Context, authenticator.FinishRequest) (authenticator.AuthenticationResult, error)) {
				f.FinishAuthenticationFunc = fn
			},
			plugin.Services.FinishAuthentication),
		"FinishAuthentication refused": roundTrip(finish,
			authenticator.AuthenticationResult{LoginChallenge: "lc", Error: acr.ErrorUnmetRequirements, ErrorDescription: authenticator.ErrUnmetRequirements.Message},
			func(f *fakeServices, fn func(context.Context, authenticator.FinishRequest) (authenticator.AuthenticationResult, error)) {
				f.FinishAuthenticationFunc = fn
			},
			plugin.Services.FinishAuthentication),
		"StartIdentityCheck": roundTrip(
			authenticator.StartIdentityCheckRequest{Journey: idvbridge.JourneyStepUp, ExternalUserID: "u-1", CeremonyID: "c-1", ReturnURL: "https://bank/done"},
			idvbridge.Check{Provider: "onfido", RunID: "run-1", Journey: idvbridge.JourneyStepUp, UserID: "u-1", CeremonyID: "c-1",
				CaptureURL: "https://capture.example/run-1", SDKToken: "sdk", ExpiresAt: at},
			func(f *fakeServices, fn func(context.Context, authenticator.StartIdentityCheckRequest) (idvbridge.Check, error)) {
				f.StartIdentityCheckFunc = fn
			},
			plugin.Services.StartIdentityCheck),
		"ApplyIDVWebhook": roundTrip(
			webhookArgs{Header: http.Header{"X-Signature": {"sha256=ab"}, "Content-Type": {"application/json"}, "X-Multi": {"a", "b"}}, Body: []byte(`{"run_id":"run-1"}`)},
			idvCheck,
			func(f *fakeServices, fn func(context.Context, webhookArgs) (authenticator.IDVCheck, error)) {
				f.ApplyIDVWebhookFunc = func(ctx context.Context, h http.Header, b []byte) (authenticator.IDVCheck, error) {
					return fn(ctx, webhookArgs{Header: h, Body: b})
				}
			},
			func(s plugin.Services, ctx context.Context, a webhookArgs) (authenticator.IDVCheck, error) {
				return s.ApplyIDVWebhook(ctx, a.Header, a.Body)
			}),
		"RefreshIdentityCheck": roundTrip(checkArgs{Provider: "onfido", RunID: "run-1"}, idvCheck,
			func(f *fakeServices, fn func(context.Context, checkArgs) (authenticator.IDVCheck, error)) {
				f.RefreshIdentityCheckFunc = func(ctx context.Context, provider, runID string) (authenticator.IDVCheck, error) {
					return fn(ctx, checkArgs{Provider: provider, RunID: runID})
				}
			},
			func(s plugin.Services, ctx context.Context, a checkArgs) (authenticator.IDVCheck, error) {
				return s.RefreshIdentityCheck(ctx, a.Provider, a.RunID)
			}),
		"IdentityCheckStatus": roundTrip(checkArgs{Provider: "onfido", RunID: "run-1", User: "u-1"}, idvCheck,
			func(f *fakeServices, fn func(context.Context, checkArgs) (authenticator.IDVCheck, error)) {
				f.IdentityCheckStatusFunc = func(ctx context.Context, provider, runID, user string) (authenticator.IDVCheck, error) {
					return fn(ctx, checkArgs{Provider: provider, RunID: runID, User: user})
				}
			},
			func(s plugin.Services, ctx context.Context, a checkArgs) (authenticator.IDVCheck, error) {
				return s.IdentityCheckStatus(ctx, a.Provider, a.RunID, a.User)
			}),
		"FinishAuthentication pending": roundTrip(finishWithReturn,
			authenticator.AuthenticationResult{LoginChallenge: "lc", Pending: &pending},
			func(f *fakeServices, fn func(context.Context, authenticator.FinishRequest) (authenticator.AuthenticationResult, error)) {
				f.FinishAuthenticationFunc = fn
			},
			plugin.Services.FinishAuthentication),
		"FinishAuthentication with approval": roundTrip(finish,
			authenticator.AuthenticationResult{LoginChallenge: "lc", Subject: "u-1", Outcome: outcome, CredentialID: credential.ID, AuthTime: at,
				RememberFor: time.Hour, AuthorizationDetails: []byte(`[{"type":"payment_initiation"}]`), DetailsHash: "aGFzaA", ApprovalID: "ap-1"},
			func(f *fakeServices, fn func(context.Context, authenticator.FinishRequest) (authenticator.AuthenticationResult, error)) {
				f.FinishAuthenticationFunc = fn
			},
			plugin.Services.FinishAuthentication),
		"FinishRegistration recovery": roundTrip(finish,
			authenticator.Registration{User: user, Credential: credential, Replaced: 2,
				Login: &authenticator.AuthenticationResult{LoginChallenge: "lc", Subject: "u-1", Outcome: outcome, CredentialID: credential.ID, AuthTime: at, RememberFor: time.Hour}},
			func(f *fakeServices, fn func(context.Context, authenticator.FinishRequest) (authenticator.Registration, error)) {
				f.FinishRegistrationFunc = fn
			},
			plugin.Services.FinishRegistration),
		"FinishRegistration pending": roundTrip(finishWithReturn,
			authenticator.Registration{User: user, Credential: credential, ReturnURL: "https://bank/done", Pending: &pending},
			func(f *fakeServices, fn func(context.Context, authenticator.FinishRequest) (authenticator.Registration, error)) {
				f.FinishRegistrationFunc = fn
			},
			plugin.Services.FinishRegistration),
		"CreateEnrollment recovery": roundTrip(
			authenticator.CreateEnrollmentRequest{ExternalUserID: "u-1", Username: "ada", DisplayName: "Ada", ClientID: "bank", Purpose: authenticator.PurposeRecovery},
			authenticator.Enrollment{Token: "tok", ExpiresAt: at, User: user},
			func(f *fakeServices, fn func(context.Context, authenticator.CreateEnrollmentRequest) (authenticator.Enrollment, error)) {
				f.CreateEnrollmentFunc = fn
			},
			plugin.Services.CreateEnrollment),
		"ContinueIdentityCheck pending": roundTrip(authenticator.ContinueRequest{Token: "t"},
			authenticator.Progress{Journey: idvbridge.JourneyStepUp, Status: authenticator.CheckPending, Message: "waiting", Pending: &pending},
			func(f *fakeServices, fn func(context.Context, authenticator.ContinueRequest) (authenticator.Progress, error)) {
				f.ContinueIdentityCheckFunc = fn
			},
			plugin.Services.ContinueIdentityCheck),
		"ContinueIdentityCheck refused": roundTrip(authenticator.ContinueRequest{Token: "t", Cancel: true},
			authenticator.Progress{Journey: idvbridge.JourneyStepUp, Status: authenticator.CheckFailed, Reason: authenticator.CheckReasonCancelled, Message: "cancelled",
				Login: &authenticator.AuthenticationResult{LoginChallenge: "lc", Error: acr.ErrorUnmetRequirements, ErrorDescription: "cancelled"}},
			func(f *fakeServices, fn func(context.Context, authenticator.ContinueRequest) (authenticator.Progress, error)) {
				f.ContinueIdentityCheckFunc = fn
			},
			plugin.Services.ContinueIdentityCheck),
		"ContinueIdentityCheck recovery ceremony": roundTrip(authenticator.ContinueRequest{Token: "t"},
			authenticator.Progress{Journey: idvbridge.JourneyRecovery, Status: authenticator.CheckPassed, Ceremony: &ceremony, ReturnURL: "https://bank/done"},
			func(f *fakeServices, fn func(context.Context, authenticator.ContinueRequest) (authenticator.Progress, error)) {
				f.ContinueIdentityCheckFunc = fn
			},
			plugin.Services.ContinueIdentityCheck),
		"ResumeEnrollment": roundTrip(authenticator.ResumeEnrollmentRequest{EnrollmentToken: "tok", ReturnURL: "https://login/verify"}, pending,
			func(f *fakeServices, fn func(context.Context, authenticator.ResumeEnrollmentRequest) (authenticator.PendingCheck, error)) {
				f.ResumeEnrollmentFunc = fn
			},
			plugin.Services.ResumeEnrollment),
		"ResumeEnrollment register first": roundTrip(authenticator.ResumeEnrollmentRequest{EnrollmentToken: "tok"}, authenticator.PendingCheck{},
			func(f *fakeServices, fn func(context.Context, authenticator.ResumeEnrollmentRequest) (authenticator.PendingCheck, error)) {
				f.ResumeEnrollmentFunc = fn
			},
			plugin.Services.ResumeEnrollment),
		"BeginRecovery": roundTrip(authenticator.BeginRecoveryRequest{Login: login, Username: "ada", ReturnURL: "https://login/verify"}, pending,
			func(f *fakeServices, fn func(context.Context, authenticator.BeginRecoveryRequest) (authenticator.PendingCheck, error)) {
				f.BeginRecoveryFunc = fn
			},
			plugin.Services.BeginRecovery),
		"VerifyApproval": roundTrip("ap-1",
			authenticator.ApprovalVerification{Valid: false, Problem: "signature does not verify", Approval: authenticator.Approval{
				ID: "ap-1", UserExternalID: "u-1", ClientID: "bank", CredentialID: credential.ID, ACR: acr.StepUpACR,
				AuthorizationDetails: []byte(`[{"type":"payment_initiation"}]`), DetailsHash: "aGFzaA",
				AuthenticatorData: []byte{1, 2}, ClientDataJSON: []byte(`{"type":"webauthn.get"}`), Signature: []byte{3}, CreatedAt: at}},
			func(f *fakeServices, fn func(context.Context, string) (authenticator.ApprovalVerification, error)) {
				f.VerifyApprovalFunc = fn
			},
			plugin.Services.VerifyApproval),
		"ListUsers": roundTrip(authenticator.UserQuery{After: "u-0", Limit: 2}, []authenticator.User{user, {ExternalID: "u-2"}},
			func(f *fakeServices, fn func(context.Context, authenticator.UserQuery) ([]authenticator.User, error)) {
				f.ListUsersFunc = fn
			},
			plugin.Services.ListUsers),
		"GetUser": roundTrip("u-1",
			authenticator.UserDetail{User: user, Credentials: []authenticator.Credential{credential}, Events: []authenticator.Event{
				{ID: 3, Type: authenticator.EventCredentialRegistered, UserExternalID: "u-1", CredentialID: credential.ID, Actor: "user", Detail: map[string]string{"aaguid": "00"}, At: at},
			}},
			func(f *fakeServices, fn func(context.Context, string) (authenticator.UserDetail, error)) {
				f.GetUserFunc = fn
			},
			plugin.Services.GetUser),
		"RevokeCredential": roundTrip(authenticator.RevokeCredentialRequest{CredentialID: credential.ID, Reason: "lost phone", Operator: "op-sub"}, credential,
			func(f *fakeServices, fn func(context.Context, authenticator.RevokeCredentialRequest) (authenticator.Credential, error)) {
				f.RevokeCredentialFunc = fn
			},
			plugin.Services.RevokeCredential),
		"ReadUser": roundTrip(authenticator.ReadUserRequest{ExternalID: "u-1", Operator: "op-sub"},
			authenticator.UserDetail{User: user, Credentials: []authenticator.Credential{credential}},
			func(f *fakeServices, fn func(context.Context, authenticator.ReadUserRequest) (authenticator.UserDetail, error)) {
				f.ReadUserFunc = fn
			},
			plugin.Services.ReadUser),
		"SuspendCredential": roundTrip(authenticator.CredentialActionRequest{CredentialID: credential.ID, Reason: "stolen", Operator: "op-sub"},
			suspendedCredential,
			func(f *fakeServices, fn func(context.Context, authenticator.CredentialActionRequest) (authenticator.Credential, error)) {
				f.SuspendCredentialFunc = fn
			},
			plugin.Services.SuspendCredential),
		"UnsuspendCredential": roundTrip(authenticator.CredentialActionRequest{CredentialID: credential.ID, Operator: "op-sub"}, credential,
			func(f *fakeServices, fn func(context.Context, authenticator.CredentialActionRequest) (authenticator.Credential, error)) {
				f.UnsuspendCredentialFunc = fn
			},
			plugin.Services.UnsuspendCredential),
		"RenameCredential": roundTrip(authenticator.RenameCredentialRequest{CredentialID: credential.ID, Name: "Ada's phone", Operator: "op-sub"}, credential,
			func(f *fakeServices, fn func(context.Context, authenticator.RenameCredentialRequest) (authenticator.Credential, error)) {
				f.RenameCredentialFunc = fn
			},
			plugin.Services.RenameCredential),
		"SuspendUser": roundTrip(authenticator.UserActionRequest{ExternalID: "u-1", Reason: "fraud", Operator: "op-sub"},
			authenticator.User{ExternalID: "u-1", Handle: []byte{1}, Status: authenticator.UserSuspended, CreatedAt: at, UpdatedAt: at},
			func(f *fakeServices, fn func(context.Context, authenticator.UserActionRequest) (authenticator.User, error)) {
				f.SuspendUserFunc = fn
			},
			plugin.Services.SuspendUser),
		"UnsuspendUser": roundTrip(authenticator.UserActionRequest{ExternalID: "u-1", Operator: "op-sub"}, user,
			func(f *fakeServices, fn func(context.Context, authenticator.UserActionRequest) (authenticator.User, error)) {
				f.UnsuspendUserFunc = fn
			},
			plugin.Services.UnsuspendUser),
		"RequireReverification": roundTrip(authenticator.UserActionRequest{ExternalID: "u-1", Reason: "expired document", Operator: "op-sub"},
			authenticator.User{ExternalID: "u-1", Status: authenticator.UserBiometricPending, CreatedAt: at},
			func(f *fakeServices, fn func(context.Context, authenticator.UserActionRequest) (authenticator.User, error)) {
				f.RequireReverificationFunc = fn
			},
			plugin.Services.RequireReverification),
		"VerifyAudit": roundTrip([]authenticator.AuditAnchor{{Seq: 3, Hash: bytes.Repeat([]byte{7}, 32)}},
			authenticator.AuditVerification{Records: 5, FirstBad: 4, Problem: "record 4 does not match its hash", Head: bytes.Repeat([]byte{9}, 32)},
			func(f *fakeServices, fn func(context.Context, []authenticator.AuditAnchor) (authenticator.AuditVerification, error)) {
				f.VerifyAuditFunc = fn
			},
			func(s plugin.Services, ctx context.Context, anchors []authenticator.AuditAnchor) (authenticator.AuditVerification, error) {
				return s.VerifyAudit(ctx, anchors...)
			}),
		"VerifyAudit intact without anchors": roundTrip([]authenticator.AuditAnchor(nil),
			authenticator.AuditVerification{Records: 0, Head: authenticator.AuditGenesis()},
			func(f *fakeServices, fn func(context.Context, []authenticator.AuditAnchor) (authenticator.AuditVerification, error)) {
				f.VerifyAuditFunc = fn
			},
			func(s plugin.Services, ctx context.Context, anchors []authenticator.AuditAnchor) (authenticator.AuditVerification, error) {
				return s.VerifyAudit(ctx, anchors...)
			}),
		"ListAudit": roundTrip(auditPage{After: 10, Limit: 2}, auditRecords,
			func(f *fakeServices, fn func(context.Context, auditPage) ([]authenticator.AuditRecord, error)) {
				f.ListAuditFunc = func(ctx context.Context, after int64, limit int) ([]authenticator.AuditRecord, error) {
					return fn(ctx, auditPage{after, limit})
				}
			},
			func(s plugin.Services, ctx context.Context, q auditPage) ([]authenticator.AuditRecord, error) {
				return s.ListAudit(ctx, q.After, q.Limit)
			}),
		"ActivityByDay": roundTrip(7, authenticator.Activity{Days: []authenticator.ActivityDay{
			{Day: time.Date(2026, time.November, 24, 0, 0, 0, 0, time.UTC), SignIns: 12, StepUps: 3, Failures: 2, Recoveries: 1},
			{Day: time.Date(2026, time.November, 25, 0, 0, 0, 0, time.UTC)},
		}},
			func(f *fakeServices, fn func(context.Context, int) (authenticator.Activity, error)) {
				f.ActivityByDayFunc = fn
			},
			plugin.Services.ActivityByDay),
		"RecordOperatorAction": roundTrip(authenticator.OperatorActionRequest{Operator: "op-sub", Action: authenticator.AuditSessionsRevoke,
			ExternalID: "u-1", Reason: "stolen phone", Detail: map[string]string{"result": "revoked"}},
			authenticator.AuditRecord{Seq: 13, At: at, Actor: "op-sub", Action: authenticator.AuditSessionsRevoke, Target: "p-0123456789abcdef0123456789abcdef",
				Detail: map[string]string{"result": "revoked", "reason": "stolen phone"}, PrevHash: auditRecords[1].Hash, Hash: bytes.Repeat([]byte{5}, 32)},
			func(f *fakeServices, fn func(context.Context, authenticator.OperatorActionRequest) (authenticator.AuditRecord, error)) {
				f.RecordOperatorActionFunc = fn
			},
			plugin.Services.RecordOperatorAction),
		"RecordOperatorAction without a user": roundTrip(authenticator.OperatorActionRequest{Operator: "op-sub", Action: authenticator.AuditExport,
			Detail: map[string]string{"format": "jsonl"}},
			authenticator.AuditRecord{Seq: 14, At: at, Actor: "op-sub", Action: authenticator.AuditExport, Detail: map[string]string{"format": "jsonl"},
				PrevHash: bytes.Repeat([]byte{5}, 32), Hash: bytes.Repeat([]byte{6}, 32)},
			func(f *fakeServices, fn func(context.Context, authenticator.OperatorActionRequest) (authenticator.AuditRecord, error)) {
				f.RecordOperatorActionFunc = fn
			},
			plugin.Services.RecordOperatorAction),
		"ListDeadLetters": roundTrip(auditPage{After: 3, Limit: 2}, []authenticator.Delivery{deadLetter, {ID: 9, Status: authenticator.DeliveryDead}},
			func(f *fakeServices, fn func(context.Context, auditPage) ([]authenticator.Delivery, error)) {
				f.ListDeadLettersFunc = func(ctx context.Context, after int64, limit int) ([]authenticator.Delivery, error) {
					return fn(ctx, auditPage{after, limit})
				}
			},
			func(s plugin.Services, ctx context.Context, q auditPage) ([]authenticator.Delivery, error) {
				return s.ListDeadLetters(ctx, q.After, q.Limit)
			}),
		"RedeliverEvent": roundTrip(authenticator.RedeliverRequest{Operator: "op-sub", DeliveryID: 4, Reason: "endpoint fixed"},
			func() authenticator.Delivery {
				d := deadLetter
				d.Status, d.Attempts, d.NextAttemptAt, d.UpdatedAt = authenticator.DeliveryPending, 0, at.Add(time.Hour), at.Add(time.Hour)
				return d
			}(),
			func(f *fakeServices, fn func(context.Context, authenticator.RedeliverRequest) (authenticator.Delivery, error)) {
				f.RedeliverEventFunc = fn
			},
			plugin.Services.RedeliverEvent),
		"EraseUser": roundTrip(authenticator.UserActionRequest{ExternalID: "u-1", Reason: "customer asked to be forgotten", Operator: "op-sub"},
			authenticator.Erasure{ExternalID: "u-1", AuditSubject: "p-0123456789abcdef0123456789abcdef", Credentials: 2, References: 1,
				Checks: 3, Approvals: 4, Events: 1 << 33, At: at},
			func(f *fakeServices, fn func(context.Context, authenticator.UserActionRequest) (authenticator.Erasure, error)) {
				f.EraseUserFunc = fn
			},
			plugin.Services.EraseUser),
		"CountUsersByStatus": roundTrip(struct{}{},
			map[authenticator.UserStatus]int{authenticator.UserInvited: 2, authenticator.UserEnrolled: 1 << 33, "retired": 1},
			func(f *fakeServices, fn func(context.Context, struct{}) (map[authenticator.UserStatus]int, error)) {
				f.CountUsersByStatusFunc = func(ctx context.Context) (map[authenticator.UserStatus]int, error) { return fn(ctx, struct{}{}) }
			},
			func(s plugin.Services, ctx context.Context, _ struct{}) (map[authenticator.UserStatus]int, error) {
				return s.CountUsersByStatus(ctx)
			}),
		"CountUsersByStatus no users": roundTrip(struct{}{}, map[authenticator.UserStatus]int{},
			func(f *fakeServices, fn func(context.Context, struct{}) (map[authenticator.UserStatus]int, error)) {
				f.CountUsersByStatusFunc = func(ctx context.Context) (map[authenticator.UserStatus]int, error) { return fn(ctx, struct{}{}) }
			},
			func(s plugin.Services, ctx context.Context, _ struct{}) (map[authenticator.UserStatus]int, error) {
				return s.CountUsersByStatus(ctx)
			}),
		"DeliveryStats": roundTrip(struct{}{}, authenticator.DeliveryStats{Pending: 1 << 33, Dead: 7, OldestPendingAt: at},
			func(f *fakeServices, fn func(context.Context, struct{}) (authenticator.DeliveryStats, error)) {
				f.DeliveryStatsFunc = func(ctx context.Context) (authenticator.DeliveryStats, error) { return fn(ctx, struct{}{}) }
			},
			func(s plugin.Services, ctx context.Context, _ struct{}) (authenticator.DeliveryStats, error) {
				return s.DeliveryStats(ctx)
			}),
		"DeliveryStats none pending": roundTrip(struct{}{}, authenticator.DeliveryStats{Dead: 3},
			func(f *fakeServices, fn func(context.Context, struct{}) (authenticator.DeliveryStats, error)) {
				f.DeliveryStatsFunc = func(ctx context.Context) (authenticator.DeliveryStats, error) { return fn(ctx, struct{}{}) }
			},
			func(s plugin.Services, ctx context.Context, _ struct{}) (authenticator.DeliveryStats, error) {
				return s.DeliveryStats(ctx)
			}),
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t)
		})
	}
}

// webhookArgs and checkArgs carry the identity-check methods' arguments
// through roundTrip.
type (
	webhookArgs struct {
		Header http.Header
		Body   []byte
	}
	checkArgs struct{ Provider, RunID, User string }
)

var idvCheck = authenticator.IDVCheck{
	Provider: "onfido", RunID: "run-1", UserExternalID: "u-1", Journey: string(idvbridge.JourneyStepUp), CeremonyID: "c-1",
	ReferenceID: "ref-1", Status: authenticator.CheckPassed, CreatedAt: at, CompletedAt: at.Add(time.Minute),
}

func TestApplyIDVWebhookHeaderCanonical(t *testing.T) {
	t.Parallel()
	got := make(chan http.Header, 1)
	svc, _, _ := conn(t, &fakeServices{ApplyIDVWebhookFunc: func(_ context.Context, h http.Header, _ []byte) (authenticator.IDVCheck, error) {
		got <- h
		return idvCheck, nil
	}})
	if _, err := svc.ApplyIDVWebhook(t.Context(), http.Header{"x-signature": {"sig"}}, nil); err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	h := <-got
	if diff := cmp.Diff(http.Header{"X-Signature": {"sig"}}, h); diff != "" {
		t.Errorf("header mismatch (-want +got):\n%s", diff)
	}
	if v := h.Get("X-Signature"); v != "sig" {
		t.Errorf("Get(X-Signature): got %q, want %q", v, "sig")
	}
}

func TestIdentityCheckErrors(t *testing.T) {
	t.Parallel()
	badSignature := func(context.Context, http.Header, []byte) (authenticator.IDVCheck, error) {
		return authenticator.IDVCheck{}, authenticator.UserError(authenticator.CodeInvalidArgument, "the notification could not be verified", errors.New(secret))
	}
	unknownRun := func(context.Context, string, string) (authenticator.IDVCheck, error) {
		return authenticator.IDVCheck{}, authenticator.UserError(authenticator.CodeNotFound, "this identity check is unknown or has expired; please start again", errors.New(secret))
	}
	tests := map[string]struct {
		f    *fakeServices
		call func(context.Context, plugin.Services) error
		want *authenticator.Error
	}{
		"StartIdentityCheck unknown user": {
			f: &fakeServices{StartIdentityCheckFunc: func(context.Context, authenticator.StartIdentityCheckRequest) (idvbridge.Check, error) {
				return idvbridge.Check{}, authenticator.UserError(authenticator.CodeNotFound, "this account is not known here", errors.New(secret))
			}},
			call: func(ctx context.Context, s plugin.Services) error {
				_, err := s.StartIdentityCheck(ctx, authenticator.StartIdentityCheckRequest{ExternalUserID: "nobody"})
				return err
			},
			want: authenticator.ErrNotFound,
		},
		"ApplyIDVWebhook bad signature": {
			f: &fakeServices{ApplyIDVWebhookFunc: badSignature},
			call: func(ctx context.Context, s plugin.Services) error {
				_, err := s.ApplyIDVWebhook(ctx, http.Header{"X-Signature": {"forged"}}, []byte("{}"))
				return err
			},
			want: authenticator.ErrInvalidArgument,
		},
		"RefreshIdentityCheck unknown run": {
			f: &fakeServices{RefreshIdentityCheckFunc: unknownRun},
			call: func(ctx context.Context, s plugin.Services) error {
				_, err := s.RefreshIdentityCheck(ctx, "onfido", "nope")
				return err
			},
			want: authenticator.ErrNotFound,
		},
		"IdentityCheckStatus unknown run": {
			f: &fakeServices{IdentityCheckStatusFunc: func(ctx context.Context, provider, runID, _ string) (authenticator.IDVCheck, error) {
				return unknownRun(ctx, provider, runID)
			}},
			call: func(ctx context.Context, s plugin.Services) error {
				_, err := s.IdentityCheckStatus(ctx, "onfido", "nope", "u-1")
				return err
			},
			want: authenticator.ErrNotFound,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			svc, _, _ := conn(t, tt.f)
			err := tt.call(t.Context(), svc)
			if !errors.Is(err, tt.want) {
				t.Errorf("errors.Is(%v, %v): got false, want true", err, tt.want)
			}
			if strings.Contains(fmt.Sprint(err), "password") {
				t.Errorf("internal detail crossed the wire: got %q", err)
			}
		})
	}
}

func TestErrorCodes(t *testing.T) {
	t.Parallel()
	for _, code := range authenticator.Codes() {
		want := authenticator.Sentinel(code)
		t.Run(string(want.Code), func(t *testing.T) {
			t.Parallel()
			svc, _, _ := conn(t, &fakeServices{GetUserFunc: func(context.Context, string) (authenticator.UserDetail, error) {
				return authenticator.UserDetail{}, authenticator.Errorf(want.Code, "lookup: %s", secret)
			}})
			_, err := svc.GetUser(t.Context(), "u-1")
			if !errors.Is(err, want) {
				t.Errorf("errors.Is(%v, %v): got false, want true", err, want)
			}
			if msg := authenticator.PublicMessage(err); msg != want.Message {
				t.Errorf("message: got %q, want %q", msg, want.Message)
			}
			if strings.Contains(err.Error(), "password") {
				t.Errorf("internal detail crossed the wire: got %q", err)
			}
		})
	}
}

func TestUntypedAndUnknownErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		err     error
		wantMsg string
	}{
		"untyped":      {errors.New(secret), authenticator.ErrInternal.Message},
		"unknown code": {&authenticator.Error{Code: "from_a_newer_plugin", Message: "please try later", Err: errors.New(secret)}, "please try later"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			svc, log, _ := conn(t, &fakeServices{GetUserFunc: func(context.Context, string) (authenticator.UserDetail, error) {
				return authenticator.UserDetail{}, tt.err
			}})
			_, err := svc.GetUser(t.Context(), "u-1")
			if !errors.Is(err, authenticator.ErrInternal) {
				t.Errorf("errors.Is(%v, ErrInternal): got false, want true", err)
			}
			if msg := authenticator.PublicMessage(err); msg != tt.wantMsg {
				t.Errorf("message: got %q, want %q", msg, tt.wantMsg)
			}
			if strings.Contains(err.Error(), "password") {
				t.Errorf("internal detail crossed the wire: got %q", err)
			}
			if l := log.String(); !strings.Contains(l, "level=ERROR") || !strings.Contains(l, "password authentication failed") {
				t.Errorf("plugin log: got %q, want an ERROR line with the internal detail", l)
			}
		})
	}
}

func TestDeadlinePropagates(t *testing.T) {
	t.Parallel()
	seen := make(chan time.Time, 1)
	svc, _, _ := conn(t, &fakeServices{CapabilitiesFunc: func(ctx context.Context) (authenticator.Capabilities, error) {
		dl, _ := ctx.Deadline()
		seen <- dl
		<-ctx.Done()
		return authenticator.Capabilities{}, authenticator.Errorf(authenticator.CodeUnavailable, "waiting: %w", ctx.Err())
	}})
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	want, _ := ctx.Deadline()
	start := time.Now()
	_, err := svc.Capabilities(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(%v, context.DeadlineExceeded): got false, want true", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("call took %v, want about 300ms", elapsed)
	}
	if got := <-seen; got.IsZero() || got.Sub(want).Abs() > time.Second {
		t.Errorf("plugin's deadline: got %v, want about %v", got, want)
	}
}

func TestCancelPropagates(t *testing.T) {
	t.Parallel()
	started, ended := make(chan struct{}), make(chan error, 1)
	svc, _, _ := conn(t, &fakeServices{CapabilitiesFunc: func(ctx context.Context) (authenticator.Capabilities, error) {
		close(started)
		<-ctx.Done()
		ended <- ctx.Err()
		return authenticator.Capabilities{}, ctx.Err()
	}})
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-started
		cancel()
	}()
	_, err := svc.Capabilities(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("host: errors.Is(%v, context.Canceled): got false, want true", err)
	}
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Errorf("plugin: got ctx.Err() %v, want context.Canceled", err)
	}
}

// TestConnectionClosed covers calls on a connection the host closed, as it
// does when it retires a dead plugin while other callers still hold it: gRPC
// reports them as Canceled, and they must be ErrUnavailable like any other
// lost connection, never internal.
func TestConnectionClosed(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	ps := map[string]goplugin.Plugin{plugin.PluginName: &plugin.GRPCPlugin{Impl: &fakeServices{
		CapabilitiesFunc: func(ctx context.Context) (authenticator.Capabilities, error) {
			close(started)
			<-ctx.Done()
			return authenticator.Capabilities{}, authenticator.Errorf(authenticator.CodeUnavailable, "waiting: %w", ctx.Err())
		},
	}}}
	client, _ := goplugin.TestPluginGRPCConn(t, false, ps)
	raw, err := client.Dispense(plugin.PluginName)
	if err != nil {
		t.Fatalf("Dispense: got error %v, want nil", err)
	}
	svc, ok := raw.(plugin.Services)
	if !ok {
		t.Fatalf("Dispense: got %T, want plugin.Services", raw)
	}
	inFlight := make(chan error, 1)
	go func() {
		_, err := svc.Capabilities(t.Context())
		inFlight <- err
	}()
	<-started
	if err := client.Close(); err != nil {
		t.Fatalf("Close: got error %v, want nil", err)
	}
	if err := <-inFlight; !errors.Is(err, authenticator.ErrUnavailable) {
		t.Errorf("call in flight: got %v, want ErrUnavailable", err)
	}
	if _, err := svc.Capabilities(t.Context()); !errors.Is(err, authenticator.ErrUnavailable) {
		t.Errorf("call after close: got %v, want ErrUnavailable", err)
	}
}

func TestConnectionLost(t *testing.T) {
	t.Parallel()
	svc, _, stop := conn(t, &fakeServices{CapabilitiesFunc: func(context.Context) (authenticator.Capabilities, error) {
		return authenticator.Capabilities{RPID: "bank.example"}, nil
	}})
	if _, err := svc.Capabilities(t.Context()); err != nil {
		t.Fatalf("before stop: got error %v, want nil", err)
	}
	stop()
	_, err := svc.Capabilities(t.Context())
	if !errors.Is(err, authenticator.ErrUnavailable) {
		t.Errorf("after stop: errors.Is(%v, ErrUnavailable): got false, want true", err)
	}
}
