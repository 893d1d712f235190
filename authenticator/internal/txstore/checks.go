package txstore

import "github.com/biometric-passkey/biometric-passkey/authenticator"

// CheckCheck checks the identity-verification check a store's CreateCheck
// is given; store names the store in the message ("sqlite", "postgres").
func CheckCheck(store string, c authenticator.IDVCheck) error {
	switch {
	case c.Provider == "":
		return authenticator.Errorf(authenticator.CodeInvalidArgument, "%s: create check: empty Provider", store)
	case c.RunID == "":
		return authenticator.Errorf(authenticator.CodeInvalidArgument, "%s: create check: empty RunID", store)
	case c.UserExternalID == "":
		return authenticator.Errorf(authenticator.CodeInvalidArgument, "%s: create check: empty UserExternalID", store)
	}
	return nil
}

// ApplyCheck returns what fn, a store's UpdateCheck closure, makes of old,
// the stored check provider ran as runID, refusing a check whose Provider,
// RunID, UserExternalID, Journey or CeremonyID changed; store names the
// store in the message.
func ApplyCheck(store, provider, runID string, old authenticator.IDVCheck, fn func(authenticator.IDVCheck) (authenticator.IDVCheck, error)) (authenticator.IDVCheck, error) {
	frozen := old // strings only: fn cannot change what frozen holds
	c, err := fn(old)
	if err != nil {
		return authenticator.IDVCheck{}, err
	}
	if c.Provider != provider || c.RunID != runID || c.UserExternalID != frozen.UserExternalID ||
		c.Journey != frozen.Journey || c.CeremonyID != frozen.CeremonyID {
		return authenticator.IDVCheck{}, authenticator.Errorf(authenticator.CodeInvalidArgument,
			"%s: update check of user %q: Provider, RunID, UserExternalID, Journey and CeremonyID cannot change",
			store, frozen.UserExternalID)
	}
	return c, nil
}
