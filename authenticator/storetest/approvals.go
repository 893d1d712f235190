package storetest

import (
	"fmt"
	"testing"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// Approvals (ADR 0005): the store keeps the signed bytes exactly as given,
// since VerifyApproval checks a signature over them; an approval's ID is
// unique, and its user must exist.
var approvalTests = []test{
	{"RoundTrip", testApprovalRoundTrip},
	{"ZeroOptionalFields", testApprovalZeroOptionalFields},
	{"Conflict", approvals.testConflict},
	{"UnknownUser", approvals.testUnknownUser},
	{"UnknownID", testApprovalUnknownID},
	{"InvalidKeys", testApprovalInvalidKeys},
	{"Aliasing", testApprovalAliasing},
}

// newApproval returns an approval of userID with every field set; the
// byte fields hold bytes a text column would mangle.
func newApproval(id, userID string) authenticator.Approval {
	return authenticator.Approval{
		ID:                   "approval-" + id,
		UserExternalID:       userID,
		ClientID:             "bank-" + id,
		CredentialID:         []byte("cred\x00\xff-" + id),
		ACR:                  "urn:biometric-passkey:acr:step-up",
		AuthorizationDetails: []byte(`[{"amount":"123.50","creditorName":"Zoë ✓","type":"payment_initiation"}]`),
		DetailsHash:          "q1w2e3r4t5y6u7i8o9p0-_" + id,
		AuthenticatorData:    []byte("authdata\x00\x01\x05\xff-" + id),
		ClientDataJSON:       []byte(`{"type":"webauthn.get","challenge":"` + id + `","origin":"https://login.example.com"}`),
		Signature:            []byte("sig\x30\x45\x00\xff-" + id),
		CreatedAt:            at(11),
	}
}

// wantApproval is a as a store must return it.
func wantApproval(a authenticator.Approval) authenticator.Approval {
	a.CreatedAt = norm(a.CreatedAt)
	return a
}

func createApproval(t *testing.T, s authenticator.Tx, a authenticator.Approval) {
	t.Helper()
	mustOK(t, fmt.Sprintf("CreateApproval(%q)", a.ID), s.CreateApproval(t.Context(), a))
}

// checkApproval reports an error unless the stored approval id equals want.
func checkApproval(t *testing.T, s authenticator.Tx, id string, want authenticator.Approval) {
	t.Helper()
	got, err := s.GetApproval(t.Context(), id)
	if err != nil {
		t.Errorf("GetApproval(%q): got error %v, want nil", id, err)
		return
	}
	checkDiff(t, fmt.Sprintf("GetApproval(%q)", id), got, want)
}

// approvals are the transaction approvals for the keyed tests.
var approvals = keyed[authenticator.Approval]{
	kind: "Approval", key: "ID",
	value: newApproval,
	vary: func(a authenticator.Approval) authenticator.Approval {
		a.Signature = []byte("another signature")
		return a
	},
	create: authenticator.Tx.CreateApproval,
	stored: func(t *testing.T, s authenticator.Store, first authenticator.Approval) {
		checkApproval(t, s, first.ID, wantApproval(first))
	},
	refused: func(t *testing.T, s authenticator.Store, in authenticator.Approval) {
		_, err := s.GetApproval(t.Context(), in.ID)
		wantErr(t, "GetApproval(refused approval)", err, authenticator.ErrNotFound)
	},
}

// testApprovalRoundTrip checks that every field comes back, the signed
// bytes byte for byte, for two approvals of one user.
func testApprovalRoundTrip(t *testing.T, s authenticator.Store) {
	createUser(t, s, newUser("alice"))
	one, two := newApproval("one", "alice"), newApproval("two", "alice")
	two.ACR, two.CreatedAt = "urn:biometric-passkey:acr:routine", at(12)
	createApproval(t, s, one)
	createApproval(t, s, two)
	checkApproval(t, s, one.ID, wantApproval(one))
	checkApproval(t, s, two.ID, wantApproval(two))
}

// testApprovalZeroOptionalFields checks that an approval with only its keys
// set round trips, with nil and empty slices and a zero time.
func testApprovalZeroOptionalFields(t *testing.T, s authenticator.Store) {
	createUser(t, s, newUser("alice"))
	nilSlices := authenticator.Approval{ID: "a", UserExternalID: "alice"}
	emptySlices := authenticator.Approval{ID: "b", UserExternalID: "alice", CredentialID: []byte{}, AuthorizationDetails: []byte{},
		AuthenticatorData: []byte{}, ClientDataJSON: []byte{}, Signature: []byte{}}
	createApproval(t, s, nilSlices)
	createApproval(t, s, emptySlices)
	for _, want := range []authenticator.Approval{nilSlices, emptySlices} {
		got, err := s.GetApproval(t.Context(), want.ID)
		mustOK(t, "GetApproval", err)
		checkDiff(t, fmt.Sprintf("GetApproval(%q)", want.ID), got, want)
		if len(got.Signature) != 0 || len(got.ClientDataJSON) != 0 || !got.CreatedAt.IsZero() {
			t.Errorf("GetApproval(%q): got signature %q, client data %q, CreatedAt %v, want empty and the zero time",
				want.ID, got.Signature, got.ClientDataJSON, got.CreatedAt)
		}
	}
}

// testApprovalUnknownID checks GetApproval of an ID never stored.
func testApprovalUnknownID(t *testing.T, s authenticator.Store) {
	createUser(t, s, newUser("alice"))
	createApproval(t, s, newApproval("one", "alice"))
	for _, id := range []string{"approval-two", "", "APPROVAL-ONE", "approval-one "} {
		_, err := s.GetApproval(t.Context(), id)
		wantErr(t, fmt.Sprintf("GetApproval(%q)", id), err, authenticator.ErrNotFound)
	}
}

// testApprovalInvalidKeys checks that approvals without keys are refused.
func testApprovalInvalidKeys(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	createUser(t, s, newUser("alice"))
	noID := newApproval("one", "alice")
	noID.ID = ""
	noUser := newApproval("two", "")
	for name, a := range map[string]authenticator.Approval{"empty ID": noID, "empty UserExternalID": noUser} {
		wantErr(t, "CreateApproval("+name+")", s.CreateApproval(ctx, a), authenticator.ErrInvalidArgument)
	}
	_, err := s.GetApproval(ctx, noUser.ID)
	wantErr(t, "GetApproval(refused approval)", err, authenticator.ErrNotFound)
}

// testApprovalAliasing checks that neither the input nor a returned value
// shares memory with what is stored.
func testApprovalAliasing(t *testing.T, s authenticator.Store) {
	createUser(t, s, newUser("alice"))
	in := newApproval("one", "alice")
	want := wantApproval(newApproval("one", "alice"))
	createApproval(t, s, in)
	in.Signature[0] ^= 0xff
	in.AuthorizationDetails[0] = '{'
	got, err := s.GetApproval(t.Context(), in.ID)
	mustOK(t, "GetApproval", err)
	got.ClientDataJSON[0] = 'X'
	got.CredentialID[0] ^= 0xff
	checkApproval(t, s, want.ID, want)
}
