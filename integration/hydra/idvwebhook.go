package hydra

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// maxWebhookBytes bounds an identity-verification webhook body. Vendor
// notifications are a few KiB; 1 MiB leaves ample room and stops abuse.
const maxWebhookBytes = 1 << 20

// webhookHeaders is the allow-list of request headers forwarded to the
// plugin with a webhook: the media type and the signature header the
// configured provider signs the raw body with (Onfido: X-SHA2-Signature,
// canonically X-Sha2-Signature). Nothing else is passed on; in particular
// Cookie and Authorization never are. To support a provider that signs
// with another header (or needs a timestamp header for its signature),
// add its canonical name (http.CanonicalHeaderKey) here and document it in
// openapi.yaml; keep the list to what signature verification needs.
var webhookHeaders = []string{
	"Content-Type",
	"X-Sha2-Signature",
}

// webhookAnswer is the body of a webhook that was taken (200).
type webhookAnswer struct {
	Status string `json:"status"`
}

// idvWebhook takes an identity-verification provider's notification and
// hands it, unparsed, to the plugin (DESIGN.md §7.5). The signature covers
// the raw bytes, so the host never decodes the body: it reads at most
// maxWebhookBytes (413 beyond, and the plugin is not called), forwards only
// the allow-listed headers, and calls auth.ApplyIDVWebhook, which verifies
// before anything is decoded. Server-to-server: no cookies, no CSRF.
//
// Answers, chosen for the vendor's retry logic (it retries on non-2xx):
//
//	applied, or already final         200 {"status":"accepted"}
//	not_found (a run that is not ours) 200 {"status":"ignored"}: retrying cannot help
//	invalid_argument (bad signature, malformed, another user's or
//	ceremony's run)                    400 generic error body; the request body is never echoed
//	unavailable                        503 + Retry-After: the vendor retries
//	anything else                      500
//	a method other than POST           405 + Allow: POST
func (s *Server) idvWebhook(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return &httpError{status: http.StatusRequestEntityTooLarge, code: codePayloadTooLarge,
				message: "the request body is larger than " + strconv.Itoa(maxWebhookBytes) + " bytes", cause: err}
		}
		return &httpError{status: http.StatusBadRequest, code: codeInvalidArgument,
			message: "the request body could not be read", cause: err}
	}
	header := make(http.Header, len(webhookHeaders))
	for _, name := range webhookHeaders {
		if v := r.Header.Values(name); len(v) > 0 {
			header[name] = append([]string(nil), v...)
		}
	}

	chk, err := s.auth.ApplyIDVWebhook(r.Context(), header, body)
	switch code := authenticator.CodeOf(err); {
	case err == nil:
		s.writeJSON(w, r, http.StatusOK, webhookAnswer{Status: "accepted"})
	case code == authenticator.CodeNotFound:
		// Not our run: acknowledge so the vendor stops retrying. Only the
		// provider's run id is logged, never the body or the headers.
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "identity-verification webhook for an unknown run; ignored",
			slog.String("run_id", chk.RunID))
		s.writeJSON(w, r, http.StatusOK, webhookAnswer{Status: "ignored"})
	case code == authenticator.CodeInvalidArgument:
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "identity-verification webhook rejected",
			slog.String("path", r.URL.Path), slog.String("error", err.Error()))
		s.writeJSON(w, r, http.StatusBadRequest, errorBody{Error: codeInvalidArgument, Message: authenticator.ErrInvalidArgument.Message})
	case code == authenticator.CodeUnavailable:
		return err // 503 + Retry-After
	default:
		s.logFailure(r, http.StatusInternalServerError, string(code), err)
		s.writeJSON(w, r, http.StatusInternalServerError,
			errorBody{Error: string(authenticator.CodeInternal), Message: authenticator.ErrInternal.Message})
	}
	return nil
}
