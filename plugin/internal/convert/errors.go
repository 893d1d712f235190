package convert

import (
	"context"
	"errors"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrorDomain is the google.rpc.ErrorInfo domain of the errors this project
// sends across the plugin wire; their reason is the authenticator.Code.
const ErrorDomain = "biometric-passkey"

// ErrConnection is wrapped by the errors FromStatus makes when the call never
// got an answer from the plugin: the connection failed, which for a plugin on
// the same machine means its process is gone, or the host closed it.
var ErrConnection = errors.New("plugin connection failed")

// grpcCodes maps each authenticator.Code to the nearest gRPC code. The gRPC
// code is advisory, for generic tooling; the ErrorInfo reason is what the
// receiving side reads.
var grpcCodes = map[authenticator.Code]codes.Code{
	authenticator.CodeInternal:          codes.Internal,
	authenticator.CodeInvalidArgument:   codes.InvalidArgument,
	authenticator.CodeNotFound:          codes.NotFound,
	authenticator.CodeConflict:          codes.AlreadyExists,
	authenticator.CodeChallengeUnknown:  codes.FailedPrecondition,
	authenticator.CodeVerification:      codes.Unauthenticated,
	authenticator.CodeCredentialRevoked: codes.PermissionDenied,
	authenticator.CodeCredentialFlagged: codes.PermissionDenied,
	authenticator.CodeUserSuspended:     codes.PermissionDenied,
	authenticator.CodePolicy:            codes.PermissionDenied,
	authenticator.CodeUnmetRequirements: codes.FailedPrecondition,
	authenticator.CodeUnavailable:       codes.Unavailable,
	authenticator.CodeRateLimited:       codes.ResourceExhausted,
}

// ToStatus converts an error returned by the implementation into the gRPC
// status sent to the host. The status carries only the code (as an ErrorInfo
// reason) and the user-safe message (authenticator.PublicMessage): never the
// error's internal detail, which the caller logs instead. An error that is
// not an *authenticator.Error becomes internal. A context cancellation or
// deadline in the chain sets the gRPC code to Canceled or DeadlineExceeded.
func ToStatus(err error) *status.Status {
	code := authenticator.CodeOf(err)
	gc, ok := grpcCodes[code]
	if !ok {
		gc = codes.Unknown
	}
	switch {
	case errors.Is(err, context.Canceled):
		gc = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		gc = codes.DeadlineExceeded
	}
	st := status.New(gc, authenticator.PublicMessage(err))
	// WithDetails fails only if the detail cannot be marshalled, which an
	// ErrorInfo always can.
	if d, derr := st.WithDetails(&errdetails.ErrorInfo{Reason: string(code), Domain: ErrorDomain}); derr == nil {
		st = d
	}
	return st
}

// FromStatus rebuilds the error a gRPC call made with ctx returned as an
// *authenticator.Error, so errors.Is(err, authenticator.ErrNotFound) works on
// the host:
//
//   - A status with our ErrorInfo gives its code (an unknown one, say from a
//     newer plugin, becomes internal) and the status message.
//   - Canceled without our ErrorInfo while ctx is still live means the
//     client connection was closed under the call (the host retired the
//     plugin or is closing): the plugin did not answer, so it is
//     authenticator.ErrUnavailable, wrapping ErrConnection.
//   - Otherwise Canceled and DeadlineExceeded keep context.Canceled and
//     context.DeadlineExceeded in the chain.
//   - Unavailable without our ErrorInfo means the plugin did not answer:
//     authenticator.ErrUnavailable, wrapping ErrConnection.
//   - Anything else is internal, wrapping err for the host's logs.
//
// FromStatus(ctx, nil) is nil.
func FromStatus(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	st := status.Convert(err)
	var ctxErr error
	switch st.Code() {
	case codes.Canceled:
		ctxErr = context.Canceled
	case codes.DeadlineExceeded:
		ctxErr = context.DeadlineExceeded
	}
	if info := errorInfo(st); info != nil {
		code := authenticator.Code(info.Reason)
		if !authenticator.KnownCode(code) {
			code = authenticator.CodeInternal
		}
		return &authenticator.Error{Code: code, Message: st.Message(), Err: ctxErr}
	}
	switch {
	case st.Code() == codes.Canceled && ctx.Err() == nil:
		// gRPC reports a closed ClientConn as Canceled, not Unavailable.
		return authenticator.Errorf(authenticator.CodeUnavailable, "%w: connection closed: %w", ErrConnection, err)
	case ctxErr != nil:
		return authenticator.Errorf(authenticator.CodeInternal, "%w: %w", ctxErr, err)
	case st.Code() == codes.Unavailable:
		return authenticator.Errorf(authenticator.CodeUnavailable, "%w: %w", ErrConnection, err)
	default:
		return authenticator.Errorf(authenticator.CodeInternal, "%w", err)
	}
}

// errorInfo returns the status's ErrorInfo of our domain, or nil.
func errorInfo(st *status.Status) *errdetails.ErrorInfo {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.Domain == ErrorDomain {
			return info
		}
	}
	return nil
}
