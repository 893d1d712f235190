package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/plugin"
)

func main() {
	log := plugin.NewLogger(os.Stderr, slog.LevelDebug)
	log.Info("test plugin starting", "pid", os.Getpid())
	plugin.Serve(fixed{log: log}, plugin.WithLogger(log))
}

// Fixed values the tests expect.
var (
	at      = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	user    = authenticator.User{ExternalID: "u-1", Username: "ada", Status: authenticator.UserEnrolled, CreatedAt: at}
	cred    = authenticator.Credential{ID: []byte("cred"), UserExternalID: "u-1", Status: authenticator.CredentialActive, CreatedAt: at}
	check   = authenticator.IDVCheck{Provider: "test", RunID: "run-1", UserExternalID: "u-1", Journey: string(idvbridge.JourneyStepUp), Status: authenticator.CheckPassed, CreatedAt: at, CompletedAt: at}
	outcome = acr.Outcome{ACR: acr.RoutineACR, AMR: []string{"hwk", "mfa", "user"}}
)

// fixed is the implementation the test plugin serves.
type fixed struct{ log *slog.Logger }

func (fixed) Capabilities(context.Context) (authenticator.Capabilities, error) {
	return authenticator.Capabilities{Levels: acr.DefaultLevels(), ReachableACR: []string{acr.RoutineACR}, RPID: "test.example"}, nil
}

func (fixed) CreateEnrollment(context.Context, authenticator.CreateEnrollmentRequest) (authenticator.Enrollment, error) {
	return authenticator.Enrollment{Token: "tok", ExpiresAt: at, User: user}, nil
}

func (fixed) BeginRegistration(context.Context, authenticator.BeginRegistrationRequest) (authenticator.Ceremony, error) {
	return authenticator.Ceremony{ID: "reg", Options: json.RawMessage(`{"publicKey":{}}`), ExpiresAt: at}, nil
}

func (fixed) FinishRegistration(context.Context, authenticator.FinishRequest) (authenticator.Registration, error) {
	return authenticator.Registration{User: user, Credential: cred}, nil
}

func (fixed) DecideLogin(context.Context, authenticator.LoginRequest) (authenticator.LoginDecision, error) {
	return authenticator.LoginDecision{Action: acr.ActionAuthenticate, Target: acr.RoutineACR}, nil
}

func (fixed) BeginAuthentication(context.Context, authenticator.BeginAuthenticationRequest) (authenticator.Ceremony, error) {
	return authenticator.Ceremony{ID: "auth", Options: json.RawMessage(`{"publicKey":{}}`), ExpiresAt: at}, nil
}

func (f fixed) FinishAuthentication(ctx context.Context, req authenticator.FinishRequest) (authenticator.AuthenticationResult, error) {
	if req.CeremonyID == "block" {
		f.log.Info("finish authentication blocked", "pid", os.Getpid())
		<-ctx.Done()
		return authenticator.AuthenticationResult{}, authenticator.Errorf(authenticator.CodeUnavailable, "blocked call ended: %w", ctx.Err())
	}
	return authenticator.AuthenticationResult{LoginChallenge: "lc", Subject: "u-1", Outcome: outcome, CredentialID: cred.ID, AuthTime: at, RememberFor: time.Hour}, nil
}

func (fixed) StartIdentityCheck(context.Context, authenticator.StartIdentityCheckRequest) (idvbridge.Check, error) {
	return idvbridge.Check{Provider: "test", RunID: "run-1", Journey: idvbridge.JourneyStepUp, UserID: "u-1", ExpiresAt: at}, nil
}

func (fixed) ApplyIDVWebhook(context.Context, http.Header, []byte) (authenticator.IDVCheck, error) {
	return check, nil
}

func (fixed) RefreshIdentityCheck(context.Context, string, string) (authenticator.IDVCheck, error) {
	return check, nil
}

func (fixed) IdentityCheckStatus(context.Context, string, string, string) (authenticator.IDVCheck, error) {
	return check, nil
}

func (fixed) ContinueIdentityCheck(context.Context, authenticator.ContinueRequest) (authenticator.Progress, error) {
	return authenticator.Progress{Journey: idvbridge.JourneyStepUp, Status: authenticator.CheckPending}, nil
}

func (fixed) ResumeEnrollment(context.Context, authenticator.ResumeEnrollmentRequest) (authenticator.PendingCheck, error) {
	return authenticator.PendingCheck{}, nil
}

func (fixed) BeginRecovery(context.Context, authenticator.BeginRecoveryRequest) (authenticator.PendingCheck, error) {
	return authenticator.PendingCheck{Token: "t", Journey: idvbridge.JourneyRecovery, Provider: "test", RunID: "run-1", ExpiresAt: at}, nil
}

func (fixed) VerifyApproval(context.Context, string) (authenticator.ApprovalVerification, error) {
	return authenticator.ApprovalVerification{}, authenticator.Errorf(authenticator.CodeNotFound, "no approvals here")
}

func (fixed) ListUsers(context.Context, authenticator.UserQuery) ([]authenticator.User, error) {
	return []authenticator.User{user}, nil
}

func (fixed) CountUsersByStatus(context.Context) (map[authenticator.UserStatus]int, error) {
	return map[authenticator.UserStatus]int{user.Status: 1}, nil
}

func (fixed) GetUser(context.Context, string) (authenticator.UserDetail, error) {
	return authenticator.UserDetail{User: user, Credentials: []authenticator.Credential{cred}}, nil
}

func (fixed) RevokeCredential(context.Context, authenticator.RevokeCredentialRequest) (authenticator.Credential, error) {
	return cred, nil
}

func (fixed) ReadUser(context.Context, authenticator.ReadUserRequest) (authenticator.UserDetail, error) {
	return authenticator.UserDetail{User: user, Credentials: []authenticator.Credential{cred}}, nil
}

func (fixed) SuspendCredential(context.Context, authenticator.CredentialActionRequest) (authenticator.Credential, error) {
	return cred, nil
}

func (fixed) UnsuspendCredential(context.Context, authenticator.CredentialActionRequest) (authenticator.Credential, error) {
	return cred, nil
}

func (fixed) RenameCredential(context.Context, authenticator.RenameCredentialRequest) (authenticator.Credential, error) {
	return cred, nil
}

func (fixed) SuspendUser(context.Context, authenticator.UserActionRequest) (authenticator.User, error) {
	return user, nil
}

func (fixed) UnsuspendUser(context.Context, authenticator.UserActionRequest) (authenticator.User, error) {
	return user, nil
}

func (fixed) RequireReverification(context.Context, authenticator.UserActionRequest) (authenticator.User, error) {
	return user, nil
}

func (fixed) VerifyAudit(context.Context, ...authenticator.AuditAnchor) (authenticator.AuditVerification, error) {
	return authenticator.AuditVerification{Head: authenticator.AuditGenesis()}, nil
}

func (fixed) ListAudit(context.Context, int64, int) ([]authenticator.AuditRecord, error) {
	return nil, nil
}

func (fixed) ActivityByDay(context.Context, int) (authenticator.Activity, error) {
	return authenticator.Activity{}, nil
}

func (fixed) RecordOperatorAction(context.Context, authenticator.OperatorActionRequest) (authenticator.AuditRecord, error) {
	return authenticator.AuditRecord{}, nil
}

func (fixed) ListDeadLetters(context.Context, int64, int) ([]authenticator.Delivery, error) {
	return nil, nil
}

func (fixed) RedeliverEvent(context.Context, authenticator.RedeliverRequest) (authenticator.Delivery, error) {
	return authenticator.Delivery{}, nil
}

func (fixed) EraseUser(context.Context, authenticator.UserActionRequest) (authenticator.Erasure, error) {
	return authenticator.Erasure{}, nil
}

func (fixed) DeliveryStats(context.Context) (authenticator.DeliveryStats, error) {
	return authenticator.DeliveryStats{Pending: 2, Dead: 1, OldestPendingAt: at}, nil
}
