package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

var atomicTests = []test{
	{"Commit", testAtomicCommit},
	{"Rollback", testAtomicRollback},
	{"StoreErrorRollsBack", testAtomicStoreErrorRollsBack},
	{"ReferenceAndCheckCommit", testAtomicReferenceAndCheckCommit},
	{"ReferenceAndCheckRollback", testAtomicReferenceAndCheckRollback},
}

var concurrencyTests = []test{
	{"UpdateCredentialNoLostUpdate", testConcurrentUpdateCredential},
	{"CreateUserSameExternalID", testConcurrentCreateUser},
	{"CompleteCheckOnce", testConcurrentCompleteCheck},
	{"CreateCheckSameKey", testConcurrentCreateCheck},
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

// enroll writes what a passed enrollment check writes in one transaction:
// the check completes and names the new reference, the reference is stored
// and the user becomes enrolled. The check is read and the references
// listed in between, so a store must show a transaction its own writes.
func enroll(t *testing.T, tx authenticator.Tx, user string, c authenticator.IDVCheck, r authenticator.BiometricReference) error {
	ctx := t.Context()
	if err := tx.CreateReference(ctx, r); err != nil {
		return fmt.Errorf("CreateReference: %w", err)
	}
	refs, err := tx.ListReferences(ctx, user)
	if err != nil {
		return fmt.Errorf("ListReferences: %w", err)
	}
	if len(refs) != 1 || refs[0].ID != r.ID {
		t.Errorf("ListReferences in the transaction that created %q: got %d references, want it alone", r.ID, len(refs))
	}
	if _, err := tx.UpdateCheck(ctx, c.Provider, c.RunID, func(c authenticator.IDVCheck) (authenticator.IDVCheck, error) {
		if c.Status != authenticator.CheckPending {
			return c, fmt.Errorf("check is %s, want pending", c.Status)
		}
		c.Status = authenticator.CheckPassed
		c.ReferenceID = r.ID
		c.CompletedAt = at(40)
		return c, nil
	}); err != nil {
		return fmt.Errorf("UpdateCheck: %w", err)
	}
	got, err := tx.GetCheck(ctx, c.Provider, c.RunID)
	if err != nil {
		return fmt.Errorf("GetCheck: %w", err)
	}
	if got.Status != authenticator.CheckPassed {
		t.Errorf("GetCheck in the transaction that completed it: got status %q, want %q", got.Status, authenticator.CheckPassed)
	}
	if _, err := tx.UpdateUser(ctx, user, func(u authenticator.User) (authenticator.User, error) {
		u.Status = authenticator.UserEnrolled
		return u, nil
	}); err != nil {
		return fmt.Errorf("UpdateUser: %w", err)
	}
	return nil
}

// pendingEnrollment stores a user awaiting biometric enrollment and its
// pending check, and returns the check and the reference enroll would store.
func pendingEnrollment(t *testing.T, s authenticator.Store, user string) (authenticator.User, authenticator.IDVCheck, authenticator.BiometricReference) {
	t.Helper()
	u := newUser(user)
	u.Status = authenticator.UserBiometricPending
	createUser(t, s, u)
	c := newCheck("enroll", user)
	c.Journey = "enrollment"
	c.Status = authenticator.CheckPending
	c.ReferenceID = ""
	c.Reason = ""
	c.CompletedAt = time.Time{}
	createCheck(t, s, c)
	return u, c, newReference("enrolled", user)
}

// testAtomicReferenceAndCheckCommit checks that a reference created, and a
// check and a user updated, in one transaction all land.
func testAtomicReferenceAndCheckCommit(t *testing.T, s authenticator.Store) {
	u, c, r := pendingEnrollment(t, s, "alice")
	err := s.Atomic(t.Context(), func(tx authenticator.Tx) error { return enroll(t, tx, u.ExternalID, c, r) })
	mustOK(t, "Atomic", err)

	checkReferences(t, s, u.ExternalID, []authenticator.BiometricReference{wantReference(r)})
	wantC := wantCheck(c)
	wantC.Status = authenticator.CheckPassed
	wantC.ReferenceID = r.ID
	wantC.CompletedAt = norm(at(40))
	checkCheck(t, s, c.Provider, c.RunID, wantC)
	wantU := wantUser(u)
	wantU.Status = authenticator.UserEnrolled
	checkUser(t, s, u.ExternalID, wantU)
}

// testAtomicReferenceAndCheckRollback checks that an error after a
// reference was created, a check completed and a new check stored in one
// transaction undoes all of them, and that the check can then complete.
func testAtomicReferenceAndCheckRollback(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	u, c, r := pendingEnrollment(t, s, "alice")
	extra := newCheck("extra", "alice")
	err := s.Atomic(ctx, func(tx authenticator.Tx) error {
		if err := enroll(t, tx, u.ExternalID, c, r); err != nil {
			return err
		}
		if err := tx.CreateCheck(ctx, extra); err != nil {
			return fmt.Errorf("CreateCheck: %w", err)
		}
		return errSentinel
	})
	wantErr(t, "Atomic(fn fails)", err, errSentinel)

	checkReferences(t, s, u.ExternalID, nil)
	checkCheck(t, s, c.Provider, c.RunID, wantCheck(c))
	_, err = s.GetCheck(ctx, extra.Provider, extra.RunID)
	wantErr(t, "GetCheck(rolled back check)", err, authenticator.ErrNotFound)
	checkUser(t, s, u.ExternalID, wantUser(u))

	// Nothing of the rolled-back transaction is left to conflict with.
	err = s.Atomic(ctx, func(tx authenticator.Tx) error { return enroll(t, tx, u.ExternalID, c, r) })
	mustOK(t, "Atomic(again)", err)
	checkReferences(t, s, u.ExternalID, []authenticator.BiometricReference{wantReference(r)})
}

// errNotPending is what the closures of testConcurrentCompleteCheck fail
// with when the check has already left pending.
var errNotPending = errors.New("storetest: check is no longer pending")

// testConcurrentCompleteCheck checks that a check leaves pending exactly
// once: of concurrent updaters whose closure completes only a pending check
// (a webhook and a fetch racing, or a replayed webhook), exactly one closure
// sees it pending, exactly one update succeeds, and its result is stored.
func testConcurrentCompleteCheck(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	_, c, _ := pendingEnrollment(t, s, "alice")

	var sawPending atomic.Int32
	results := make([]authenticator.IDVCheck, concurrency)
	errs := make([]error, concurrency)
	var wg sync.WaitGroup
	for i := range concurrency {
		wg.Go(func() {
			results[i], errs[i] = s.UpdateCheck(ctx, c.Provider, c.RunID, func(c authenticator.IDVCheck) (authenticator.IDVCheck, error) {
				if c.Status != authenticator.CheckPending {
					return c, errNotPending
				}
				sawPending.Add(1)
				c.Status = authenticator.CheckPassed
				c.ReferenceID = fmt.Sprintf("ref-%d", i)
				c.CompletedAt = at(i)
				return c, nil
			})
		})
	}
	wg.Wait()

	if n := sawPending.Load(); n != 1 {
		t.Errorf("closures that saw the check pending: got %d, want 1", n)
	}
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner < 0:
			winner = i
		case err == nil:
			t.Errorf("UpdateCheck(goroutine %d): got error nil after goroutine %d completed the check, want errors.Is(err, %v)", i, winner, errNotPending)
		case !errors.Is(err, errNotPending):
			t.Errorf("UpdateCheck(goroutine %d): got error %v, want nil or errors.Is(err, %v)", i, err, errNotPending)
		}
	}
	if winner < 0 {
		t.Fatalf("concurrent UpdateCheck: got no success, want 1")
	}
	want := wantCheck(c)
	want.Status = authenticator.CheckPassed
	want.ReferenceID = fmt.Sprintf("ref-%d", winner)
	want.CompletedAt = norm(at(winner))
	checkDiff(t, fmt.Sprintf("UpdateCheck(goroutine %d) result", winner), results[winner], want)
	checkCheck(t, s, c.Provider, c.RunID, want)
}

// testConcurrentCreateCheck checks that of concurrent creates of one
// (Provider, RunID), even for different users, exactly one wins and the
// others get ErrConflict.
func testConcurrentCreateCheck(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	createUser(t, s, newUser("alice"))
	createUser(t, s, newUser("bob"))
	users := []string{"alice", "bob"}
	errs := make([]error, concurrency)
	var wg sync.WaitGroup
	for i := range concurrency {
		wg.Go(func() {
			c := newCheck("one", users[i%len(users)])
			c.CeremonyID = fmt.Sprintf("ceremony-%d", i)
			errs[i] = s.CreateCheck(ctx, c)
		})
	}
	wg.Wait()

	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner < 0:
			winner = i
		case err == nil:
			t.Errorf("CreateCheck(goroutine %d): got error nil after goroutine %d created the check, want errors.Is(err, %v)", i, winner, authenticator.ErrConflict)
		case !errors.Is(err, authenticator.ErrConflict):
			t.Errorf("CreateCheck(goroutine %d): got error %v, want nil or errors.Is(err, %v)", i, err, authenticator.ErrConflict)
		}
	}
	if winner < 0 {
		t.Fatalf("concurrent CreateCheck of one key: got no success, want 1")
	}
	want := newCheck("one", users[winner%len(users)])
	want.CeremonyID = fmt.Sprintf("ceremony-%d", winner)
	checkCheck(t, s, want.Provider, want.RunID, wantCheck(want))
}
