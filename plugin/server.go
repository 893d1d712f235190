package plugin

import (
	"context"
	"errors"
	"log/slog"
	"os"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/plugin/internal/convert"
	"github.com/biometric-passkey/biometric-passkey/plugin/internal/pb"
)

// ServeOption configures Serve.
type ServeOption func(*serveOptions)

type serveOptions struct {
	logger *slog.Logger
}

// WithLogger sets the logger that records failed calls with their internal
// detail. Make it with NewLogger so the host re-emits its lines at their
// level. The default is NewLogger(os.Stderr, slog.LevelInfo).
func WithLogger(l *slog.Logger) ServeOption {
	return func(o *serveOptions) { o.logger = l }
}

// Serve serves impl to the host that launched this process and returns when
// the host kills it. It is the whole main of a plugin binary after the
// implementation is built:
//
//	log := plugin.NewLogger(os.Stderr, slog.LevelInfo) // before Serve: see NewLogger
//	svc, err := authenticator.New(cfg, store, ephemeral, authenticator.WithLogger(log))
//	…
//	plugin.Serve(svc, plugin.WithLogger(log))
//
// Run by hand, without the handshake cookie in its environment, the binary
// prints that it is a plugin and exits with status 1.
func Serve(impl Services, opts ...ServeOption) {
	o := serveOptions{logger: NewLogger(os.Stderr, slog.LevelInfo)}
	for _, opt := range opts {
		opt(&o)
	}
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: pluginSets(&GRPCPlugin{Impl: impl, Logger: o.logger}),
		GRPCServer:       newGRPCServer,
		Logger:           hclog.New(&hclog.LoggerOptions{Level: hclog.Info, Output: os.Stderr, JSONFormat: true}),
	})
}

// handle runs one RPC on the plugin side: fromproto → implementation →
// toproto. A failure is logged with its internal detail and sent as a status
// that carries only the code and the user-safe message.
func handle[PReq, In, Out, PResp any](ctx context.Context, log *slog.Logger, req PReq,
	from func(PReq) In, call func(context.Context, In) (Out, error), to func(Out) PResp,
) (PResp, error) {
	out, err := call(ctx, from(req))
	if err != nil {
		var zero PResp
		st := convert.ToStatus(err)
		method, _ := grpc.Method(ctx)
		log.LogAttrs(ctx, failureLevel(err), "plugin call failed",
			slog.String("method", method),
			slog.String("code", string(authenticator.CodeOf(err))),
			slog.String("grpc_code", st.Code().String()),
			slog.Any("error", err))
		return zero, st.Err()
	}
	return to(out), nil
}

// failureLevel is the level a failed call is logged at: errors for the
// plugin's own faults, warnings for a dependency that is down, info for
// requests the caller got wrong or abandoned.
func failureLevel(err error) slog.Level {
	if errors.Is(err, context.Canceled) {
		return slog.LevelInfo
	}
	switch code := authenticator.CodeOf(err); {
	case code == authenticator.CodeUnavailable || errors.Is(err, context.DeadlineExceeded):
		return slog.LevelWarn
	case code == authenticator.CodeInternal || !authenticator.KnownCode(code):
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// authenticatorServer serves pb.AuthenticatorServer from an Authenticator.
type authenticatorServer struct {
	pb.UnimplementedAuthenticatorServer
	impl Authenticator
	log  *slog.Logger
}

func (s *authenticatorServer) Capabilities(ctx context.Context, req *pb.CapabilitiesRequest) (*pb.Capabilities, error) {
	return handle(ctx, s.log, req, noRequest[*pb.CapabilitiesRequest], noArgument(s.impl.Capabilities), convert.ToProtoCapabilities)
}

func (s *authenticatorServer) CreateEnrollment(ctx context.Context, req *pb.CreateEnrollmentRequest) (*pb.Enrollment, error) {
	return handle(ctx, s.log, req, convert.FromProtoCreateEnrollmentRequest, s.impl.CreateEnrollment, convert.ToProtoEnrollment)
}

func (s *authenticatorServer) BeginRegistration(ctx context.Context, req *pb.BeginRegistrationRequest) (*pb.Ceremony, error) {
	return handle(ctx, s.log, req, convert.FromProtoBeginRegistrationRequest, s.impl.BeginRegistration, convert.ToProtoCeremony)
}

func (s *authenticatorServer) FinishRegistration(ctx context.Context, req *pb.FinishRequest) (*pb.Registration, error) {
	return handle(ctx, s.log, req, convert.FromProtoFinishRequest, s.impl.FinishRegistration, convert.ToProtoRegistration)
}

func (s *authenticatorServer) DecideLogin(ctx context.Context, req *pb.LoginRequest) (*pb.LoginDecision, error) {
	return handle(ctx, s.log, req, convert.FromProtoLoginRequest, s.impl.DecideLogin, convert.ToProtoLoginDecision)
}

func (s *authenticatorServer) BeginAuthentication(ctx context.Context, req *pb.BeginAuthenticationRequest) (*pb.Ceremony, error) {
	return handle(ctx, s.log, req, convert.FromProtoBeginAuthenticationRequest, s.impl.BeginAuthentication, convert.ToProtoCeremony)
}

func (s *authenticatorServer) FinishAuthentication(ctx context.Context, req *pb.FinishRequest) (*pb.AuthenticationResult, error) {
	return handle(ctx, s.log, req, convert.FromProtoFinishRequest, s.impl.FinishAuthentication, convert.ToProtoAuthenticationResult)
}

func (s *authenticatorServer) StartIdentityCheck(ctx context.Context, req *pb.StartIdentityCheckRequest) (*pb.IdentityCheck, error) {
	return handle(ctx, s.log, req, convert.FromProtoStartIdentityCheckRequest, s.impl.StartIdentityCheck, convert.ToProtoIdentityCheck)
}

func (s *authenticatorServer) ApplyIDVWebhook(ctx context.Context, req *pb.ApplyIDVWebhookRequest) (*pb.IDVCheck, error) {
	return handle(ctx, s.log, req, convert.FromProtoApplyIDVWebhookRequest,
		func(ctx context.Context, w convert.IDVWebhook) (authenticator.IDVCheck, error) {
			return s.impl.ApplyIDVWebhook(ctx, w.Header, w.Body)
		},
		convert.ToProtoIDVCheck)
}

func (s *authenticatorServer) RefreshIdentityCheck(ctx context.Context, req *pb.RefreshIdentityCheckRequest) (*pb.IDVCheck, error) {
	return handle(ctx, s.log, req, convert.FromProtoRefreshIdentityCheckRequest,
		func(ctx context.Context, r convert.CheckRun) (authenticator.IDVCheck, error) {
			return s.impl.RefreshIdentityCheck(ctx, r.Provider, r.RunID)
		},
		convert.ToProtoIDVCheck)
}

func (s *authenticatorServer) IdentityCheckStatus(ctx context.Context, req *pb.IdentityCheckStatusRequest) (*pb.IDVCheck, error) {
	return handle(ctx, s.log, req, convert.FromProtoIdentityCheckStatusRequest,
		func(ctx context.Context, q convert.CheckStatusQuery) (authenticator.IDVCheck, error) {
			return s.impl.IdentityCheckStatus(ctx, q.Provider, q.RunID, q.ExternalUserID)
		},
		convert.ToProtoIDVCheck)
}

func (s *authenticatorServer) ContinueIdentityCheck(ctx context.Context, req *pb.ContinueRequest) (*pb.Progress, error) {
	return handle(ctx, s.log, req, convert.FromProtoContinueRequest, s.impl.ContinueIdentityCheck, convert.ToProtoProgress)
}

func (s *authenticatorServer) ResumeEnrollment(ctx context.Context, req *pb.ResumeEnrollmentRequest) (*pb.PendingCheck, error) {
	return handle(ctx, s.log, req, convert.FromProtoResumeEnrollmentRequest, s.impl.ResumeEnrollment, convert.ToProtoPendingCheck)
}

func (s *authenticatorServer) BeginRecovery(ctx context.Context, req *pb.BeginRecoveryRequest) (*pb.PendingCheck, error) {
	return handle(ctx, s.log, req, convert.FromProtoBeginRecoveryRequest, s.impl.BeginRecovery, convert.ToProtoPendingCheck)
}

func (s *authenticatorServer) VerifyApproval(ctx context.Context, req *pb.VerifyApprovalRequest) (*pb.ApprovalVerification, error) {
	return handle(ctx, s.log, req, convert.FromProtoVerifyApprovalRequest, s.impl.VerifyApproval, convert.ToProtoApprovalVerification)
}

// adminServer serves pb.AdminServer from an Admin.
type adminServer struct {
	pb.UnimplementedAdminServer
	impl Admin
	log  *slog.Logger
}

func (s *adminServer) ListUsers(ctx context.Context, req *pb.UserQuery) (*pb.ListUsersResponse, error) {
	return handle(ctx, s.log, req, convert.FromProtoUserQuery, s.impl.ListUsers, convert.ToProtoListUsersResponse)
}

func (s *adminServer) CountUsersByStatus(ctx context.Context, req *pb.CountUsersByStatusRequest) (*pb.UserStatusCounts, error) {
	return handle(ctx, s.log, req, noRequest[*pb.CountUsersByStatusRequest], noArgument(s.impl.CountUsersByStatus), convert.ToProtoUserStatusCounts)
}

func (s *adminServer) GetUser(ctx context.Context, req *pb.GetUserRequest) (*pb.UserDetail, error) {
	return handle(ctx, s.log, req, convert.FromProtoGetUserRequest, s.impl.GetUser, convert.ToProtoUserDetail)
}

func (s *adminServer) RevokeCredential(ctx context.Context, req *pb.RevokeCredentialRequest) (*pb.Credential, error) {
	return handle(ctx, s.log, req, convert.FromProtoRevokeCredentialRequest, s.impl.RevokeCredential, convert.ToProtoCredential)
}

func (s *adminServer) ReadUser(ctx context.Context, req *pb.ReadUserRequest) (*pb.UserDetail, error) {
	return handle(ctx, s.log, req, convert.FromProtoReadUserRequest, s.impl.ReadUser, convert.ToProtoUserDetail)
}

func (s *adminServer) SuspendCredential(ctx context.Context, req *pb.CredentialActionRequest) (*pb.Credential, error) {
	return handle(ctx, s.log, req, convert.FromProtoCredentialActionRequest, s.impl.SuspendCredential, convert.ToProtoCredential)
}

func (s *adminServer) UnsuspendCredential(ctx context.Context, req *pb.CredentialActionRequest) (*pb.Credential, error) {
	return handle(ctx, s.log, req, convert.FromProtoCredentialActionRequest, s.impl.UnsuspendCredential, convert.ToProtoCredential)
}

func (s *adminServer) RenameCredential(ctx context.Context, req *pb.RenameCredentialRequest) (*pb.Credential, error) {
	return handle(ctx, s.log, req, convert.FromProtoRenameCredentialRequest, s.impl.RenameCredential, convert.ToProtoCredential)
}

func (s *adminServer) SuspendUser(ctx context.Context, req *pb.UserActionRequest) (*pb.User, error) {
	return handle(ctx, s.log, req, convert.FromProtoUserActionRequest, s.impl.SuspendUser, convert.ToProtoUser)
}

func (s *adminServer) UnsuspendUser(ctx context.Context, req *pb.UserActionRequest) (*pb.User, error) {
	return handle(ctx, s.log, req, convert.FromProtoUserActionRequest, s.impl.UnsuspendUser, convert.ToProtoUser)
}

func (s *adminServer) RequireReverification(ctx context.Context, req *pb.UserActionRequest) (*pb.User, error) {
	return handle(ctx, s.log, req, convert.FromProtoUserActionRequest, s.impl.RequireReverification, convert.ToProtoUser)
}

func (s *adminServer) VerifyAudit(ctx context.Context, req *pb.VerifyAuditRequest) (*pb.AuditVerification, error) {
	return handle(ctx, s.log, req, convert.FromProtoVerifyAuditRequest,
		func(ctx context.Context, anchors []authenticator.AuditAnchor) (authenticator.AuditVerification, error) {
			return s.impl.VerifyAudit(ctx, anchors...)
		},
		convert.ToProtoAuditVerification)
}

func (s *adminServer) ListAudit(ctx context.Context, req *pb.ListAuditRequest) (*pb.ListAuditResponse, error) {
	return handle(ctx, s.log, req, convert.FromProtoListAuditRequest, paged(s.impl.ListAudit), convert.ToProtoListAuditResponse)
}

func (s *adminServer) ActivityByDay(ctx context.Context, req *pb.ActivityByDayRequest) (*pb.Activity, error) {
	return handle(ctx, s.log, req, convert.FromProtoActivityByDayRequest, s.impl.ActivityByDay, convert.ToProtoActivity)
}

func (s *adminServer) RecordOperatorAction(ctx context.Context, req *pb.OperatorActionRequest) (*pb.AuditRecord, error) {
	return handle(ctx, s.log, req, convert.FromProtoOperatorActionRequest, s.impl.RecordOperatorAction, convert.ToProtoAuditRecord)
}

func (s *adminServer) ListDeadLetters(ctx context.Context, req *pb.ListDeadLettersRequest) (*pb.ListDeadLettersResponse, error) {
	return handle(ctx, s.log, req, convert.FromProtoListDeadLettersRequest, paged(s.impl.ListDeadLetters),
		convert.ToProtoListDeadLettersResponse)
}

func (s *adminServer) RedeliverEvent(ctx context.Context, req *pb.RedeliverRequest) (*pb.Delivery, error) {
	return handle(ctx, s.log, req, convert.FromProtoRedeliverRequest, s.impl.RedeliverEvent, convert.ToProtoDelivery)
}

func (s *adminServer) EraseUser(ctx context.Context, req *pb.UserActionRequest) (*pb.Erasure, error) {
	return handle(ctx, s.log, req, convert.FromProtoUserActionRequest, s.impl.EraseUser, convert.ToProtoErasure)
}

func (s *adminServer) DeliveryStats(ctx context.Context, req *pb.DeliveryStatsRequest) (*pb.DeliveryStats, error) {
	return handle(ctx, s.log, req, noRequest[*pb.DeliveryStatsRequest], noArgument(s.impl.DeliveryStats), convert.ToProtoDeliveryStats)
}

// paged adapts a listing method to the one-argument form handle calls.
func paged[T any](list func(ctx context.Context, after int64, limit int) ([]T, error)) func(context.Context, convert.Page) ([]T, error) {
	return func(ctx context.Context, q convert.Page) ([]T, error) { return list(ctx, q.After, q.Limit) }
}

// noRequest decodes a request message that carries nothing.
func noRequest[Req any](Req) struct{} { return struct{}{} }

// noArgument adapts a method without arguments to the form handle calls.
func noArgument[T any](call func(context.Context) (T, error)) func(context.Context, struct{}) (T, error) {
	return func(ctx context.Context, _ struct{}) (T, error) { return call(ctx) }
}
