package authenticator

import (
	"errors"
	"fmt"
	"slices"
)

// Code classifies an error so that callers, including hosts on the far side of
// the plugin wire, can decide what to do with it. Codes are stable strings: they
// cross the wire and appear in JSON API responses.
type Code string

// The error codes. Each one has a sentinel below for use with errors.Is.
const (
	CodeInternal          Code = "internal"
	CodeInvalidArgument   Code = "invalid_argument"
	CodeNotFound          Code = "not_found"
	CodeConflict          Code = "conflict"
	CodeChallengeUnknown  Code = "challenge_unknown"
	CodeVerification      Code = "verification_failed"
	CodeCredentialRevoked Code = "credential_revoked"
	CodeCredentialFlagged Code = "credential_flagged"
	CodeUserSuspended     Code = "user_suspended"
	CodePolicy            Code = "policy_denied"
	CodeUnmetRequirements Code = "unmet_authentication_requirements" // BeginAuthentication; FinishAuthentication reports it in its result
	CodeUnavailable       Code = "unavailable"
	CodeRateLimited       Code = "rate_limited" // too many attempts for this user; try later
)

// Error is the one error type the authenticator returns. Message is safe to
// show to an end user; Err carries the internal detail for logs and never
// crosses the plugin wire.
type Error struct {
	Code    Code
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, ErrNotFound) holds for every not-found error, including one
// rebuilt by the plugin client from a wire code. (go-webauthn's templates lack
// this method, which is why their copies defeat errors.Is; see STYLE.md.)
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code == e.Code
}

// Retryable reports whether the same call may succeed if simply tried again.
func (e *Error) Retryable() bool { return e.Code == CodeUnavailable }

// Sentinels, one per code, for errors.Is. Their messages are the generic,
// user-safe defaults.
var (
	ErrInternal          = &Error{Code: CodeInternal, Message: "something went wrong on our side; please try again"}
	ErrInvalidArgument   = &Error{Code: CodeInvalidArgument, Message: "the request is not valid"}
	ErrNotFound          = &Error{Code: CodeNotFound, Message: "not found"}
	ErrConflict          = &Error{Code: CodeConflict, Message: "already exists"}
	ErrChallengeUnknown  = &Error{Code: CodeChallengeUnknown, Message: "this sign-in request has expired or was already used; please start again"}
	ErrVerification      = &Error{Code: CodeVerification, Message: "the passkey could not be verified"}
	ErrCredentialRevoked = &Error{Code: CodeCredentialRevoked, Message: "this passkey is no longer valid"}
	ErrCredentialFlagged = &Error{Code: CodeCredentialFlagged, Message: "this passkey has been locked for your protection; please contact support"}
	ErrUserSuspended     = &Error{Code: CodeUserSuspended, Message: "this account is suspended; please contact support"}
	ErrPolicy            = &Error{Code: CodePolicy, Message: "this passkey is not allowed here"}
	ErrUnmetRequirements = &Error{Code: CodeUnmetRequirements, Message: "the requested level of assurance cannot be met"}
	ErrUnavailable       = &Error{Code: CodeUnavailable, Message: "the service is temporarily unavailable; please try again"}
	ErrRateLimited       = &Error{Code: CodeRateLimited, Message: "too many attempts; please wait a while and try again"}
)

// Errorf returns an error with code's sentinel message and an internal cause
// formatted from format and args (use %w to keep a chain).
func Errorf(code Code, format string, args ...any) error {
	return &Error{Code: code, Message: Sentinel(code).Message, Err: fmt.Errorf(format, args...)}
}

// UserError returns an error with code and a specific user-safe message.
func UserError(code Code, message string, cause error) error {
	return &Error{Code: code, Message: message, Err: cause}
}

// CodeOf returns the code of err, or CodeInternal when err is not an *Error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// PublicMessage returns the user-safe message of err; anything that is not an
// *Error gets the generic internal message, never its own text.
func PublicMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return ErrInternal.Message
}

var sentinels = map[Code]*Error{
	CodeInternal: ErrInternal, CodeInvalidArgument: ErrInvalidArgument, CodeNotFound: ErrNotFound,
	CodeConflict: ErrConflict, CodeChallengeUnknown: ErrChallengeUnknown, CodeVerification: ErrVerification,
	CodeCredentialRevoked: ErrCredentialRevoked, CodeCredentialFlagged: ErrCredentialFlagged,
	CodeUserSuspended: ErrUserSuspended, CodePolicy: ErrPolicy, CodeUnmetRequirements: ErrUnmetRequirements,
	CodeUnavailable: ErrUnavailable, CodeRateLimited: ErrRateLimited,
}

// Sentinel returns the sentinel for code; unknown codes (say, from a newer
// plugin) map to ErrInternal.
func Sentinel(code Code) *Error {
	if s, ok := sentinels[code]; ok {
		return s
	}
	return ErrInternal
}

// Codes returns every code this version defines, sorted.
func Codes() []Code {
	out := make([]Code, 0, len(sentinels))
	for c := range sentinels {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// KnownCode reports whether code is one this version defines.
func KnownCode(code Code) bool {
	_, ok := sentinels[code]
	return ok
}
