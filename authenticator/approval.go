package authenticator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"

	"github.com/biometric-passkey/biometric-passkey/acr"
)

// Transaction approvals (ADR 0005, PSD2 dynamic linking): a login whose
// WebAuthn challenge committed to RFC 9396 authorization_details keeps the
// signed assertion, so that anyone holding the credential's public key can
// check later that this user's authenticator signed exactly these details.

var errApprovalNotFound = &Error{Code: CodeNotFound, Message: "this approval is unknown"}

// signedAssertion is the part of an assertion that the authenticator signed
// or that the signature covers, exactly as received (WebAuthn §6.1, §5.8.1,
// §6.3.3).
type signedAssertion struct {
	AuthenticatorData []byte `json:"auth_data"`
	ClientDataJSON    []byte `json:"client_data"`
	Signature         []byte `json:"sig"`
}

func signedAssertionOf(p *protocol.ParsedCredentialAssertionData) signedAssertion {
	r := p.Raw.AssertionResponse
	return signedAssertion{
		AuthenticatorData: slices.Clone([]byte(r.AuthenticatorData)),
		ClientDataJSON:    slices.Clone([]byte(r.ClientDataJSON)),
		Signature:         slices.Clone([]byte(r.Signature)),
	}
}

// newApproval returns the approval a login accepted at acrValue records, or
// nil when the login approved no details.
func (s *Service) newApproval(user, client string, credID []byte, acrValue string, details json.RawMessage, hash string, a signedAssertion) (*Approval, error) {
	if len(details) == 0 {
		return nil, nil
	}
	id, err := s.randomID(16)
	if err != nil {
		return nil, err
	}
	return &Approval{
		ID: id, UserExternalID: user, ClientID: client, CredentialID: slices.Clone(credID), ACR: acrValue,
		AuthorizationDetails: slices.Clone(details), DetailsHash: hash,
		AuthenticatorData: a.AuthenticatorData, ClientDataJSON: a.ClientDataJSON, Signature: a.Signature,
		CreatedAt: s.now().UTC(),
	}, nil
}

// recordApproval stores a (if not nil) with its approval.recorded event,
// inside the caller's transaction.
func (s *Service) recordApproval(ctx context.Context, tx Tx, a *Approval) error {
	if a == nil {
		return nil
	}
	if err := tx.CreateApproval(ctx, *a); err != nil {
		return fmt.Errorf("record approval: %w", err)
	}
	return s.event(ctx, tx, Event{Type: EventApprovalRecorded, UserExternalID: a.UserExternalID, CredentialID: a.CredentialID,
		Actor: "user", Detail: map[string]string{"approval_id": a.ID, "details_hash": a.DetailsHash, "client": a.ClientID, "acr": a.ACR}})
}

// withApproval fills an accepted result with what it approved.
func withApproval(res AuthenticationResult, a *Approval) AuthenticationResult {
	if a != nil {
		res.AuthorizationDetails, res.DetailsHash, res.ApprovalID = slices.Clone(a.AuthorizationDetails), a.DetailsHash, a.ID
	}
	return res
}

// VerifyApproval verifies a stored approval again, from the stored bytes
// and the credential's public key alone: the signature over
// authenticatorData || SHA-256(clientDataJSON) (WebAuthn §7.2 steps 21-22),
// clientDataJSON's type, origin and challenge (steps 11-13), the rpIdHash and
// UV flag (steps 15, 17), and that the challenge commits to the SHA-256 of
// the stored canonical details (ADR 0005), recomputed rather than taken from
// DetailsHash.
//
// A failed check is Valid false with the Problem, not an error. Errors: an
// unknown or malformed id is CodeNotFound or CodeInvalidArgument; a store
// failure is internal.
func (s *Service) VerifyApproval(ctx context.Context, id string) (ApprovalVerification, error) {
	if err := validateToken("approval_id", id); err != nil {
		return ApprovalVerification{}, err
	}
	a, err := s.store.GetApproval(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return ApprovalVerification{}, withCause(errApprovalNotFound, err)
	}
	if err != nil {
		return ApprovalVerification{}, fmt.Errorf("get approval %s: %w", id, err)
	}
	out := ApprovalVerification{Approval: a}
	cred, err := s.store.GetCredential(ctx, a.CredentialID)
	switch {
	case errors.Is(err, ErrNotFound):
		out.Problem = "the credential that signed the approval is not stored"
	case err != nil:
		return ApprovalVerification{}, fmt.Errorf("get credential of approval %s: %w", id, err)
	case cred.UserExternalID != a.UserExternalID:
		out.Problem = "the credential that signed the approval belongs to another user"
	default:
		// A credential revoked since still verifies: the approval was signed
		// while it was active, which the event log records.
		out.Problem = checkApproval(s.cfg.RPID, s.cfg.RPOrigins, cred.PublicKey, a)
	}
	out.Valid = out.Problem == ""
	if !out.Valid {
		s.log.WarnContext(ctx, "approval does not verify", "approval_id", id, "user", a.UserExternalID, "problem", out.Problem)
	}
	return out, nil
}

// approvalClientData is the part of CollectedClientData (WebAuthn §5.8.1)
// an approval's verification reads.
type approvalClientData struct {
	Type        string `json:"type"`
	Challenge   string `json:"challenge"`
	Origin      string `json:"origin"`
	CrossOrigin bool   `json:"crossOrigin"`
}

// checkApproval returns why the approval does not verify against the
// credential's COSE public key, or "" when it does. It parses only stored
// bytes and never panics on them.
func checkApproval(rpID string, origins []string, publicKey []byte, a Approval) string {
	// WebAuthn §7.2 steps 20-22: the signature over authenticatorData ||
	// SHA-256(clientDataJSON) with the credential's public key.
	key, err := webauthncose.ParsePublicKey(publicKey)
	if err != nil {
		return "the credential's public key cannot be parsed"
	}
	cdHash := sha256.Sum256(a.ClientDataJSON)
	signed := append(slices.Clone(a.AuthenticatorData), cdHash[:]...)
	if ok, err := webauthncose.VerifySignature(key, signed, a.Signature); err != nil || !ok {
		return "the signature does not verify over authenticatorData and clientDataJSON with the credential's public key"
	}
	// Steps 10-13: clientDataJSON is a get ceremony from one of our origins.
	var cd approvalClientData
	if err := json.Unmarshal(a.ClientDataJSON, &cd); err != nil {
		return "clientDataJSON is not valid JSON"
	}
	if cd.Type != string(protocol.AssertCeremony) {
		return fmt.Sprintf("clientDataJSON type is %q, want %q", cd.Type, protocol.AssertCeremony)
	}
	if !slices.Contains(origins, cd.Origin) {
		return fmt.Sprintf("clientDataJSON origin %q is not one of this service's origins", cd.Origin)
	}
	if cd.CrossOrigin {
		return "clientDataJSON says the ceremony ran cross-origin"
	}
	// Steps 15 and 17: our RP ID, and the user was verified.
	var ad protocol.AuthenticatorData
	if err := ad.Unmarshal(a.AuthenticatorData); err != nil {
		return "authenticatorData cannot be parsed"
	}
	rpHash := sha256.Sum256([]byte(rpID))
	if subtle.ConstantTimeCompare(ad.RPIDHash, rpHash[:]) != 1 {
		return "authenticatorData rpIdHash is not the SHA-256 of this service's RP ID"
	}
	if !ad.Flags.HasUserPresent() || !ad.Flags.HasUserVerified() {
		return "authenticatorData does not have the user-present and user-verified flags set"
	}
	// ADR 0005: the challenge commits to exactly the stored details. The hash
	// is recomputed from the details; the stored DetailsHash is checked
	// against it, never trusted in its place.
	challenge, err := base64.RawURLEncoding.DecodeString(cd.Challenge)
	if err != nil {
		return "clientDataJSON challenge is not base64url"
	}
	details, err := acr.ParseAuthorizationDetails(string(a.AuthorizationDetails))
	if err != nil {
		return "the stored authorization details do not parse"
	}
	if !bytes.Equal(details.Canonical(), a.AuthorizationDetails) {
		return "the stored authorization details are not in RFC 8785 canonical form"
	}
	if !acr.ChallengeCommitsTo(challenge, details) {
		return "the signed challenge does not commit to the stored authorization details"
	}
	h := details.Hash()
	if a.DetailsHash != base64.RawURLEncoding.EncodeToString(h[:]) {
		return "the stored details hash is not the SHA-256 of the stored authorization details"
	}
	return ""
}
