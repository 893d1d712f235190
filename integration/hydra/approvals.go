package hydra

import (
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"
)

// approvalResponse answers GET /api/v1/approvals/{id}: a stored transaction
// approval (ADR 0005) verified again. Binary members are unpadded base64url.
type approvalResponse struct {
	ID                   string          `json:"id"`
	Valid                bool            `json:"valid"`
	Problem              string          `json:"problem,omitempty"`
	Subject              string          `json:"sub"`
	ClientID             string          `json:"client_id"`
	ACR                  string          `json:"acr"`
	AuthorizationDetails json.RawMessage `json:"authorization_details"`
	DetailsHash          string          `json:"authorization_details_hash"`
	CredentialID         string          `json:"credential_id"`
	CreatedAt            time.Time       `json:"created_at"`
	Assertion            assertionJSON   `json:"assertion"`
}

// assertionJSON is the signed WebAuthn assertion kept as evidence.
type assertionJSON struct {
	AuthenticatorData string `json:"authenticator_data"`
	ClientDataJSON    string `json:"client_data_json"`
	Signature         string `json:"signature"`
}

// approval is GET /api/v1/approvals/{id}: a relying party's backend, holding
// an access token with ApprovalScope, verifies an approval again (the
// approval_id claim of its tokens). A client sees only its own approvals:
// another client's is 404, like an unknown id.
func (s *Server) approval(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	tok, err := s.authorizeScope(ctx, w, r, s.cfg.ApprovalScope)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if id == "" {
		return invalid("id", "the approval id is missing from the path", nil)
	}
	v, err := s.auth.VerifyApproval(ctx, id)
	if err != nil {
		return err
	}
	notFound := &httpError{status: http.StatusNotFound, code: codeNotFound, message: "there is no approval with this id"}
	if client := tok.GetClientId(); client == "" || v.Approval.ClientID != client {
		s.log.LogAttrs(ctx, slog.LevelWarn, "approval asked for by another client",
			slog.String("client_id", client), slog.String("approval_id", id))
		return notFound
	}
	a := v.Approval
	details := a.AuthorizationDetails
	if !json.Valid(details) {
		details = json.RawMessage("null")
	}
	b64 := base64.RawURLEncoding.EncodeToString
	s.writeJSON(w, r, http.StatusOK, approvalResponse{
		ID: a.ID, Valid: v.Valid, Problem: v.Problem, Subject: a.UserExternalID, ClientID: a.ClientID, ACR: a.ACR,
		AuthorizationDetails: details, DetailsHash: a.DetailsHash, CredentialID: b64(a.CredentialID),
		CreatedAt: a.CreatedAt.UTC(),
		Assertion: assertionJSON{AuthenticatorData: b64(a.AuthenticatorData), ClientDataJSON: b64(a.ClientDataJSON), Signature: b64(a.Signature)},
	})
	return nil
}
