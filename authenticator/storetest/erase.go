package storetest

import (
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

var eraseTests = []test{
	{"DeletesTheUsersRecords", testEraseUser},
	{"UnknownUser", testEraseUnknownUser},
	{"RolledBack", testEraseRolledBack},
	{"CreateAgain", testEraseCreateAgain},
}

// eraseFixture stores alice and bob with a credential, a reference, a check,
// an approval and events each, alice's events queued for delivery, and an
// audit record that names alice.
func eraseFixture(t *testing.T, s authenticator.Store) {
	t.Helper()
	ctx := t.Context()
	for _, id := range []string{"alice", "bob"} {
		createUser(t, s, newUser(id))
		createCredential(t, s, newCredential(id+"-1", id))
		createCredential(t, s, newCredential(id+"-2", id))
		createReference(t, s, newReference(id, id))
		createCheck(t, s, newCheck(id, id))
		createApproval(t, s, newApproval(id, id))
		for n := range 3 {
			e, err := s.AppendEvent(ctx, authenticator.Event{Type: authenticator.EventUserSuspended, UserExternalID: id,
				Actor: "operator-sub", At: at(n)})
			mustOK(t, "AppendEvent", err)
			mustOK(t, "EnqueueDeliveries", s.EnqueueDeliveries(ctx, e.ID, []string{"https://rp.example/hook"}, at(n)))
		}
	}
	_, err := s.AppendAudit(ctx, authenticator.AuditRecord{At: at(5), Actor: "operator-sub", Action: "user.read",
		Target: newUser("alice").AuditSubject})
	mustOK(t, "AppendAudit", err)
}

// checkErased reports an error unless nothing of the user id is left.
func checkErased(t *testing.T, s authenticator.Tx, id string) {
	t.Helper()
	ctx := t.Context()
	_, err := s.GetUser(ctx, id)
	wantErr(t, "GetUser(erased)", err, authenticator.ErrNotFound)
	_, err = s.GetCredential(ctx, newCredential(id+"-1", id).ID)
	wantErr(t, "GetCredential(erased user's)", err, authenticator.ErrNotFound)
	_, err = s.GetCheck(ctx, "sandbox", newCheck(id, id).RunID)
	wantErr(t, "GetCheck(erased user's)", err, authenticator.ErrNotFound)
	_, err = s.GetApproval(ctx, newApproval(id, id).ID)
	wantErr(t, "GetApproval(erased user's)", err, authenticator.ErrNotFound)
	for name, n := range map[string]func() (int, error){
		"ListCredentials": func() (int, error) { c, err := s.ListCredentials(ctx, id); return len(c), err },
		"ListReferences":  func() (int, error) { r, err := s.ListReferences(ctx, id); return len(r), err },
		"ListEvents":      func() (int, error) { e, err := s.ListEvents(ctx, id, 0); return len(e), err },
	} {
		got, err := n()
		mustOK(t, name, err)
		if got != 0 {
			t.Errorf("%s(erased user): got %d, want none", name, got)
		}
	}
}

// testEraseUser checks that EraseUser deletes the user's records and counts
// them, leaves the other user's and the audit log alone, and takes the
// deliveries of the user's events with them.
func testEraseUser(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	eraseFixture(t, s)
	got, err := s.EraseUser(ctx, "alice")
	mustOK(t, "EraseUser", err)
	want := authenticator.Erased{Credentials: 2, References: 1, Checks: 1, Approvals: 1, Events: 3}
	checkDiff(t, "EraseUser", got, want)
	checkErased(t, s, "alice")

	checkUser(t, s, "bob", wantUser(newUser("bob")))
	checkReferences(t, s, "bob", []authenticator.BiometricReference{wantReference(newReference("bob", "bob"))})
	checkCheck(t, s, "sandbox", newCheck("bob", "bob").RunID, wantCheck(newCheck("bob", "bob")))
	checkApproval(t, s, newApproval("bob", "bob").ID, wantApproval(newApproval("bob", "bob")))
	creds, err := s.ListCredentials(ctx, "bob")
	mustOK(t, "ListCredentials(bob)", err)
	events, err := s.ListEvents(ctx, "bob", 0)
	mustOK(t, "ListEvents(bob)", err)
	if len(creds) != 2 || len(events) != 3 {
		t.Errorf("bob: got %d credentials and %d events, want 2 and 3", len(creds), len(events))
	}
	// Only bob's deliveries are left to claim.
	claimed := claim(t, s, at(10), time.Minute, 100)
	if len(claimed) != 3 {
		t.Errorf("ClaimDeliveries after the erasure: got %d, want bob's 3", len(claimed))
	}
	bobEvents := map[int64]bool{}
	for _, e := range events {
		bobEvents[e.ID] = true
	}
	for _, d := range claimed {
		if !bobEvents[d.EventID] {
			t.Errorf("ClaimDeliveries after the erasure: got a delivery of event %d, want bob's only", d.EventID)
		}
	}
	recs := listAudit(t, s, 100)
	if len(recs) != 1 || recs[0].Target != newUser("alice").AuditSubject {
		t.Errorf("audit log after the erasure: got %+v, want the one record, untouched", recs)
	}
}

// testEraseUnknownUser checks that erasing a user who is not there is
// ErrNotFound and deletes nothing.
func testEraseUnknownUser(t *testing.T, s authenticator.Store) {
	eraseFixture(t, s)
	_, err := s.EraseUser(t.Context(), "nobody")
	wantErr(t, "EraseUser(unknown)", err, authenticator.ErrNotFound)
	err = s.Atomic(t.Context(), func(tx authenticator.Tx) error {
		_, err := tx.EraseUser(t.Context(), "nobody")
		return err
	})
	wantErr(t, "Atomic(EraseUser(unknown))", err, authenticator.ErrNotFound)
	checkUser(t, s, "alice", wantUser(newUser("alice")))
}

// testEraseRolledBack checks that an erasure rolled back with its
// transaction leaves everything in place.
func testEraseRolledBack(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	eraseFixture(t, s)
	err := s.Atomic(ctx, func(tx authenticator.Tx) error {
		if _, err := tx.EraseUser(ctx, "alice"); err != nil {
			return err
		}
		checkErased(t, tx, "alice") // the transaction sees its own erasure
		return errSentinel
	})
	wantErr(t, "Atomic(EraseUser, then fail)", err, errSentinel)
	checkUser(t, s, "alice", wantUser(newUser("alice")))
	checkReferences(t, s, "alice", []authenticator.BiometricReference{wantReference(newReference("alice", "alice"))})
	events, err := s.ListEvents(ctx, "alice", 0)
	mustOK(t, "ListEvents(alice)", err)
	if len(events) != 3 {
		t.Errorf("ListEvents(alice) after the rollback: got %d, want 3", len(events))
	}
	if claimed := claim(t, s, at(10), time.Minute, 100); len(claimed) != 6 {
		t.Errorf("ClaimDeliveries after the rollback: got %d, want 6", len(claimed))
	}
}

// testEraseCreateAgain checks that an erased user's ExternalID, Handle and
// Username are free again, and that a second erasure is ErrNotFound.
func testEraseCreateAgain(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	eraseFixture(t, s)
	_, err := s.EraseUser(ctx, "alice")
	mustOK(t, "EraseUser", err)
	again := newUser("alice")
	again.AuditSubject = "p-audit-alice-again"
	createUser(t, s, again)
	checkUser(t, s, "alice", wantUser(again))
	_, err = s.EraseUser(ctx, "alice")
	mustOK(t, "EraseUser(again)", err)
	_, err = s.EraseUser(ctx, "alice")
	wantErr(t, "EraseUser(erased twice)", err, authenticator.ErrNotFound)
}
