package storetest

import (
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

var referenceTests = []test{
	{"RoundTrip", testReferenceRoundTrip},
	{"ZeroOptionalFields", testReferenceZeroOptionalFields},
	{"Conflict", references.testConflict},
	{"UnknownUser", references.testUnknownUser},
	{"InvalidKeys", testReferenceInvalidKeys},
	{"List", testListReferences},
	{"Update", testUpdateReference},
	{"UpdateClearsOptionalFields", testUpdateReferenceClearsOptionalFields},
	{"UpdateClosureError", testUpdateReferenceClosureError},
	{"UpdateImmutableKeys", testUpdateReferenceImmutableKeys},
}

// references are the biometric references for the keyed tests.
var references = keyed[authenticator.BiometricReference]{
	kind: "Reference", key: "ID",
	value: newReference,
	vary: func(r authenticator.BiometricReference) authenticator.BiometricReference {
		r.SealedRef = []byte("another sealed reference")
		return r
	},
	create: authenticator.Tx.CreateReference,
	stored: func(t *testing.T, s authenticator.Store, first authenticator.BiometricReference) {
		checkReferences(t, s, "alice", []authenticator.BiometricReference{wantReference(first)})
		checkReferences(t, s, "bob", nil)
	},
	refused: func(t *testing.T, s authenticator.Store, in authenticator.BiometricReference) {
		checkReferences(t, s, in.UserExternalID, nil)
	},
}

// testReferenceRoundTrip checks that every field comes back, the sealed
// reference byte for byte.
func testReferenceRoundTrip(t *testing.T, s authenticator.Store) {
	createUser(t, s, newUser("alice"))
	active := newReference("one", "alice")
	createReference(t, s, active)
	revoked := newReference("two", "alice")
	revoked.Provider = "another-provider"
	revoked.Status = authenticator.ReferenceRevoked
	revoked.CreatedAt = at(9)
	revoked.RevokedAt = at(10)
	createReference(t, s, revoked)

	checkReferences(t, s, "alice", []authenticator.BiometricReference{
		wantReference(active), wantReference(revoked),
	})
}

// testReferenceZeroOptionalFields checks that references with only their
// keys set round trip, zero times and nil or empty SealedRef included.
func testReferenceZeroOptionalFields(t *testing.T, s authenticator.Store) {
	createUser(t, s, newUser("alice"))
	nilRef := authenticator.BiometricReference{ID: "a", UserExternalID: "alice"}
	emptyRef := authenticator.BiometricReference{ID: "b", UserExternalID: "alice", SealedRef: []byte{}}
	createReference(t, s, nilRef)
	createReference(t, s, emptyRef)
	got, err := s.ListReferences(t.Context(), "alice")
	mustOK(t, "ListReferences", err)
	if len(got) != 2 {
		t.Fatalf("ListReferences: got %d references, want 2", len(got))
	}
	// Both were created at the zero time, so their order is open.
	if got[0].ID == emptyRef.ID {
		got[0], got[1] = got[1], got[0]
	}
	checkDiff(t, "ListReferences", got, []authenticator.BiometricReference{nilRef, emptyRef})
	for _, r := range got {
		if len(r.SealedRef) != 0 || !r.CreatedAt.IsZero() || !r.RevokedAt.IsZero() {
			t.Errorf("ListReferences: got reference %q with SealedRef %q, CreatedAt %v, RevokedAt %v, want empty and zero times",
				r.ID, r.SealedRef, r.CreatedAt, r.RevokedAt)
		}
	}
}

// testReferenceInvalidKeys checks that references without keys are refused
// and not stored.
func testReferenceInvalidKeys(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	createUser(t, s, newUser("alice"))
	noID := newReference("one", "alice")
	noID.ID = ""
	noUser := newReference("two", "")
	for name, r := range map[string]authenticator.BiometricReference{
		"empty ID":             noID,
		"empty UserExternalID": noUser,
	} {
		wantErr(t, "CreateReference("+name+")", s.CreateReference(ctx, r), authenticator.ErrInvalidArgument)
	}
	checkReferences(t, s, "alice", nil)
	checkReferences(t, s, "", nil)
}

// testListReferences checks oldest-first order, per-user filtering and an
// unknown user.
func testListReferences(t *testing.T, s authenticator.Store) {
	createUser(t, s, newUser("alice"))
	createUser(t, s, newUser("bob"))
	newest := newReference("newest", "alice")
	newest.CreatedAt = at(30)
	oldest := newReference("oldest", "alice")
	oldest.CreatedAt = at(10)
	middle := newReference("middle", "alice")
	middle.CreatedAt = at(20)
	middle.Status = authenticator.ReferenceRevoked
	bobs := newReference("bobs", "bob")
	for _, r := range []authenticator.BiometricReference{newest, oldest, bobs, middle} {
		createReference(t, s, r)
	}

	checkReferences(t, s, "alice", []authenticator.BiometricReference{
		wantReference(oldest), wantReference(middle), wantReference(newest),
	})
	checkReferences(t, s, "bob", []authenticator.BiometricReference{wantReference(bobs)})
	checkReferences(t, s, "nobody", nil)
}

// testUpdateReference checks that the closure sees the stored value and
// that every mutable field can change.
func testUpdateReference(t *testing.T, s authenticator.Store) {
	createUser(t, s, newUser("alice"))
	in := newReference("one", "alice")
	in.RevokedAt = time.Time{}
	createReference(t, s, in)
	other := newReference("two", "alice")
	other.CreatedAt = at(9)
	createReference(t, s, other)

	change := func(r authenticator.BiometricReference) authenticator.BiometricReference {
		r.SealedRef = []byte("resealed\x00\xff under a new key")
		r.Status = authenticator.ReferenceRevoked
		r.CreatedAt = at(1)
		r.RevokedAt = at(11)
		return r
	}
	var seen authenticator.BiometricReference
	got, err := s.UpdateReference(t.Context(), in.ID, func(r authenticator.BiometricReference) (authenticator.BiometricReference, error) {
		seen = r
		return change(r), nil
	})
	mustOK(t, "UpdateReference", err)
	checkDiff(t, "UpdateReference closure argument", seen, wantReference(in))
	want := wantReference(change(in))
	checkDiff(t, "UpdateReference result", got, want)
	checkReferences(t, s, "alice", []authenticator.BiometricReference{want, wantReference(other)})
}

// testUpdateReferenceClearsOptionalFields checks that an update can set
// SealedRef back to nil and the times back to zero.
func testUpdateReferenceClearsOptionalFields(t *testing.T, s authenticator.Store) {
	createUser(t, s, newUser("alice"))
	in := newReference("one", "alice")
	createReference(t, s, in)
	got, err := s.UpdateReference(t.Context(), in.ID, func(r authenticator.BiometricReference) (authenticator.BiometricReference, error) {
		r.SealedRef = nil
		r.Status = ""
		r.CreatedAt = time.Time{}
		r.RevokedAt = time.Time{}
		return r, nil
	})
	mustOK(t, "UpdateReference", err)
	want := authenticator.BiometricReference{ID: in.ID, UserExternalID: in.UserExternalID, Provider: in.Provider}
	checkDiff(t, "UpdateReference result", got, want)
	checkReferences(t, s, "alice", []authenticator.BiometricReference{want})
}

// testUpdateReferenceClosureError checks that a closure's error aborts the
// update and comes back as it is.
func testUpdateReferenceClosureError(t *testing.T, s authenticator.Store) {
	createUser(t, s, newUser("alice"))
	in := newReference("one", "alice")
	createReference(t, s, in)
	_, err := s.UpdateReference(t.Context(), in.ID, func(r authenticator.BiometricReference) (authenticator.BiometricReference, error) {
		r.SealedRef = []byte("changed")
		r.Status = authenticator.ReferenceRevoked
		r.RevokedAt = at(20)
		return r, errSentinel
	})
	wantErr(t, "UpdateReference(closure fails)", err, errSentinel)
	checkReferences(t, s, "alice", []authenticator.BiometricReference{wantReference(in)})
}

// testUpdateReferenceImmutableKeys checks that ID, UserExternalID and
// Provider cannot change, not even to another existing user.
func testUpdateReferenceImmutableKeys(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	createUser(t, s, newUser("alice"))
	createUser(t, s, newUser("bob"))
	in := newReference("one", "alice")
	createReference(t, s, in)
	mutators := map[string]func(*authenticator.BiometricReference){
		"ID":                     func(r *authenticator.BiometricReference) { r.ID = "another id" },
		"ID removed":             func(r *authenticator.BiometricReference) { r.ID = "" },
		"UserExternalID":         func(r *authenticator.BiometricReference) { r.UserExternalID = "bob" },
		"UserExternalID unknown": func(r *authenticator.BiometricReference) { r.UserExternalID = "nobody" },
		"Provider":               func(r *authenticator.BiometricReference) { r.Provider = "another-provider" },
		"Provider removed":       func(r *authenticator.BiometricReference) { r.Provider = "" },
	}
	for name, mutate := range mutators {
		t.Run(name, func(t *testing.T) {
			_, err := s.UpdateReference(ctx, in.ID, func(r authenticator.BiometricReference) (authenticator.BiometricReference, error) {
				mutate(&r)
				r.Status = authenticator.ReferenceRevoked
				return r, nil
			})
			wantErr(t, "UpdateReference(change "+name+")", err, authenticator.ErrInvalidArgument)
			checkReferences(t, s, "alice", []authenticator.BiometricReference{wantReference(in)})
		})
	}
	checkReferences(t, s, "bob", nil)
	_, err := s.UpdateReference(ctx, "another id", func(r authenticator.BiometricReference) (authenticator.BiometricReference, error) {
		t.Error("UpdateReference(another id): got a closure call, want none")
		return r, nil
	})
	wantErr(t, "UpdateReference(another id)", err, authenticator.ErrNotFound)
}
