package txstore

import (
	"bytes"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// CheckCredential checks the credential a store's CreateCredential is
// given; store names the store in the message ("sqlite", "postgres").
func CheckCredential(store string, c authenticator.Credential) error {
	switch {
	case len(c.ID) == 0:
		return authenticator.Errorf(authenticator.CodeInvalidArgument, "%s: create credential: empty ID", store)
	case c.UserExternalID == "":
		return authenticator.Errorf(authenticator.CodeInvalidArgument, "%s: create credential: empty UserExternalID", store)
	}
	return nil
}

// ApplyCredential returns what fn, a store's UpdateCredential closure,
// makes of old, the stored credential with id, refusing a credential whose
// ID or UserExternalID changed; store names the store in the message.
func ApplyCredential(store string, id []byte, old authenticator.Credential, fn func(authenticator.Credential) (authenticator.Credential, error)) (authenticator.Credential, error) {
	user := old.UserExternalID
	c, err := fn(old) // old's slices are fresh copies: fn may scribble on them
	if err != nil {
		return authenticator.Credential{}, err
	}
	if !bytes.Equal(c.ID, id) || c.UserExternalID != user {
		return authenticator.Credential{}, authenticator.Errorf(authenticator.CodeInvalidArgument,
			"%s: update credential of user %q: ID and UserExternalID cannot change", store, user)
	}
	return c, nil
}
