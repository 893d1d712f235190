package txstore

import "github.com/biometric-passkey/biometric-passkey/authenticator"

// CheckReference checks the biometric reference a store's CreateReference
// is given; store names the store in the message ("sqlite", "postgres").
func CheckReference(store string, r authenticator.BiometricReference) error {
	switch {
	case r.ID == "":
		return authenticator.Errorf(authenticator.CodeInvalidArgument, "%s: create reference: empty ID", store)
	case r.UserExternalID == "":
		return authenticator.Errorf(authenticator.CodeInvalidArgument, "%s: create reference: empty UserExternalID", store)
	}
	return nil
}

// ApplyReference returns what fn, a store's UpdateReference closure, makes
// of old, the stored reference with id, refusing a reference whose ID,
// UserExternalID or Provider changed; store names the store in the
// message.
func ApplyReference(store, id string, old authenticator.BiometricReference, fn func(authenticator.BiometricReference) (authenticator.BiometricReference, error)) (authenticator.BiometricReference, error) {
	user, provider := old.UserExternalID, old.Provider
	r, err := fn(old) // old.SealedRef is a fresh copy: fn may scribble on it
	if err != nil {
		return authenticator.BiometricReference{}, err
	}
	if r.ID != id || r.UserExternalID != user || r.Provider != provider {
		return authenticator.BiometricReference{}, authenticator.Errorf(authenticator.CodeInvalidArgument,
			"%s: update reference of user %q: ID, UserExternalID and Provider cannot change", store, user)
	}
	return r, nil
}
