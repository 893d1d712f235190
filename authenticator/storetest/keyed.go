package storetest

import (
	"context"
	"testing"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// keyed describes an entity a store keys uniquely across users and ties to
// a user (credentials, references, checks, approvals), for the Conflict and
// UnknownUser tests every such entity takes.
type keyed[T any] struct {
	kind string // the entity in method names: "Credential" for CreateCredential
	key  string // what its key is called in messages: "ID", "key"
	// value returns a value of user with every field set, keyed by id
	// (newCredential, …).
	value func(id, user string) T
	// vary returns v changed but for its key and user: another value under
	// the same key.
	vary func(v T) T
	// create stores v: a method expression, authenticator.Tx.CreateCredential.
	create func(s authenticator.Tx, ctx context.Context, v T) error
	// stored checks that first, of alice, is what is stored under its key
	// and that bob has nothing.
	stored func(t *testing.T, s authenticator.Store, first T)
	// refused checks that in, refused for an unknown user, is not stored.
	refused func(t *testing.T, s authenticator.Store, in T)
}

// testConflict checks that the key is unique across users and that the
// rejected values are not stored.
func (k keyed[T]) testConflict(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	createUser(t, s, newUser("alice"))
	createUser(t, s, newUser("bob"))
	first := k.value("one", "alice")
	mustOK(t, "Create"+k.kind, k.create(s, ctx, first))

	again := k.vary(k.value("one", "alice"))
	wantErr(t, "Create"+k.kind+"(duplicate "+k.key+", same user)", k.create(s, ctx, again), authenticator.ErrConflict)
	stolen := k.vary(k.value("one", "bob"))
	wantErr(t, "Create"+k.kind+"(duplicate "+k.key+", other user)", k.create(s, ctx, stolen), authenticator.ErrConflict)
	k.stored(t, s, first)
}

// testUnknownUser checks that a value needs its user, that the refused
// value is not stored and that its key is still free.
func (k keyed[T]) testUnknownUser(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	createUser(t, s, newUser("alice"))
	in := k.value("one", "nobody")
	wantErr(t, "Create"+k.kind+"(unknown user)", k.create(s, ctx, in), authenticator.ErrNotFound)
	k.refused(t, s, in)
	mustOK(t, "Create"+k.kind+"(the refused "+k.key+", known user)", k.create(s, ctx, k.value("one", "alice")))
}
