package txstore

import "github.com/biometric-passkey/biometric-passkey/authenticator"

// CheckApproval checks the approval a store's CreateApproval is given;
// store names the store in the message ("sqlite", "postgres").
func CheckApproval(store string, a authenticator.Approval) error {
	if a.ID == "" || a.UserExternalID == "" {
		return authenticator.Errorf(authenticator.CodeInvalidArgument, "%s: create approval: empty ID or UserExternalID", store)
	}
	return nil
}

// NonNil is b as a store keeps an approval's byte fields: an empty value,
// never NULL, for a nil slice.
func NonNil[T ~[]byte](b T) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
