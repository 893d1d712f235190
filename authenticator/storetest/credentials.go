package storetest

import (
	"math"
	"testing"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

var credentialTests = []test{
	{"RoundTrip", testCredentialRoundTrip},
	{"ZeroOptionalFields", testCredentialZeroOptionalFields},
	{"Conflict", credentials.testConflict},
	{"UnknownUser", credentials.testUnknownUser},
	{"InvalidKeys", testCredentialInvalidKeys},
	{"List", testListCredentials},
	{"Update", testUpdateCredential},
	{"UpdateClosureError", testUpdateCredentialClosureError},
	{"UpdateImmutableKeys", testUpdateCredentialImmutableKeys},
}

// credentials are the credentials for the keyed tests.
var credentials = keyed[authenticator.Credential]{
	kind: "Credential", key: "ID",
	value:  newCredential,
	vary:   func(c authenticator.Credential) authenticator.Credential { c.SignCount = 7; return c },
	create: authenticator.Tx.CreateCredential,
	stored: func(t *testing.T, s authenticator.Store, first authenticator.Credential) {
		checkCredential(t, s, first.ID, wantCredential(first))
		creds, err := s.ListCredentials(t.Context(), "bob")
		mustOK(t, "ListCredentials(bob)", err)
		if len(creds) != 0 {
			t.Errorf("ListCredentials(bob): got %d credentials, want 0", len(creds))
		}
	},
	refused: func(t *testing.T, s authenticator.Store, in authenticator.Credential) {
		_, err := s.GetCredential(t.Context(), in.ID)
		wantErr(t, "GetCredential(rejected credential)", err, authenticator.ErrNotFound)
	},
}

// testCredentialRoundTrip checks that every field comes back, including the
// largest sign count.
func testCredentialRoundTrip(t *testing.T, s authenticator.Store) {
	createUser(t, s, newUser("alice"))
	in := newCredential("one", "alice")
	in.SignCount = math.MaxUint32
	createCredential(t, s, in)
	other := newCredential("two", "alice")
	other.BackupEligible, other.BackupState = false, false
	createCredential(t, s, other)

	checkCredential(t, s, in.ID, wantCredential(in))
	checkCredential(t, s, other.ID, wantCredential(other))
}

// testCredentialZeroOptionalFields checks that a credential with only its
// keys set round trips, zero LastUsedAt included.
func testCredentialZeroOptionalFields(t *testing.T, s authenticator.Store) {
	createUser(t, s, newUser("alice"))
	in := authenticator.Credential{ID: []byte{0}, UserExternalID: "alice"}
	createCredential(t, s, in)
	got, err := s.GetCredential(t.Context(), in.ID)
	mustOK(t, "GetCredential", err)
	checkDiff(t, "GetCredential", got, in)
	if !got.CreatedAt.IsZero() || !got.LastUsedAt.IsZero() {
		t.Errorf("GetCredential: got CreatedAt %v, LastUsedAt %v, want zero times", got.CreatedAt, got.LastUsedAt)
	}
}

// testCredentialInvalidKeys checks that credentials without keys are refused.
func testCredentialInvalidKeys(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	createUser(t, s, newUser("alice"))
	nilID := newCredential("one", "alice")
	nilID.ID = nil
	emptyID := newCredential("two", "alice")
	emptyID.ID = []byte{}
	noUser := newCredential("three", "")
	for name, c := range map[string]authenticator.Credential{
		"nil ID":               nilID,
		"empty ID":             emptyID,
		"empty UserExternalID": noUser,
	} {
		wantErr(t, "CreateCredential("+name+")", s.CreateCredential(ctx, c), authenticator.ErrInvalidArgument)
	}
	creds, err := s.ListCredentials(ctx, "alice")
	mustOK(t, "ListCredentials", err)
	if len(creds) != 0 {
		t.Errorf("ListCredentials after invalid creates: got %d credentials, want 0", len(creds))
	}
}

// testListCredentials checks oldest-first order, per-user filtering and an
// unknown user.
func testListCredentials(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	createUser(t, s, newUser("alice"))
	createUser(t, s, newUser("bob"))
	newest := newCredential("newest", "alice")
	newest.CreatedAt = at(30)
	oldest := newCredential("oldest", "alice")
	oldest.CreatedAt = at(10)
	middle := newCredential("middle", "alice")
	middle.CreatedAt = at(20)
	bobs := newCredential("bobs", "bob")
	for _, c := range []authenticator.Credential{newest, oldest, bobs, middle} {
		createCredential(t, s, c)
	}

	got, err := s.ListCredentials(ctx, "alice")
	mustOK(t, "ListCredentials(alice)", err)
	checkDiff(t, "ListCredentials(alice)", got, []authenticator.Credential{
		wantCredential(oldest), wantCredential(middle), wantCredential(newest),
	})
	got, err = s.ListCredentials(ctx, "bob")
	mustOK(t, "ListCredentials(bob)", err)
	checkDiff(t, "ListCredentials(bob)", got, []authenticator.Credential{wantCredential(bobs)})
	got, err = s.ListCredentials(ctx, "nobody")
	mustOK(t, "ListCredentials(nobody)", err)
	if len(got) != 0 {
		t.Errorf("ListCredentials(nobody): got %d credentials, want 0", len(got))
	}
}

// testUpdateCredential checks that the closure sees the stored value and
// that every mutable field can change.
func testUpdateCredential(t *testing.T, s authenticator.Store) {
	createUser(t, s, newUser("alice"))
	in := newCredential("one", "alice")
	createCredential(t, s, in)
	other := newCredential("two", "alice")
	createCredential(t, s, other)

	change := func(c authenticator.Credential) authenticator.Credential {
		c.PublicKey = []byte{0x01, 0x02}
		c.AttestationType = "self"
		c.AttestationFormat = "none"
		c.AAGUID = nil
		c.SignCount = 42
		c.BackupEligible = false
		c.BackupState = false
		c.Transports = []string{"usb"}
		c.Status = authenticator.CredentialSuspended
		c.StatusReason = "suspended by an operator"
		c.Name = "work laptop"
		c.CreatedAt = at(7)
		c.LastUsedAt = at(8)
		return c
	}
	var seen authenticator.Credential
	got, err := s.UpdateCredential(t.Context(), in.ID, func(c authenticator.Credential) (authenticator.Credential, error) {
		seen = c
		return change(c), nil
	})
	mustOK(t, "UpdateCredential", err)
	checkDiff(t, "UpdateCredential closure argument", seen, wantCredential(in))
	want := wantCredential(change(in))
	checkDiff(t, "UpdateCredential result", got, want)
	checkCredential(t, s, in.ID, want)
	checkCredential(t, s, other.ID, wantCredential(other))
}

// testUpdateCredentialClosureError checks that a closure's error aborts the
// update and comes back as it is.
func testUpdateCredentialClosureError(t *testing.T, s authenticator.Store) {
	createUser(t, s, newUser("alice"))
	in := newCredential("one", "alice")
	createCredential(t, s, in)
	_, err := s.UpdateCredential(t.Context(), in.ID, func(c authenticator.Credential) (authenticator.Credential, error) {
		c.SignCount = 1000
		c.Status = authenticator.CredentialRevoked
		return c, errSentinel
	})
	wantErr(t, "UpdateCredential(closure fails)", err, errSentinel)
	checkCredential(t, s, in.ID, wantCredential(in))
}

// testUpdateCredentialImmutableKeys checks that ID and UserExternalID cannot
// change, not even to another existing user.
func testUpdateCredentialImmutableKeys(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	createUser(t, s, newUser("alice"))
	createUser(t, s, newUser("bob"))
	in := newCredential("one", "alice")
	createCredential(t, s, in)
	mutators := map[string]func(*authenticator.Credential){
		"ID":                     func(c *authenticator.Credential) { c.ID = []byte("another id") },
		"ID in place":            func(c *authenticator.Credential) { c.ID[0] ^= 0xff },
		"ID removed":             func(c *authenticator.Credential) { c.ID = nil },
		"UserExternalID":         func(c *authenticator.Credential) { c.UserExternalID = "bob" },
		"UserExternalID unknown": func(c *authenticator.Credential) { c.UserExternalID = "nobody" },
	}
	for name, mutate := range mutators {
		t.Run(name, func(t *testing.T) {
			_, err := s.UpdateCredential(ctx, in.ID, func(c authenticator.Credential) (authenticator.Credential, error) {
				mutate(&c)
				c.SignCount++
				return c, nil
			})
			wantErr(t, "UpdateCredential(change "+name+")", err, authenticator.ErrInvalidArgument)
			checkCredential(t, s, in.ID, wantCredential(in))
		})
	}
	creds, err := s.ListCredentials(ctx, "bob")
	mustOK(t, "ListCredentials(bob)", err)
	if len(creds) != 0 {
		t.Errorf("ListCredentials(bob): got %d credentials, want 0", len(creds))
	}
	_, err = s.GetCredential(ctx, []byte("another id"))
	wantErr(t, "GetCredential(another id)", err, authenticator.ErrNotFound)
}
