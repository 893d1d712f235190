package storetest

import (
	"testing"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

var notFoundTests = []test{
	{"GettersAndUpdaters", testNotFound},
}

var aliasingTests = []test{
	{"Inputs", testInputsNotAliased},
	{"Results", testResultsNotAliased},
	{"ClosureMutationsDoNotLeak", testClosureMutationsDoNotLeak},
}

var closeTests = []test{
	{"Close", testClose},
}

// testNotFound checks every getter and updater on absent keys, in a store
// that holds other data; updaters must not call their closure.
func testNotFound(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	alice := newUser("alice")
	createUser(t, s, alice)
	createCredential(t, s, newCredential("one", "alice"))
	ref := newReference("one", "alice")
	createReference(t, s, ref)
	check := newCheck("one", "alice")
	createCheck(t, s, check)

	userFn := func(u authenticator.User) (authenticator.User, error) {
		t.Error("UpdateUser on an absent user: got a closure call, want none")
		return u, nil
	}
	credFn := func(c authenticator.Credential) (authenticator.Credential, error) {
		t.Error("UpdateCredential on an absent credential: got a closure call, want none")
		return c, nil
	}
	refFn := func(r authenticator.BiometricReference) (authenticator.BiometricReference, error) {
		t.Error("UpdateReference on an absent reference: got a closure call, want none")
		return r, nil
	}
	checkFn := func(c authenticator.IDVCheck) (authenticator.IDVCheck, error) {
		t.Error("UpdateCheck on an absent check: got a closure call, want none")
		return c, nil
	}
	ops := map[string]func() error{
		"GetUser": func() error {
			_, err := s.GetUser(ctx, "nobody")
			return err
		},
		"GetUser(username as ExternalID)": func() error {
			_, err := s.GetUser(ctx, alice.Username)
			return err
		},
		"GetUserByHandle": func() error {
			_, err := s.GetUserByHandle(ctx, []byte("no such handle"))
			return err
		},
		"GetUserByUsername": func() error {
			_, err := s.GetUserByUsername(ctx, "nobody")
			return err
		},
		"GetCredential": func() error {
			_, err := s.GetCredential(ctx, []byte("no such credential"))
			return err
		},
		"UpdateUser": func() error {
			_, err := s.UpdateUser(ctx, "nobody", userFn)
			return err
		},
		"UpdateCredential": func() error {
			_, err := s.UpdateCredential(ctx, []byte("no such credential"), credFn)
			return err
		},
		"UpdateReference": func() error {
			_, err := s.UpdateReference(ctx, "no such reference", refFn)
			return err
		},
		"UpdateReference(user's ID)": func() error {
			_, err := s.UpdateReference(ctx, alice.ExternalID, refFn)
			return err
		},
		"GetCheck": func() error {
			_, err := s.GetCheck(ctx, check.Provider, "no such run")
			return err
		},
		"GetCheck(other provider)": func() error {
			_, err := s.GetCheck(ctx, "no such provider", check.RunID)
			return err
		},
		"UpdateCheck": func() error {
			_, err := s.UpdateCheck(ctx, check.Provider, "no such run", checkFn)
			return err
		},
		"UpdateCheck(other provider)": func() error {
			_, err := s.UpdateCheck(ctx, "no such provider", check.RunID, checkFn)
			return err
		},
	}
	for name, op := range ops {
		wantErr(t, name, op(), authenticator.ErrNotFound)
	}
}

// testInputsNotAliased checks that a store copies what it is given.
func testInputsNotAliased(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	u := newUser("alice")
	want := wantUser(u)
	want.Handle = append([]byte(nil), u.Handle...)
	createUser(t, s, u)
	u.Handle[0] ^= 0xff
	checkUser(t, s, "alice", want)

	c := newCredential("one", "alice")
	wantC := wantCredential(newCredential("one", "alice"))
	createCredential(t, s, c)
	c.PublicKey[0] ^= 0xff
	c.Transports[0] = "changed"
	checkCredential(t, s, wantC.ID, wantC)

	r := newReference("one", "alice")
	wantR := wantReference(newReference("one", "alice"))
	createReference(t, s, r)
	r.SealedRef[0] ^= 0xff
	checkReferences(t, s, "alice", []authenticator.BiometricReference{wantR})

	e := authenticator.Event{
		Type: authenticator.EventUserInvited, UserExternalID: "alice", Actor: "system",
		CredentialID: []byte("cred"), Detail: map[string]string{"k": "v"}, At: at(1),
	}
	appended, err := s.AppendEvent(ctx, e)
	mustOK(t, "AppendEvent", err)
	e.CredentialID[0] = 'X'
	e.Detail["k"] = "changed"
	events, err := s.ListEvents(ctx, "alice", 0)
	mustOK(t, "ListEvents", err)
	wantE := wantEvent(authenticator.Event{
		Type: authenticator.EventUserInvited, UserExternalID: "alice", Actor: "system",
		CredentialID: []byte("cred"), Detail: map[string]string{"k": "v"}, At: at(1),
	}, appended.ID)
	checkDiff(t, "ListEvents", events, []authenticator.Event{wantE})
}

// testResultsNotAliased checks that changing a returned value leaves the
// store alone.
func testResultsNotAliased(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	u := newUser("alice")
	createUser(t, s, u)
	c := newCredential("one", "alice")
	createCredential(t, s, c)

	got, err := s.GetUser(ctx, "alice")
	mustOK(t, "GetUser", err)
	got.Handle[0] ^= 0xff
	checkUser(t, s, "alice", wantUser(u))

	gotC, err := s.GetCredential(ctx, c.ID)
	mustOK(t, "GetCredential", err)
	gotC.PublicKey[0] ^= 0xff
	gotC.Transports[0] = "changed"
	list, err := s.ListCredentials(ctx, "alice")
	mustOK(t, "ListCredentials", err)
	list[0].AAGUID[0] ^= 0xff
	checkCredential(t, s, c.ID, wantCredential(c))

	r := newReference("one", "alice")
	createReference(t, s, r)
	refs, err := s.ListReferences(ctx, "alice")
	mustOK(t, "ListReferences", err)
	refs[0].SealedRef[0] ^= 0xff
	updated, err := s.UpdateReference(ctx, r.ID, func(r authenticator.BiometricReference) (authenticator.BiometricReference, error) {
		return r, nil
	})
	mustOK(t, "UpdateReference", err)
	updated.SealedRef[0] ^= 0xff
	checkReferences(t, s, "alice", []authenticator.BiometricReference{wantReference(r)})
}

// testClosureMutationsDoNotLeak checks that a closure that scribbles on its
// argument's slices and then fails leaves the stored value as it was.
func testClosureMutationsDoNotLeak(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	u := newUser("alice")
	createUser(t, s, u)
	c := newCredential("one", "alice")
	createCredential(t, s, c)

	_, err := s.UpdateUser(ctx, "alice", func(u authenticator.User) (authenticator.User, error) {
		u.Handle[0] ^= 0xff
		return u, errSentinel
	})
	wantErr(t, "UpdateUser(scribbling closure)", err, errSentinel)
	checkUser(t, s, "alice", wantUser(u))

	_, err = s.UpdateCredential(ctx, c.ID, func(c authenticator.Credential) (authenticator.Credential, error) {
		c.PublicKey[0] ^= 0xff
		c.AAGUID[0] ^= 0xff
		c.Transports[0] = "changed"
		return c, errSentinel
	})
	wantErr(t, "UpdateCredential(scribbling closure)", err, errSentinel)
	checkCredential(t, s, c.ID, wantCredential(c))

	r := newReference("one", "alice")
	createReference(t, s, r)
	_, err = s.UpdateReference(ctx, r.ID, func(r authenticator.BiometricReference) (authenticator.BiometricReference, error) {
		r.SealedRef[0] ^= 0xff
		return r, errSentinel
	})
	wantErr(t, "UpdateReference(scribbling closure)", err, errSentinel)
	checkReferences(t, s, "alice", []authenticator.BiometricReference{wantReference(r)})
}

// testClose checks that Close succeeds, that a closed store refuses work
// instead of panicking, and that closing again is harmless.
func testClose(t *testing.T, s authenticator.Store) {
	createUser(t, s, newUser("alice"))
	mustOK(t, "Close", s.Close())
	if _, err := s.GetUser(t.Context(), "alice"); err == nil {
		t.Error("GetUser after Close: got error nil, want an error")
	}
	if err := s.CreateUser(t.Context(), newUser("bob")); err == nil {
		t.Error("CreateUser after Close: got error nil, want an error")
	}
	mustOK(t, "second Close", s.Close())
}
