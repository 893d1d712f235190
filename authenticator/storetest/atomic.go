package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

var atomicTests = []test{
	{"Commit", testAtomicCommit},
	{"Rollback", testAtomicRollback},
	{"StoreErrorRollsBack", testAtomicStoreErrorRollsBack},
}

var concurrencyTests = []test{
	{"UpdateCredentialNoLostUpdate", testConcurrentUpdateCredential},
	{"CreateUserSameExternalID", testConcurrentCreateUser},
}

// concurrency is how many goroutines the concurrency tests run.
const concurrency = 20

// testAtomicCommit checks that a transaction sees its own writes and that
// all of them land together.
func testAtomicCommit(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	u := newUser("alice")
	c := newCredential("one", "alice")
	var event authenticator.Event
	err := s.Atomic(ctx, func(tx authenticator.Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return fmt.Errorf("CreateUser: %w", err)
		}
		if _, err := tx.GetUser(ctx, u.ExternalID); err != nil {
			return fmt.Errorf("GetUser of a user created in this transaction: %w", err)
		}
		if err := tx.CreateCredential(ctx, c); err != nil {
			return fmt.Errorf("CreateCredential: %w", err)
		}
		if _, err := tx.UpdateCredential(ctx, c.ID, func(c authenticator.Credential) (authenticator.Credential, error) {
			c.SignCount = 99
			return c, nil
		}); err != nil {
			return fmt.Errorf("UpdateCredential: %w", err)
		}
		if _, err := tx.UpdateUser(ctx, u.ExternalID, func(u authenticator.User) (authenticator.User, error) {
			u.Status = authenticator.UserBiometricPending
			return u, nil
		}); err != nil {
			return fmt.Errorf("UpdateUser: %w", err)
		}
		var err error
		event, err = tx.AppendEvent(ctx, authenticator.Event{
			Type: authenticator.EventCredentialRegistered, UserExternalID: u.ExternalID,
			CredentialID: c.ID, Actor: "user", At: at(9),
		})
		if err != nil {
			return fmt.Errorf("AppendEvent: %w", err)
		}
		return nil
	})
	mustOK(t, "Atomic", err)

	wantU := wantUser(u)
	wantU.Status = authenticator.UserBiometricPending
	checkUser(t, s, u.ExternalID, wantU)
	wantC := wantCredential(c)
	wantC.SignCount = 99
	checkCredential(t, s, c.ID, wantC)
	events, err := s.ListEvents(ctx, u.ExternalID, 0)
	mustOK(t, "ListEvents", err)
	checkDiff(t, "ListEvents", events, []authenticator.Event{event})
}

// testAtomicRollback checks that an error from fn undoes every write in it
// and comes back as it is.
func testAtomicRollback(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	bob := newUser("bob")
	createUser(t, s, bob)
	bobs := newCredential("bobs", "bob")
	createCredential(t, s, bobs)
	alice := newUser("alice")
	alices := newCredential("alices", "alice")

	err := s.Atomic(ctx, func(tx authenticator.Tx) error {
		if err := tx.CreateUser(ctx, alice); err != nil {
			return fmt.Errorf("CreateUser: %w", err)
		}
		if err := tx.CreateCredential(ctx, alices); err != nil {
			return fmt.Errorf("CreateCredential: %w", err)
		}
		if _, err := tx.UpdateUser(ctx, bob.ExternalID, func(u authenticator.User) (authenticator.User, error) {
			u.Status = authenticator.UserSuspended
			return u, nil
		}); err != nil {
			return fmt.Errorf("UpdateUser: %w", err)
		}
		if _, err := tx.UpdateCredential(ctx, bobs.ID, func(c authenticator.Credential) (authenticator.Credential, error) {
			c.Status = authenticator.CredentialRevoked
			return c, nil
		}); err != nil {
			return fmt.Errorf("UpdateCredential: %w", err)
		}
		if _, err := tx.AppendEvent(ctx, authenticator.Event{
			Type: authenticator.EventCredentialRevoked, UserExternalID: bob.ExternalID, Actor: "system", At: at(9),
		}); err != nil {
			return fmt.Errorf("AppendEvent: %w", err)
		}
		return errSentinel
	})
	wantErr(t, "Atomic(fn fails)", err, errSentinel)

	_, err = s.GetUser(ctx, alice.ExternalID)
	wantErr(t, "GetUser(rolled back user)", err, authenticator.ErrNotFound)
	_, err = s.GetCredential(ctx, alices.ID)
	wantErr(t, "GetCredential(rolled back credential)", err, authenticator.ErrNotFound)
	checkUser(t, s, bob.ExternalID, wantUser(bob))
	checkCredential(t, s, bobs.ID, wantCredential(bobs))
	events, err := s.ListEvents(ctx, bob.ExternalID, 0)
	mustOK(t, "ListEvents", err)
	if len(events) != 0 {
		t.Errorf("ListEvents after rollback: got %d events, want 0", len(events))
	}
}

// testAtomicStoreErrorRollsBack checks that a store error returned by fn
// comes back with its code and undoes the earlier writes.
func testAtomicStoreErrorRollsBack(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	bob := newUser("bob")
	createUser(t, s, bob)
	err := s.Atomic(ctx, func(tx authenticator.Tx) error {
		if err := tx.CreateUser(ctx, newUser("carol")); err != nil {
			return fmt.Errorf("CreateUser(carol): %w", err)
		}
		return tx.CreateUser(ctx, newUser("bob"))
	})
	wantErr(t, "Atomic(duplicate user)", err, authenticator.ErrConflict)
	_, err = s.GetUser(ctx, "carol")
	wantErr(t, "GetUser(rolled back user)", err, authenticator.ErrNotFound)
	checkUser(t, s, bob.ExternalID, wantUser(bob))
}

// testConcurrentUpdateCredential checks that concurrent updaters never lose
// a write: each adds one to the sign count.
func testConcurrentUpdateCredential(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	createUser(t, s, newUser("alice"))
	c := newCredential("one", "alice")
	c.SignCount = 0
	createCredential(t, s, c)

	var wg sync.WaitGroup
	for i := range concurrency {
		wg.Go(func() {
			_, err := s.UpdateCredential(ctx, c.ID, func(c authenticator.Credential) (authenticator.Credential, error) {
				c.SignCount++
				return c, nil
			})
			if err != nil {
				t.Errorf("UpdateCredential(goroutine %d): got error %v, want nil", i, err)
			}
		})
	}
	wg.Wait()

	got, err := s.GetCredential(ctx, c.ID)
	mustOK(t, "GetCredential", err)
	if got.SignCount != concurrency {
		t.Errorf("SignCount after %d concurrent increments: got %d, want %d", concurrency, got.SignCount, concurrency)
	}
}

// testConcurrentCreateUser checks that of concurrent creates of one
// ExternalID exactly one wins and the others get ErrConflict.
func testConcurrentCreateUser(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	errs := make([]error, concurrency)
	var wg sync.WaitGroup
	for i := range concurrency {
		wg.Go(func() {
			u := newUser("alice")
			u.Handle = fmt.Appendf(nil, "handle-%d", i)
			u.Username = fmt.Sprintf("name-%d", i)
			errs[i] = s.CreateUser(ctx, u)
		})
	}
	wg.Wait()

	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, authenticator.ErrConflict):
			t.Errorf("CreateUser(goroutine %d): got error %v, want nil or errors.Is(err, %v)", i, err, authenticator.ErrConflict)
		}
	}
	if won != 1 {
		t.Errorf("concurrent CreateUser of one ExternalID: got %d successes, want 1", won)
	}
	users, err := s.ListUsers(ctx, authenticator.UserQuery{})
	mustOK(t, "ListUsers", err)
	if len(users) != 1 {
		t.Errorf("ListUsers: got %d users, want 1", len(users))
	}
}
