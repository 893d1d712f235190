package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// Run runs the conformance suite against the stores newStore makes. Each
// subtest runs in parallel with its own store, so newStore must return a
// fresh, empty, ready-to-use (migrated) store every time it is called, and
// register with t.Cleanup whatever it takes to close and remove it. The suite
// closes some stores itself; Close must therefore be safe to call again.
func Run(t *testing.T, newStore func(t *testing.T) authenticator.Store) {
	t.Helper()
	groups := []struct {
		name  string
		tests []test
	}{
		{"Users", userTests},
		{"Credentials", credentialTests},
		{"References", referenceTests},
		{"Checks", checkTests},
		{"Approvals", approvalTests},
		{"Events", eventTests},
		{"Deliveries", deliveryTests},
		{"Audit", auditTests},
		{"Erase", eraseTests},
		{"NotFound", notFoundTests},
		{"Aliasing", aliasingTests},
		{"Atomic", atomicTests},
		{"Concurrency", concurrencyTests},
		{"Close", closeTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range g.tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					tt.run(t, newStore(t))
				})
			}
		})
	}
}

// test is one subtest; it gets a fresh, empty store of its own.
type test struct {
	name string
	run  func(t *testing.T, s authenticator.Store)
}

// errSentinel is what the suite's updater and Atomic closures fail with, to
// check that a store returns a closure's error as it is.
var errSentinel = errors.New("storetest: sentinel error from a closure")

// zone is a non-UTC location for inputs, so that a store that does not
// normalise to UTC fails the comparisons.
var zone = time.FixedZone("UTC+05:30", 5*3600+30*60)

// at returns the n-th test instant. It carries nanoseconds, so that a store
// that does not truncate to microseconds fails the comparisons.
func at(n int) time.Time {
	return time.Date(2025, time.June, 1, 12, 0, n, 123_456_789, zone)
}

// norm is what a store must make of t: UTC, truncated to microseconds.
func norm(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// cmpOpts compares stored values: nil and empty slices and maps are equal,
// and times must be the same instant in the same location (UTC after norm).
var cmpOpts = cmp.Options{
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) && a.Location() == b.Location() }),
}

// newUser returns a user with every field set.
func newUser(id string) authenticator.User {
	return authenticator.User{
		ExternalID:  id,
		Handle:      []byte("handle\x00\xff-" + id),
		Username:    "name-" + id,
		DisplayName: "Display " + id + " ✓",
		Status:      authenticator.UserEnrolled,
		// Not the service's form: a store keeps whatever non-empty text it gets.
		AuditSubject: "p-audit-" + id,
		CreatedAt:    at(1),
		UpdatedAt:    at(2),
	}
}

// wantUser is u as a store must return it.
func wantUser(u authenticator.User) authenticator.User {
	u.CreatedAt = norm(u.CreatedAt)
	u.UpdatedAt = norm(u.UpdatedAt)
	return u
}

// newCredential returns a credential of userID with every field set.
func newCredential(id, userID string) authenticator.Credential {
	return authenticator.Credential{
		ID:                []byte("cred\x00\xff-" + id),
		UserExternalID:    userID,
		PublicKey:         []byte{0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x00, 0xff},
		AttestationType:   "none",
		AttestationFormat: "packed",
		AAGUID:            []byte{0xad, 0xce, 0x00, 0x02, 0x35, 0xbc, 0xc6, 0x0a, 0x64, 0x8b, 0x0b, 0x25, 0xf1, 0xf0, 0x55, 0x03},
		SignCount:         41,
		BackupEligible:    true,
		BackupState:       true,
		Transports:        []string{"internal", "hybrid"},
		Status:            authenticator.CredentialActive,
		StatusReason:      "registered during enrollment",
		Name:              "Ada's phone ✓",
		CreatedAt:         at(3),
		LastUsedAt:        at(4),
	}
}

// wantCredential is c as a store must return it.
func wantCredential(c authenticator.Credential) authenticator.Credential {
	c.CreatedAt = norm(c.CreatedAt)
	c.LastUsedAt = norm(c.LastUsedAt)
	return c
}

// newReference returns a biometric reference of userID with every field set.
// SealedRef holds bytes a text column would mangle.
func newReference(id, userID string) authenticator.BiometricReference {
	return authenticator.BiometricReference{
		ID:             "ref-" + id,
		UserExternalID: userID,
		Provider:       "sandbox",
		SealedRef:      []byte("sealed\x00\xff\xfe-" + id),
		Status:         authenticator.ReferenceActive,
		CreatedAt:      at(5),
		RevokedAt:      at(6),
	}
}

// wantReference is r as a store must return it.
func wantReference(r authenticator.BiometricReference) authenticator.BiometricReference {
	r.CreatedAt = norm(r.CreatedAt)
	r.RevokedAt = norm(r.RevokedAt)
	return r
}

// newCheck returns a check of userID with every field set. Its ReferenceID
// names no stored reference: the store treats it as opaque.
func newCheck(runID, userID string) authenticator.IDVCheck {
	return authenticator.IDVCheck{
		Provider:       "sandbox",
		RunID:          "run-" + runID,
		UserExternalID: userID,
		Journey:        "step_up",
		CeremonyID:     "ceremony-" + runID,
		ReferenceID:    "ref-of-" + runID,
		Status:         authenticator.CheckFailed,
		Reason:         "face_mismatch ✗",
		CreatedAt:      at(7),
		CompletedAt:    at(8),
	}
}

// wantCheck is c as a store must return it.
func wantCheck(c authenticator.IDVCheck) authenticator.IDVCheck {
	c.CreatedAt = norm(c.CreatedAt)
	c.CompletedAt = norm(c.CompletedAt)
	return c
}

// wantEvent is e as a store must return it, with the ID the store assigned.
func wantEvent(e authenticator.Event, id int64) authenticator.Event {
	e.ID = id
	e.At = norm(e.At)
	return e
}

// mustOK fails the test now if err is not nil.
func mustOK(t *testing.T, op string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: got error %v, want nil", op, err)
	}
}

// wantErr reports an error unless errors.Is(got, want).
func wantErr(t *testing.T, op string, got, want error) {
	t.Helper()
	if !errors.Is(got, want) {
		t.Errorf("%s: got error %v, want errors.Is(err, %v)", op, got, want)
	}
}

// checkDiff reports an error when got and want differ under cmpOpts.
func checkDiff(t *testing.T, what string, got, want any) {
	t.Helper()
	if d := cmp.Diff(want, got, cmpOpts); d != "" {
		t.Errorf("%s: got differs from want (-want +got):\n%s", what, d)
	}
}

// createUser stores u or fails the test now.
func createUser(t *testing.T, s authenticator.Tx, u authenticator.User) {
	t.Helper()
	mustOK(t, fmt.Sprintf("CreateUser(%q)", u.ExternalID), s.CreateUser(t.Context(), u))
}

// createCredential stores c or fails the test now.
func createCredential(t *testing.T, s authenticator.Tx, c authenticator.Credential) {
	t.Helper()
	mustOK(t, fmt.Sprintf("CreateCredential(%q)", c.ID), s.CreateCredential(t.Context(), c))
}

// createReference stores r or fails the test now.
func createReference(t *testing.T, s authenticator.Tx, r authenticator.BiometricReference) {
	t.Helper()
	mustOK(t, fmt.Sprintf("CreateReference(%q)", r.ID), s.CreateReference(t.Context(), r))
}

// createCheck stores c or fails the test now.
func createCheck(t *testing.T, s authenticator.Tx, c authenticator.IDVCheck) {
	t.Helper()
	mustOK(t, fmt.Sprintf("CreateCheck(%q, %q)", c.Provider, c.RunID), s.CreateCheck(t.Context(), c))
}

// checkUser reports an error unless the stored user externalID equals want.
func checkUser(t *testing.T, s authenticator.Tx, externalID string, want authenticator.User) {
	t.Helper()
	got, err := s.GetUser(t.Context(), externalID)
	if err != nil {
		t.Errorf("GetUser(%q): got error %v, want nil", externalID, err)
		return
	}
	checkDiff(t, fmt.Sprintf("GetUser(%q)", externalID), got, want)
}

// checkCredential reports an error unless the stored credential id equals want.
func checkCredential(t *testing.T, s authenticator.Tx, id []byte, want authenticator.Credential) {
	t.Helper()
	got, err := s.GetCredential(t.Context(), id)
	if err != nil {
		t.Errorf("GetCredential(%q): got error %v, want nil", id, err)
		return
	}
	checkDiff(t, fmt.Sprintf("GetCredential(%q)", id), got, want)
}

// checkReferences reports an error unless the user's stored references,
// oldest first, equal want.
func checkReferences(t *testing.T, s authenticator.Tx, externalID string, want []authenticator.BiometricReference) {
	t.Helper()
	got, err := s.ListReferences(t.Context(), externalID)
	if err != nil {
		t.Errorf("ListReferences(%q): got error %v, want nil", externalID, err)
		return
	}
	checkDiff(t, fmt.Sprintf("ListReferences(%q)", externalID), got, want)
}

// checkCheck reports an error unless the stored check (provider, runID)
// equals want.
func checkCheck(t *testing.T, s authenticator.Tx, provider, runID string, want authenticator.IDVCheck) {
	t.Helper()
	got, err := s.GetCheck(t.Context(), provider, runID)
	if err != nil {
		t.Errorf("GetCheck(%q, %q): got error %v, want nil", provider, runID, err)
		return
	}
	checkDiff(t, fmt.Sprintf("GetCheck(%q, %q)", provider, runID), got, want)
}

// externalIDs returns the ExternalIDs of users, in order.
func externalIDs(users []authenticator.User) []string {
	ids := make([]string, 0, len(users))
	for _, u := range users {
		ids = append(ids, u.ExternalID)
	}
	return ids
}
