package hydra

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	hydraapi "github.com/ory/hydra-client-go/v2"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// Hydra puts acr and auth_time into ID tokens but not into access tokens or
// introspection (reference/hydra-and-oidc.md §3, §4). Resource servers that
// apply RFC 9470 step-up checks need both, so the provider carries them from
// the login step to the consent step and adds them to the access token's
// session data there:
//
//   - accepting a login (fresh or skipped) writes loginContext into the
//     accept body's context, under loginContextKey. Hydra stores it
//     server-side with the flow and returns it on that flow's consent
//     request; neither the browser nor the client can change it.
//   - accepting consent reads it back and sets session.access_token to
//     {"acr": …, "auth_time": …}. Introspection returns that under ext;
//     with oauth2.allowed_top_level_claims = [acr, auth_time] Hydra also
//     lifts both to the top level of JWT access tokens
//     (hydraproc sets OAUTH2_ALLOWED_TOP_LEVEL_CLAIMS=acr,auth_time).
//   - when the login approved RFC 9396 authorization_details (ADR 0005),
//     the login context also holds them (the canonical JSON the passkey
//     signed over, as a string), their hash and the approval id; consent
//     checks the hash again and puts authorization_details,
//     authorization_details_hash and approval_id into both session.id_token
//     and session.access_token. A login context whose details do not match
//     their hash puts them into neither.
//
// Refresh grants keep the consent's session data, so refreshed access
// tokens carry the same acr and auth_time: the sign-in's, not the refresh's.

// loginContextKey is the key of loginContext in Hydra's login context.
const loginContextKey = "biometric_passkey"

// Claim names of an approved transaction (ADR 0005), in both the ID token
// (session.id_token) and the access token (session.access_token).
const (
	claimAuthorizationDetails = "authorization_details"      // RFC 9396 §7.1
	claimDetailsHash          = "authorization_details_hash" // base64url SHA-256 of the RFC 8785 form
	claimApprovalID           = "approval_id"                // GET /api/v1/approvals/{id}
)

// loginContext is what the login step tells the consent step.
type loginContext struct {
	ACR string `json:"acr"`
	// AuthTime is when the user signed in, in Unix seconds; for a skipped
	// login, the recorded sign-in's time.
	AuthTime int64 `json:"auth_time,omitempty"`
	// AuthorizationDetails is the RFC 8785 canonical JSON text of the RFC
	// 9396 details this login approved, kept as a string so that it
	// survives Hydra's storage byte for byte; DetailsHash is its base64url
	// SHA-256 and ApprovalID the stored approval. All empty without details.
	AuthorizationDetails string `json:"authorization_details,omitempty"`
	DetailsHash          string `json:"authorization_details_hash,omitempty"`
	ApprovalID           string `json:"approval_id,omitempty"`
}

// loginApproval is what a login approved, from the plugin's
// AuthenticationResult; the zero value approved nothing.
type loginApproval struct {
	Details    []byte // canonical JSON
	Hash       string
	ApprovalID string
}

// approvalOf returns what res approved.
func approvalOf(res authenticator.AuthenticationResult) loginApproval {
	return loginApproval{Details: res.AuthorizationDetails, Hash: res.DetailsHash, ApprovalID: res.ApprovalID}
}

// newLoginContext is the context of an accepted login. A zero authTime
// (a plugin that does not report it) leaves auth_time out, and the consent
// step then adds nothing to the tokens.
func newLoginContext(acrValue string, authTime time.Time, approval loginApproval) map[string]any {
	lc := loginContext{ACR: acrValue}
	if !authTime.IsZero() {
		lc.AuthTime = authTime.Unix()
	}
	if len(approval.Details) > 0 {
		lc.AuthorizationDetails = string(approval.Details)
		lc.DetailsHash = approval.Hash
		lc.ApprovalID = approval.ApprovalID
	}
	return map[string]any{loginContextKey: lc}
}

// sessionClaims returns the access token's and the ID token's session data
// for a consent request. The access token gets the acr and auth_time this
// provider wrote at login; both tokens get authorization_details,
// authorization_details_hash and approval_id when that login approved
// details; the ID token also gets an operator's roles when the client is
// the operator dashboard (operatorRoles). Both are nil when the consent request does not carry a usable
// login context (a login accepted by another provider or an older version),
// or its acr is not the one Hydra holds for the flow. Only the consent
// request Hydra returned is read, never anything the browser sends.
func (s *Server) sessionClaims(ctx context.Context, cr *hydraapi.OAuth2ConsentRequest) (access, id map[string]any) {
	lc, problem := readLoginContext(cr)
	if problem == "" && lc.ACR != cr.GetAcr() {
		problem = "its acr differs from the consent request's"
	}
	client := cr.GetClient()
	if problem != "" {
		s.log.LogAttrs(ctx, slog.LevelWarn, "consent: access token gets no acr or auth_time",
			slog.String("reason", "the login context "+problem), slog.String("client_id", client.GetClientId()),
			slog.String("acr", cr.GetAcr()))
		return nil, nil
	}
	access = map[string]any{"acr": lc.ACR, "auth_time": lc.AuthTime}
	if roles := s.operatorRoles(cr); roles != nil {
		id = map[string]any{s.cfg.OperatorRolesClaim: roles}
	}
	if lc.AuthorizationDetails == "" {
		return access, id
	}
	if problem := checkApproval(lc); problem != "" {
		// Never issue details the hash does not cover: leave them out of
		// both tokens, so the relying party sees no approval at all.
		s.log.LogAttrs(ctx, slog.LevelError, "consent: tokens get no authorization_details",
			slog.String("reason", problem), slog.String("client_id", client.GetClientId()),
			slog.String("approval_id", lc.ApprovalID))
		return access, id
	}
	approved := map[string]any{
		claimAuthorizationDetails: json.RawMessage(lc.AuthorizationDetails),
		claimDetailsHash:          lc.DetailsHash,
		claimApprovalID:           lc.ApprovalID,
	}
	maps.Copy(access, approved)
	if id == nil {
		id = map[string]any{}
	}
	maps.Copy(id, approved)
	return access, id
}

// checkApproval says why a login context's approval cannot go into tokens:
// the details are not a JSON array, their hash does not match, or the
// approval id is missing.
func checkApproval(lc loginContext) string {
	text := lc.AuthorizationDetails
	if !json.Valid([]byte(text)) || !strings.HasPrefix(text, "[") {
		return "the approved details are not a JSON array"
	}
	sum := sha256.Sum256([]byte(text))
	if want := base64.RawURLEncoding.EncodeToString(sum[:]); subtle.ConstantTimeCompare([]byte(want), []byte(lc.DetailsHash)) != 1 {
		return "the approved details do not match their hash"
	}
	if lc.ApprovalID == "" {
		return "the approval has no id"
	}
	return ""
}

// readLoginContext decodes loginContext from a consent request's context;
// problem says why it cannot be used.
func readLoginContext(cr *hydraapi.OAuth2ConsentRequest) (lc loginContext, problem string) {
	if cr.Context == nil {
		return lc, "is missing"
	}
	raw, err := json.Marshal(cr.Context)
	if err != nil {
		return lc, "cannot be read"
	}
	var c struct {
		LC *loginContext `json:"biometric_passkey"`
	}
	switch {
	case json.Unmarshal(raw, &c) != nil:
		return lc, "is malformed"
	case c.LC == nil:
		return lc, "is missing"
	case c.LC.ACR == "" || c.LC.AuthTime <= 0:
		return lc, "lacks acr or auth_time"
	}
	return *c.LC, ""
}

// operatorRoles returns the role values of cr's subject for the ID token,
// or nil: only when the consenting client is one of OperatorClients (the
// operator dashboard), the subject is listed in OperatorRoles, and (as
// sessionClaims requires) this provider accepted the login. No other
// client's tokens ever carry the claim, so a relying party cannot learn who
// operates the service.
func (s *Server) operatorRoles(cr *hydraapi.OAuth2ConsentRequest) []string {
	client := cr.GetClient()
	if !slices.Contains(s.cfg.OperatorClients, client.GetClientId()) {
		return nil
	}
	roles, ok := s.cfg.OperatorRoles[cr.GetSubject()]
	if !ok {
		return nil
	}
	return slices.Clone(roles)
}
