package onfido

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/biometric-passkey/biometric-passkey/idvbridge"
)

// reference is what a Reference.ID holds: the biometric token Onfido
// stores for a customer user id, and the applicant the enrollment ran on
// (a workflow run needs an applicant; step-up and recovery reuse it).
//
// Its text form is "<applicant uuid>.<token uuid>.<customer user id as
// unpadded base64url>": UUIDs and base64url have no dots, so it splits
// without ambiguity, and the customer user id travels unchanged whatever
// characters it has. The caller stores it sealed (DESIGN.md §6); it is an
// id, not biometric data.
type reference struct {
	applicantID string
	tokenUUID   string
	userID      string
}

var userIDEncoding = base64.RawURLEncoding.Strict()

func (r reference) id() string {
	return r.applicantID + "." + r.tokenUUID + "." + userIDEncoding.EncodeToString([]byte(r.userID))
}

func (r reference) ref() *idvbridge.Reference {
	return &idvbridge.Reference{Provider: Name, ID: r.id()}
}

// parseReference parses a Reference this adapter issued; anything else is
// ErrInvalid.
func parseReference(ref idvbridge.Reference) (reference, error) {
	if ref.Provider != Name {
		return reference{}, fmt.Errorf("%w: reference of provider %q, not %q", idvbridge.ErrInvalid, ref.Provider, Name)
	}
	parts := strings.Split(ref.ID, ".")
	if len(parts) != 3 || !isUUID(parts[0]) || !isUUID(parts[1]) {
		return reference{}, fmt.Errorf("%w: malformed onfido reference id", idvbridge.ErrInvalid)
	}
	user, err := userIDEncoding.DecodeString(parts[2])
	if err != nil || len(user) == 0 || len(user) > 256 {
		return reference{}, fmt.Errorf("%w: malformed onfido reference id (customer user id)", idvbridge.ErrInvalid)
	}
	r := reference{applicantID: parts[0], tokenUUID: parts[1], userID: string(user)}
	if r.id() != ref.ID {
		return reference{}, fmt.Errorf("%w: onfido reference id not in canonical form", idvbridge.ErrInvalid)
	}
	return r, nil
}
