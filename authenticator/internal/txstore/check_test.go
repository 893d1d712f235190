package txstore_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/internal/txstore"
)

// TestChecksNameTheStore pins the code and the cause of each check's error,
// which the stores returned before they shared the checks.
func TestChecksNameTheStore(t *testing.T) {
	t.Parallel()
	same := func(u authenticator.User) (authenticator.User, error) { return u, nil }
	_, userErr := txstore.ApplyUser("sqlite", "u1", authenticator.User{ExternalID: "u1", Handle: []byte{1}},
		func(u authenticator.User) (authenticator.User, error) { u.Handle[0] = 2; return u, nil })
	_, credErr := txstore.ApplyCredential("postgres", []byte{1}, authenticator.Credential{ID: []byte{1}, UserExternalID: "u1"},
		func(c authenticator.Credential) (authenticator.Credential, error) {
			c.UserExternalID = "u2"
			return c, nil
		})
	_, refErr := txstore.ApplyReference("sqlite", "r1", authenticator.BiometricReference{ID: "r1", UserExternalID: "u1", Provider: "p"},
		func(r authenticator.BiometricReference) (authenticator.BiometricReference, error) {
			r.Provider = "q"
			return r, nil
		})
	_, checkErr := txstore.ApplyCheck("postgres", "p", "run", authenticator.IDVCheck{Provider: "p", RunID: "run", UserExternalID: "u1"},
		func(c authenticator.IDVCheck) (authenticator.IDVCheck, error) { c.Journey = "other"; return c, nil })
	_, pageErr := txstore.PageSize("sqlite", authenticator.MaxPageSize+1)
	for _, tc := range []struct {
		err  error
		want string
	}{
		{txstore.CheckUser("sqlite", authenticator.User{}), "sqlite: create user: empty ExternalID"},
		{txstore.CheckUser("postgres", authenticator.User{ExternalID: "u1"}), `postgres: create user "u1": empty Handle`},
		{userErr, `sqlite: update user "u1": ExternalID, Handle and AuditSubject cannot change`},
		{txstore.CheckCredential("sqlite", authenticator.Credential{UserExternalID: "u1"}), "sqlite: create credential: empty ID"},
		{txstore.CheckCredential("postgres", authenticator.Credential{ID: []byte{1}}), "postgres: create credential: empty UserExternalID"},
		{credErr, `postgres: update credential of user "u1": ID and UserExternalID cannot change`},
		{txstore.CheckReference("sqlite", authenticator.BiometricReference{}), "sqlite: create reference: empty ID"},
		{txstore.CheckReference("postgres", authenticator.BiometricReference{ID: "r1"}), "postgres: create reference: empty UserExternalID"},
		{refErr, `sqlite: update reference of user "u1": ID, UserExternalID and Provider cannot change`},
		{txstore.CheckCheck("sqlite", authenticator.IDVCheck{}), "sqlite: create check: empty Provider"},
		{txstore.CheckCheck("postgres", authenticator.IDVCheck{Provider: "p"}), "postgres: create check: empty RunID"},
		{txstore.CheckCheck("sqlite", authenticator.IDVCheck{Provider: "p", RunID: "run"}), "sqlite: create check: empty UserExternalID"},
		{checkErr, `postgres: update check of user "u1": Provider, RunID, UserExternalID, Journey and CeremonyID cannot change`},
		{txstore.CheckApproval("sqlite", authenticator.Approval{ID: "a1"}), "sqlite: create approval: empty ID or UserExternalID"},
		{txstore.CheckEndpoint("postgres", ""), "postgres: empty delivery endpoint"},
		{pageErr, fmt.Sprintf("sqlite: page size %d is outside 1..%d", authenticator.MaxPageSize+1, authenticator.MaxPageSize)},
	} {
		if !errors.Is(tc.err, authenticator.ErrInvalidArgument) || errors.Unwrap(tc.err) == nil || errors.Unwrap(tc.err).Error() != tc.want {
			t.Errorf("got %v, want invalid_argument caused by %q", tc.err, tc.want)
		}
	}
	if _, err := txstore.ApplyUser("sqlite", "u1", authenticator.User{ExternalID: "u1", Handle: []byte{1}}, same); err != nil {
		t.Errorf("ApplyUser of an unchanged user: got %v, want nil", err)
	}
}
