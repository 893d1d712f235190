package storetest

import (
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

var checkTests = []test{
	{"RoundTrip", testCheckRoundTrip},
	{"ZeroOptionalFields", testCheckZeroOptionalFields},
	{"KeyIsProviderAndRunID", testCheckKey},
	{"Conflict", checks.testConflict},
	{"UnknownUser", checks.testUnknownUser},
	{"InvalidKeys", testCheckInvalidKeys},
	{"Update", testUpdateCheck},
	{"UpdateClearsOptionalFields", testUpdateCheckClearsOptionalFields},
	{"UpdateClosureError", testUpdateCheckClosureError},
	{"UpdateImmutableFields", testUpdateCheckImmutableFields},
}

// checks are the identity-verification checks for the keyed tests, keyed by
// (Provider, RunID): a pending check, and a replay that passed.
var checks = keyed[authenticator.IDVCheck]{
	kind: "Check", key: "key",
	value: func(runID, user string) authenticator.IDVCheck {
		c := newCheck(runID, user)
		c.Status = authenticator.CheckPending
		return c
	},
	vary: func(c authenticator.IDVCheck) authenticator.IDVCheck {
		c.Status = authenticator.CheckPassed
		c.CeremonyID = "ceremony-of-" + c.UserExternalID
		return c
	},
	create: authenticator.Tx.CreateCheck,
	stored: func(t *testing.T, s authenticator.Store, first authenticator.IDVCheck) {
		checkCheck(t, s, first.Provider, first.RunID, wantCheck(first))
	},
	refused: func(t *testing.T, s authenticator.Store, in authenticator.IDVCheck) {
		_, err := s.GetCheck(t.Context(), in.Provider, in.RunID)
		wantErr(t, "GetCheck(rejected check)", err, authenticator.ErrNotFound)
	},
}

// testCheckRoundTrip checks that every field comes back, a pending check's
// zero CompletedAt included.
func testCheckRoundTrip(t *testing.T, s authenticator.Store) {
	createUser(t, s, newUser("alice"))
	done := newCheck("one", "alice")
	createCheck(t, s, done)
	pending := newCheck("two", "alice")
	pending.Journey = "enrollment"
	pending.ReferenceID = ""
	pending.Status = authenticator.CheckPending
	pending.Reason = ""
	pending.CompletedAt = time.Time{}
	createCheck(t, s, pending)

	checkCheck(t, s, done.Provider, done.RunID, wantCheck(done))
	checkCheck(t, s, pending.Provider, pending.RunID, wantCheck(pending))
}

// testCheckZeroOptionalFields checks that a check with only its keys set
// round trips, zero times included.
func testCheckZeroOptionalFields(t *testing.T, s authenticator.Store) {
	createUser(t, s, newUser("alice"))
	in := authenticator.IDVCheck{Provider: "p", RunID: "r", UserExternalID: "alice"}
	createCheck(t, s, in)
	got, err := s.GetCheck(t.Context(), in.Provider, in.RunID)
	mustOK(t, "GetCheck", err)
	checkDiff(t, "GetCheck", got, in)
	if !got.CreatedAt.IsZero() || !got.CompletedAt.IsZero() {
		t.Errorf("GetCheck: got CreatedAt %v, CompletedAt %v, want zero times", got.CreatedAt, got.CompletedAt)
	}
}

// testCheckKey checks that a run id is unique only within its provider:
// the same run id at two providers is two checks, and neither half of the
// key finds a check on its own.
func testCheckKey(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	createUser(t, s, newUser("alice"))
	createUser(t, s, newUser("bob"))
	a := newCheck("one", "alice")
	b := newCheck("one", "bob")
	b.Provider = "another-provider"
	b.CeremonyID = "ceremony-of-bob"
	createCheck(t, s, a)
	createCheck(t, s, b)
	other := newCheck("two", "alice")
	createCheck(t, s, other)

	checkCheck(t, s, a.Provider, a.RunID, wantCheck(a))
	checkCheck(t, s, b.Provider, b.RunID, wantCheck(b))
	for _, key := range [][2]string{
		{a.Provider, "run-three"},
		{"third-provider", a.RunID},
		{b.Provider, other.RunID},
		{a.Provider, ""},
		{"", a.RunID},
		{a.RunID, a.Provider},
	} {
		_, err := s.GetCheck(ctx, key[0], key[1])
		wantErr(t, "GetCheck("+key[0]+", "+key[1]+")", err, authenticator.ErrNotFound)
	}
}

// testCheckInvalidKeys checks that checks without keys are refused and not
// stored.
func testCheckInvalidKeys(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	createUser(t, s, newUser("alice"))
	noProvider := newCheck("one", "alice")
	noProvider.Provider = ""
	noRunID := newCheck("two", "alice")
	noRunID.RunID = ""
	noUser := newCheck("three", "")
	for name, c := range map[string]authenticator.IDVCheck{
		"empty Provider":       noProvider,
		"empty RunID":          noRunID,
		"empty UserExternalID": noUser,
	} {
		wantErr(t, "CreateCheck("+name+")", s.CreateCheck(ctx, c), authenticator.ErrInvalidArgument)
		_, err := s.GetCheck(ctx, c.Provider, c.RunID)
		wantErr(t, "GetCheck("+name+")", err, authenticator.ErrNotFound)
	}
}

// testUpdateCheck checks that the closure sees the stored value and that
// every mutable field can change.
func testUpdateCheck(t *testing.T, s authenticator.Store) {
	createUser(t, s, newUser("alice"))
	in := newCheck("one", "alice")
	in.Status = authenticator.CheckPending
	in.ReferenceID = ""
	in.Reason = ""
	in.CompletedAt = time.Time{}
	createCheck(t, s, in)
	other := newCheck("two", "alice")
	other.Status = authenticator.CheckPending
	createCheck(t, s, other)

	change := func(c authenticator.IDVCheck) authenticator.IDVCheck {
		c.ReferenceID = "ref-established"
		c.Status = authenticator.CheckPassed
		c.Reason = "none needed"
		c.CreatedAt = at(1)
		c.CompletedAt = at(12)
		return c
	}
	var seen authenticator.IDVCheck
	got, err := s.UpdateCheck(t.Context(), in.Provider, in.RunID, func(c authenticator.IDVCheck) (authenticator.IDVCheck, error) {
		seen = c
		return change(c), nil
	})
	mustOK(t, "UpdateCheck", err)
	checkDiff(t, "UpdateCheck closure argument", seen, wantCheck(in))
	want := wantCheck(change(in))
	checkDiff(t, "UpdateCheck result", got, want)
	checkCheck(t, s, in.Provider, in.RunID, want)
	checkCheck(t, s, other.Provider, other.RunID, wantCheck(other))
}

// testUpdateCheckClearsOptionalFields checks that an update can set the
// mutable strings back to empty and the times back to zero.
func testUpdateCheckClearsOptionalFields(t *testing.T, s authenticator.Store) {
	createUser(t, s, newUser("alice"))
	in := newCheck("one", "alice")
	createCheck(t, s, in)
	got, err := s.UpdateCheck(t.Context(), in.Provider, in.RunID, func(c authenticator.IDVCheck) (authenticator.IDVCheck, error) {
		c.ReferenceID = ""
		c.Status = ""
		c.Reason = ""
		c.CreatedAt = time.Time{}
		c.CompletedAt = time.Time{}
		return c, nil
	})
	mustOK(t, "UpdateCheck", err)
	want := authenticator.IDVCheck{
		Provider: in.Provider, RunID: in.RunID, UserExternalID: in.UserExternalID,
		Journey: in.Journey, CeremonyID: in.CeremonyID,
	}
	checkDiff(t, "UpdateCheck result", got, want)
	checkCheck(t, s, in.Provider, in.RunID, want)
}

// testUpdateCheckClosureError checks that a closure's error aborts the
// update and comes back as it is.
func testUpdateCheckClosureError(t *testing.T, s authenticator.Store) {
	createUser(t, s, newUser("alice"))
	in := newCheck("one", "alice")
	in.Status = authenticator.CheckPending
	createCheck(t, s, in)
	_, err := s.UpdateCheck(t.Context(), in.Provider, in.RunID, func(c authenticator.IDVCheck) (authenticator.IDVCheck, error) {
		c.Status = authenticator.CheckPassed
		c.ReferenceID = "changed"
		c.CompletedAt = at(20)
		return c, errSentinel
	})
	wantErr(t, "UpdateCheck(closure fails)", err, errSentinel)
	checkCheck(t, s, in.Provider, in.RunID, wantCheck(in))
}

// testUpdateCheckImmutableFields checks that the key, the user and the
// ceremony a check belongs to cannot change (DESIGN.md §7.5), not even to
// another existing user or check.
func testUpdateCheckImmutableFields(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	createUser(t, s, newUser("alice"))
	createUser(t, s, newUser("bob"))
	in := newCheck("one", "alice")
	in.Status = authenticator.CheckPending
	createCheck(t, s, in)
	taken := newCheck("two", "bob")
	createCheck(t, s, taken)
	mutators := map[string]func(*authenticator.IDVCheck){
		"Provider":               func(c *authenticator.IDVCheck) { c.Provider = "another-provider" },
		"Provider removed":       func(c *authenticator.IDVCheck) { c.Provider = "" },
		"RunID":                  func(c *authenticator.IDVCheck) { c.RunID = "run-another" },
		"RunID taken":            func(c *authenticator.IDVCheck) { c.RunID = taken.RunID },
		"RunID removed":          func(c *authenticator.IDVCheck) { c.RunID = "" },
		"UserExternalID":         func(c *authenticator.IDVCheck) { c.UserExternalID = "bob" },
		"UserExternalID unknown": func(c *authenticator.IDVCheck) { c.UserExternalID = "nobody" },
		"Journey":                func(c *authenticator.IDVCheck) { c.Journey = "recovery" },
		"Journey removed":        func(c *authenticator.IDVCheck) { c.Journey = "" },
		"CeremonyID":             func(c *authenticator.IDVCheck) { c.CeremonyID = "ceremony-another" },
		"CeremonyID removed":     func(c *authenticator.IDVCheck) { c.CeremonyID = "" },
	}
	for name, mutate := range mutators {
		t.Run(name, func(t *testing.T) {
			_, err := s.UpdateCheck(ctx, in.Provider, in.RunID, func(c authenticator.IDVCheck) (authenticator.IDVCheck, error) {
				mutate(&c)
				c.Status = authenticator.CheckPassed
				return c, nil
			})
			wantErr(t, "UpdateCheck(change "+name+")", err, authenticator.ErrInvalidArgument)
			checkCheck(t, s, in.Provider, in.RunID, wantCheck(in))
		})
	}
	checkCheck(t, s, taken.Provider, taken.RunID, wantCheck(taken))
	for _, key := range [][2]string{{"another-provider", in.RunID}, {in.Provider, "run-another"}} {
		_, err := s.GetCheck(ctx, key[0], key[1])
		wantErr(t, "GetCheck("+key[0]+", "+key[1]+")", err, authenticator.ErrNotFound)
	}
}
