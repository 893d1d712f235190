package convert_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/plugin/internal/convert"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const secret = "dial tcp 10.0.0.7:5432: password authentication failed for user app"

func TestErrorRoundTrip(t *testing.T) {
	t.Parallel()
	for _, code := range authenticator.Codes() {
		want := authenticator.Sentinel(code)
		t.Run(string(want.Code), func(t *testing.T) {
			t.Parallel()
			msg := "user-safe message for " + string(want.Code)
			sent := fmt.Errorf("handler: %w", &authenticator.Error{Code: want.Code, Message: msg, Err: errors.New(secret)})
			got := convert.FromStatus(t.Context(), convert.ToStatus(sent).Err())
			if !errors.Is(got, want) {
				t.Errorf("errors.Is(%v, %v): got false, want true", got, want)
			}
			var e *authenticator.Error
			if !errors.As(got, &e) {
				t.Fatalf("errors.As: got %T, want *authenticator.Error", got)
			}
			if e.Message != msg {
				t.Errorf("Message: got %q, want %q", e.Message, msg)
			}
			if e.Err != nil || strings.Contains(got.Error(), "password") {
				t.Errorf("internal detail crossed the wire: got %q (Err %v), want no detail", got, e.Err)
			}
		})
	}
}

func TestToStatus(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		err      error
		wantCode codes.Code
		wantMsg  string
	}{
		"typed":            {authenticator.Errorf(authenticator.CodeNotFound, "user %q: %s", "u-1", secret), codes.NotFound, authenticator.ErrNotFound.Message},
		"untyped":          {errors.New(secret), codes.Internal, authenticator.ErrInternal.Message},
		"canceled":         {fmt.Errorf("store: %w", context.Canceled), codes.Canceled, authenticator.ErrInternal.Message},
		"deadline in type": {authenticator.Errorf(authenticator.CodeUnavailable, "redis: %w", context.DeadlineExceeded), codes.DeadlineExceeded, authenticator.ErrUnavailable.Message},
		"unknown code":     {&authenticator.Error{Code: "from_the_future", Message: "m"}, codes.Unknown, "m"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := convert.ToStatus(tt.err)
			if st.Code() != tt.wantCode || st.Message() != tt.wantMsg {
				t.Errorf("ToStatus(%v): got %v %q, want %v %q", tt.err, st.Code(), st.Message(), tt.wantCode, tt.wantMsg)
			}
			if strings.Contains(fmt.Sprint(st.Proto()), "password") {
				t.Errorf("ToStatus(%v): got %v, want no internal detail", tt.err, st.Proto())
			}
		})
	}
}

func TestFromStatus(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		err      error
		canceled bool // the caller's context was cancelled
		wantCode authenticator.Code
		wantIs   []error
		wantMsg  string
		wantConn bool // the plugin did not answer
	}{
		"unknown code": {
			err:      convert.ToStatus(&authenticator.Error{Code: "from_the_future", Message: "try later"}).Err(),
			wantCode: authenticator.CodeInternal, wantIs: []error{authenticator.ErrInternal}, wantMsg: "try later",
		},
		"connection lost": {
			err:      status.Error(codes.Unavailable, "error reading from server: EOF"),
			wantCode: authenticator.CodeUnavailable, wantIs: []error{authenticator.ErrUnavailable},
			wantMsg: authenticator.ErrUnavailable.Message, wantConn: true,
		},
		"unavailable from the plugin": {
			err:      convert.ToStatus(authenticator.ErrUnavailable).Err(),
			wantCode: authenticator.CodeUnavailable, wantIs: []error{authenticator.ErrUnavailable},
			wantMsg: authenticator.ErrUnavailable.Message,
		},
		"deadline": {
			err:      status.Error(codes.DeadlineExceeded, "context deadline exceeded"),
			wantCode: authenticator.CodeInternal, wantIs: []error{context.DeadlineExceeded},
			wantMsg: authenticator.ErrInternal.Message,
		},
		"canceled with our code": {
			err:      convert.ToStatus(authenticator.Errorf(authenticator.CodeUnavailable, "%w", context.Canceled)).Err(),
			wantCode: authenticator.CodeUnavailable, wantIs: []error{authenticator.ErrUnavailable, context.Canceled},
			wantMsg: authenticator.ErrUnavailable.Message,
		},
		"connection closed under the call": {
			err:      status.Error(codes.Canceled, "grpc: the client connection is closing"),
			wantCode: authenticator.CodeUnavailable, wantIs: []error{authenticator.ErrUnavailable},
			wantMsg: authenticator.ErrUnavailable.Message, wantConn: true,
		},
		"canceled by the caller": {
			err: status.Error(codes.Canceled, "context canceled"), canceled: true,
			wantCode: authenticator.CodeInternal, wantIs: []error{context.Canceled},
			wantMsg: authenticator.ErrInternal.Message,
		},
		"other transport error": {
			err:      status.Error(codes.Unimplemented, "unknown method"),
			wantCode: authenticator.CodeInternal, wantIs: []error{authenticator.ErrInternal},
			wantMsg: authenticator.ErrInternal.Message,
		},
		"not a status": {
			err:      errors.New("boom"),
			wantCode: authenticator.CodeInternal, wantIs: []error{authenticator.ErrInternal},
			wantMsg: authenticator.ErrInternal.Message,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(t.Context())
			if tt.canceled {
				cancel()
			}
			defer cancel()
			got := convert.FromStatus(ctx, tt.err)
			if code := authenticator.CodeOf(got); code != tt.wantCode {
				t.Errorf("CodeOf(FromStatus(%v)): got %q, want %q", tt.err, code, tt.wantCode)
			}
			for _, target := range tt.wantIs {
				if !errors.Is(got, target) {
					t.Errorf("errors.Is(%v, %v): got false, want true", got, target)
				}
			}
			if msg := authenticator.PublicMessage(got); msg != tt.wantMsg {
				t.Errorf("PublicMessage: got %q, want %q", msg, tt.wantMsg)
			}
			if conn := errors.Is(got, convert.ErrConnection); conn != tt.wantConn {
				t.Errorf("errors.Is(%v, ErrConnection): got %t, want %t", got, conn, tt.wantConn)
			}
		})
	}
	if err := convert.FromStatus(t.Context(), nil); err != nil {
		t.Errorf("FromStatus(ctx, nil): got %v, want nil", err)
	}
}
