package hydra

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// Error codes of the HTTP layer itself. The JSON API's "error" member is one
// of these or an authenticator.Code; openapi.yaml lists them all.
const (
	codeInvalidArgument      = string(authenticator.CodeInvalidArgument)
	codeNotFound             = string(authenticator.CodeNotFound)
	codeMethodNotAllowed     = "method_not_allowed"
	codeUnsupportedMediaType = "unsupported_media_type"
	codePayloadTooLarge      = "payload_too_large"
	codeInvalidToken         = "invalid_token"      // RFC 6750 §3.1
	codeInsufficientScope    = "insufficient_scope" // RFC 6750 §3.1
	codeCSRF                 = "csrf_mismatch"
)

// retryAfter is the Retry-After value (seconds) sent with every 503.
const retryAfter = 5

// statusByCode maps authenticator codes to HTTP statuses (doc.go explains
// the choices). Codes not listed, including any a newer plugin invents, are 500.
var statusByCode = map[authenticator.Code]int{
	authenticator.CodeInvalidArgument:   http.StatusBadRequest,
	authenticator.CodeNotFound:          http.StatusNotFound,
	authenticator.CodeConflict:          http.StatusConflict,
	authenticator.CodeChallengeUnknown:  http.StatusGone,
	authenticator.CodeVerification:      http.StatusForbidden,
	authenticator.CodeCredentialRevoked: http.StatusForbidden,
	authenticator.CodeCredentialFlagged: http.StatusForbidden,
	authenticator.CodeUserSuspended:     http.StatusForbidden,
	authenticator.CodePolicy:            http.StatusForbidden,
	authenticator.CodeUnmetRequirements: http.StatusForbidden,
	authenticator.CodeUnavailable:       http.StatusServiceUnavailable,
	authenticator.CodeInternal:          http.StatusInternalServerError,
	authenticator.CodeRateLimited:       http.StatusTooManyRequests,
}

// httpError is a failure found by the HTTP layer before (or instead of) any
// plugin call: a bad body, a missing token. Its message is user-safe.
type httpError struct {
	status  int
	code    string
	message string
	field   string // the request member at fault, if any
	cause   error  // logged, never sent
}

func (e *httpError) Error() string {
	if e.cause != nil {
		return e.code + ": " + e.message + ": " + e.cause.Error()
	}
	return e.code + ": " + e.message
}

func (e *httpError) Unwrap() error { return e.cause }

// errorBody is the JSON API's error shape.
type errorBody struct {
	Error      string `json:"error"`
	Message    string `json:"message"`
	Field      string `json:"field,omitempty"`
	RedirectTo string `json:"redirect_to,omitempty"`
}

// describe turns any error into a status and a user-safe body. Internal
// detail stays in err, for the log.
func describe(err error) (int, errorBody) {
	var he *httpError
	if errors.As(err, &he) {
		return he.status, errorBody{Error: he.code, Message: he.message, Field: he.field}
	}
	code := authenticator.CodeOf(err)
	body := errorBody{Error: string(code), Message: authenticator.PublicMessage(err)}
	var cont *continueAt
	if errors.As(err, &cont) {
		body.RedirectTo = cont.redirectTo
	}
	status, ok := statusByCode[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	return status, body
}

// logFailure logs a failed request with its internal detail: server-side
// failures as errors, client mistakes at info level.
func (s *Server) logFailure(r *http.Request, status int, code string, err error) {
	level := slog.LevelInfo
	if status >= http.StatusInternalServerError {
		level = slog.LevelError
	}
	s.log.LogAttrs(r.Context(), level, "request failed",
		slog.String("path", r.URL.Path), slog.Int("status", status),
		slog.String("code", code), slog.String("error", err.Error()))
}

// writeError answers a JSON API request with err.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := describe(err)
	s.logFailure(r, status, body.Error, err)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	s.writeJSON(w, r, status, body)
}

// writeJSON answers with v as JSON.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "encode response", slog.String("error", err.Error()))
		http.Error(w, `{"error":"internal","message":"something went wrong on our side; please try again"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", jsonContentType)
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// handlerFunc is a handler that reports failure instead of answering it;
// page and api turn the error into an HTML page or a JSON body.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// api wraps a JSON endpoint: method only (405 with Allow otherwise), and
// every failure becomes a JSON error body.
func (s *Server) api(method string, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method {
			w.Header().Set("Allow", method)
			s.writeError(w, r, &httpError{status: http.StatusMethodNotAllowed, code: codeMethodNotAllowed,
				message: "this endpoint accepts only " + method})
			return
		}
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// page wraps a browser page: a request Hydra is done with continues at
// Hydra's redirect; any other failure renders the error page. An unknown or
// expired challenge is a 400 here (a bad link), where the JSON API says 410.
func (s *Server) page(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		var cont *continueAt
		if errors.As(err, &cont) {
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "hydra is done with this request; following it",
				slog.String("path", r.URL.Path), slog.String("error", err.Error()))
			http.Redirect(w, r, cont.redirectTo, http.StatusSeeOther)
			return
		}
		status, body := describe(err)
		if body.Error == string(authenticator.CodeChallengeUnknown) {
			status = http.StatusBadRequest
		}
		s.logFailure(r, status, body.Error, err)
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		}
		s.render(w, r, status, pageError, view{Title: errorHeading(status), Body: errorView{
			Heading: errorHeading(status),
			Message: sentence(body.Message),
		}})
	})
}

// errorView is the error page's data.
type errorView struct {
	Heading string
	Message string
}

func errorHeading(status int) string {
	switch {
	case status == http.StatusNotFound:
		return "Page not found"
	case status == http.StatusForbidden:
		return "Not allowed"
	case status == http.StatusTooManyRequests:
		return "Too many attempts"
	case status == http.StatusServiceUnavailable:
		return "Temporarily unavailable"
	case status >= http.StatusInternalServerError:
		return "Something went wrong"
	default:
		return "This link cannot be used"
	}
}

// sentence capitalises msg's first letter and ends it with a full stop, so
// that the plugin's lower-case messages read well on a page.
func sentence(msg string) string {
	r, n := utf8.DecodeRuneInString(msg)
	if n == 0 {
		return msg
	}
	msg = string(unicode.ToUpper(r)) + msg[n:]
	if last, _ := utf8.DecodeLastRuneInString(msg); !unicode.IsPunct(last) {
		msg += "."
	}
	return msg
}

// render executes a page into a buffer first, so that a template failure
// becomes a clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	var buf bytes.Buffer
	v.Sandbox = s.cfg.Sandbox
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "render page", slog.String("page", name), slog.String("error", err.Error()))
		http.Error(w, "Something went wrong on our side. Please try again.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", htmlContentType)
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}
