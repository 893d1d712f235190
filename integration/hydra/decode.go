package hydra

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// maxBodyBytes bounds every JSON request body. A WebAuthn attestation with
// a certificate chain is a few KiB; 64 KiB leaves room and stops abuse.
const maxBodyBytes = 64 << 10

// request is a JSON request body that can check its own required members.
type request interface {
	validate() error
}

// decodeJSON reads r's body into dst, strictly: the media type must be
// application/json (415), the body at most maxBodyBytes (413), exactly one
// JSON object with no unknown members and nothing after it, and every
// required member present (400 naming the member). Every JSON endpoint
// decodes through here, so nothing reaches the authenticator unchecked
// (DESIGN.md §7.10).
func decodeJSON(w http.ResponseWriter, r *http.Request, dst request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != jsonContentType {
		return &httpError{status: http.StatusUnsupportedMediaType, code: codeUnsupportedMediaType,
			message: "the request body must be JSON, sent with Content-Type: application/json", cause: err}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if err := dec.Decode(&json.RawMessage{}); !errors.Is(err, io.EOF) {
		if maxErr := (*http.MaxBytesError)(nil); errors.As(err, &maxErr) {
			return decodeError(err)
		}
		return invalid("", "the request body must hold exactly one JSON object, with nothing after it", err)
	}
	return dst.validate()
}

// decodeError explains a json.Decoder failure in terms a client developer
// can act on.
func decodeError(err error) *httpError {
	var (
		maxErr    *http.MaxBytesError
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &maxErr):
		return &httpError{status: http.StatusRequestEntityTooLarge, code: codePayloadTooLarge,
			message: fmt.Sprintf("the request body is larger than %d bytes", maxBodyBytes), cause: err}
	case errors.Is(err, io.EOF):
		return invalid("", "the request body is empty; send a JSON object", err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("", "the request body is truncated JSON", err)
	case errors.As(err, &syntaxErr):
		return invalid("", fmt.Sprintf("the request body is not valid JSON (at byte %d)", syntaxErr.Offset), err)
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return invalid("", "the request body must be a JSON object", err)
	case errors.As(err, &typeErr):
		return invalid(typeErr.Field, fmt.Sprintf("member %q must be a JSON %s", typeErr.Field, jsonKind(typeErr.Type.Kind())), err)
	}
	// encoding/json reports an unknown member only as text.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		field := strings.Trim(name, `"`)
		return invalid(field, fmt.Sprintf("unknown member %q", field), err)
	}
	return invalid("", "the request body could not be read as the expected JSON object", err)
}

// jsonKind names a Go kind the way a JSON client thinks of it.
func jsonKind(kind reflect.Kind) string {
	switch kind {
	case reflect.String:
		return "string"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Bool:
		return "boolean"
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return "value of another type"
}

// invalid is a 400 invalid_argument about field ("" for the whole body).
func invalid(field, message string, cause error) *httpError {
	return &httpError{status: http.StatusBadRequest, code: codeInvalidArgument, message: message, field: field, cause: cause}
}

// required checks that the member called field has a non-blank value.
func required(field, value string) error {
	if strings.TrimSpace(value) == "" {
		return invalid(field, fmt.Sprintf("member %q is required", field), nil)
	}
	return nil
}

// credentialObject checks that raw is a JSON object: the PublicKeyCredential
// as serialised by toJSON() (WebAuthn L3 §5.1.9).
func credentialObject(raw json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		return invalid("credential", `member "credential" is required`, nil)
	}
	if trimmed := bytes.TrimLeft(raw, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
		return invalid("credential", `member "credential" must be the PublicKeyCredential as a JSON object`, nil)
	}
	return nil
}

// loginBeginRequest is POST /api/v1/login/begin.
type loginBeginRequest struct {
	LoginChallenge string `json:"login_challenge"`
	Username       string `json:"username"` // optional: empty = usernameless (discoverable)
}

func (q *loginBeginRequest) validate() error { return required("login_challenge", q.LoginChallenge) }

// finishRequest is POST /api/v1/login/finish and /api/v1/enroll/finish.
type finishRequest struct {
	CeremonyID string          `json:"ceremony_id"`
	Credential json.RawMessage `json:"credential"`
	// ReturnToken asks for an identity check's journey token in the answer
	// body (identity_check.token), for native apps that keep no cookies.
	// Browsers leave it out: the token then lives only in an HttpOnly cookie.
	ReturnToken bool `json:"return_token"`
}

func (q *finishRequest) validate() error {
	if err := required("ceremony_id", q.CeremonyID); err != nil {
		return err
	}
	return credentialObject(q.Credential)
}

// enrollBeginRequest is POST /api/v1/enroll/begin.
type enrollBeginRequest struct {
	Token string `json:"token"`
}

func (q *enrollBeginRequest) validate() error { return required("token", q.Token) }

// createEnrollmentRequest is POST /api/v1/enrollments.
type createEnrollmentRequest struct {
	ExternalUserID string `json:"external_user_id"`
	Username       string `json:"username"`
	DisplayName    string `json:"display_name"`
	ReturnURL      string `json:"return_url"`
	// Purpose is "enrollment" (the default) or "recovery": a recovery link
	// for an enrolled user who lost their device.
	Purpose string `json:"purpose"`
}

func (q *createEnrollmentRequest) validate() error {
	if err := required("external_user_id", q.ExternalUserID); err != nil {
		return err
	}
	switch q.Purpose {
	case "", authenticator.PurposeEnrollment, authenticator.PurposeRecovery:
		return nil
	}
	return invalid("purpose", fmt.Sprintf("member %q must be %q or %q", "purpose",
		authenticator.PurposeEnrollment, authenticator.PurposeRecovery), nil)
}

// continueRequest is POST /api/v1/identity-check/continue. Token is
// optional in the body: browsers send the journey's cookie instead.
type continueRequest struct {
	Token  string `json:"token"`
	Cancel bool   `json:"cancel"`
}

func (q *continueRequest) validate() error {
	if q.Token != "" {
		return required("token", q.Token) // present, then not blank
	}
	return nil
}

// recoveryBeginRequest is POST /api/v1/recovery/begin.
type recoveryBeginRequest struct {
	LoginChallenge string `json:"login_challenge"`
	Username       string `json:"username"`
	ReturnToken    bool   `json:"return_token"` // as in finishRequest
}

func (q *recoveryBeginRequest) validate() error {
	if err := required("login_challenge", q.LoginChallenge); err != nil {
		return err
	}
	return required("username", q.Username)
}
