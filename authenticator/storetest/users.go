package storetest

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

var userTests = []test{
	{"RoundTrip", testUserRoundTrip},
	{"ZeroOptionalFields", testUserZeroOptionalFields},
	{"DrawnAuditSubject", testUserDrawnAuditSubject},
	{"Conflict", testUserConflict},
	{"EmptyUsername", testUserEmptyUsername},
	{"InvalidKeys", testUserInvalidKeys},
	{"Update", testUpdateUser},
	{"UpdateClosureError", testUpdateUserClosureError},
	{"UpdateImmutableKeys", testUpdateUserImmutableKeys},
	{"UpdateUsernameConflict", testUpdateUserUsernameConflict},
	{"ListOrderAndPaging", testListUsersOrderAndPaging},
	{"ListDefaultPageSize", testListUsersDefaultPageSize},
	{"ListLimitBounds", testListUsersLimitBounds},
	{"CountByStatus", testCountUsersByStatus},
	{"CountByStatusInTransaction", testCountUsersByStatusInTransaction},
}

// testUserRoundTrip checks that every field comes back from every getter.
func testUserRoundTrip(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	in := newUser("alice")
	createUser(t, s, in)
	createUser(t, s, newUser("bob"))
	want := wantUser(in)

	getters := map[string]func() (authenticator.User, error){
		"GetUser":           func() (authenticator.User, error) { return s.GetUser(ctx, in.ExternalID) },
		"GetUserByHandle":   func() (authenticator.User, error) { return s.GetUserByHandle(ctx, in.Handle) },
		"GetUserByUsername": func() (authenticator.User, error) { return s.GetUserByUsername(ctx, in.Username) },
	}
	for name, get := range getters {
		got, err := get()
		if err != nil {
			t.Errorf("%s: got error %v, want nil", name, err)
			continue
		}
		checkDiff(t, name, got, want)
	}
}

// testUserZeroOptionalFields checks that a user with only its keys set round
// trips, zero times included.
func testUserZeroOptionalFields(t *testing.T, s authenticator.Store) {
	in := authenticator.User{ExternalID: "alice", Handle: []byte{0}, Username: "alice", AuditSubject: "p-alice"}
	createUser(t, s, in)
	got, err := s.GetUser(t.Context(), in.ExternalID)
	mustOK(t, "GetUser", err)
	checkDiff(t, "GetUser", got, in)
	if !got.CreatedAt.IsZero() || !got.UpdatedAt.IsZero() {
		t.Errorf("GetUser: got CreatedAt %v, UpdatedAt %v, want zero times", got.CreatedAt, got.UpdatedAt)
	}
}

// auditSubjectForm is the form of an audit pseudonym a store draws.
var auditSubjectForm = regexp.MustCompile(`^p-[0-9a-f]{32}$`)

// testUserDrawnAuditSubject checks that users created without an
// AuditSubject get one each: "p-" and 32 lowercase hex digits, different
// for every user, and kept by updates.
func testUserDrawnAuditSubject(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	seen := map[string]string{}
	for _, id := range []string{"alice", "bob", "carol"} {
		u := newUser(id)
		u.AuditSubject = ""
		createUser(t, s, u)
		got, err := s.GetUser(ctx, id)
		mustOK(t, "GetUser", err)
		if !auditSubjectForm.MatchString(got.AuditSubject) {
			t.Errorf("GetUser(%s).AuditSubject: got %q, want p- and 32 lowercase hex digits", id, got.AuditSubject)
		}
		if other, ok := seen[got.AuditSubject]; ok {
			t.Errorf("GetUser(%s).AuditSubject: got %q, want one different from %s's", id, got.AuditSubject, other)
		}
		seen[got.AuditSubject] = id
		u.AuditSubject = got.AuditSubject
		checkDiff(t, "GetUser("+id+")", got, wantUser(u))
		updated, err := s.UpdateUser(ctx, id, func(u authenticator.User) (authenticator.User, error) {
			u.DisplayName = "changed"
			return u, nil
		})
		mustOK(t, "UpdateUser", err)
		if updated.AuditSubject != u.AuditSubject {
			t.Errorf("UpdateUser(%s).AuditSubject: got %q, want %q", id, updated.AuditSubject, u.AuditSubject)
		}
	}
}

// testUserConflict checks that each unique key is enforced and that the
// rejected user is not stored.
func testUserConflict(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	first := newUser("alice")
	createUser(t, s, first)

	sameExternalID := newUser("alice")
	sameExternalID.Handle = []byte("another handle")
	sameExternalID.Username = "another-name"
	sameHandle := newUser("bob")
	sameHandle.Handle = first.Handle
	sameUsername := newUser("carol")
	sameUsername.Username = first.Username
	sameAuditSubject := newUser("dave")
	sameAuditSubject.AuditSubject = first.AuditSubject

	for name, u := range map[string]authenticator.User{
		"ExternalID":   sameExternalID,
		"Handle":       sameHandle,
		"Username":     sameUsername,
		"AuditSubject": sameAuditSubject,
	} {
		t.Run(name, func(t *testing.T) {
			wantErr(t, "CreateUser(duplicate "+name+")", s.CreateUser(ctx, u), authenticator.ErrConflict)
			if u.ExternalID != first.ExternalID {
				_, err := s.GetUser(ctx, u.ExternalID)
				wantErr(t, "GetUser(rejected user)", err, authenticator.ErrNotFound)
			}
		})
	}
	_, err := s.GetUserByHandle(ctx, sameExternalID.Handle)
	wantErr(t, "GetUserByHandle(rejected handle)", err, authenticator.ErrNotFound)
	checkUser(t, s, first.ExternalID, wantUser(first))
}

// testUserEmptyUsername checks that an empty username means "none": it
// never conflicts and is never found.
func testUserEmptyUsername(t *testing.T, s authenticator.Store) {
	for _, id := range []string{"alice", "bob"} {
		u := newUser(id)
		u.Username = ""
		createUser(t, s, u)
		checkUser(t, s, id, wantUser(u))
	}
	_, err := s.GetUserByUsername(t.Context(), "")
	wantErr(t, `GetUserByUsername("")`, err, authenticator.ErrNotFound)
}

// testUserInvalidKeys checks that users without keys are refused and not stored.
func testUserInvalidKeys(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	noExternalID := newUser("")
	nilHandle := newUser("alice")
	nilHandle.Handle = nil
	emptyHandle := newUser("bob")
	emptyHandle.Handle = []byte{}
	for name, u := range map[string]authenticator.User{
		"empty ExternalID": noExternalID,
		"nil Handle":       nilHandle,
		"empty Handle":     emptyHandle,
	} {
		wantErr(t, "CreateUser("+name+")", s.CreateUser(ctx, u), authenticator.ErrInvalidArgument)
	}
	users, err := s.ListUsers(ctx, authenticator.UserQuery{})
	mustOK(t, "ListUsers", err)
	if len(users) != 0 {
		t.Errorf("ListUsers after invalid creates: got %q, want none", externalIDs(users))
	}
}

// testUpdateUser checks that the closure sees the stored value and that its
// result is stored, returned and found under the new username.
func testUpdateUser(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	in := newUser("alice")
	createUser(t, s, in)
	bob := newUser("bob")
	createUser(t, s, bob)

	var seen authenticator.User
	got, err := s.UpdateUser(ctx, in.ExternalID, func(u authenticator.User) (authenticator.User, error) {
		seen = u
		u.Username = "alice-renamed"
		u.DisplayName = "Alice Renamed"
		u.Status = authenticator.UserSuspended
		u.CreatedAt = at(5)
		u.UpdatedAt = at(6)
		return u, nil
	})
	mustOK(t, "UpdateUser", err)
	checkDiff(t, "UpdateUser closure argument", seen, wantUser(in))

	want := wantUser(in)
	want.Username = "alice-renamed"
	want.DisplayName = "Alice Renamed"
	want.Status = authenticator.UserSuspended
	want.CreatedAt = norm(at(5))
	want.UpdatedAt = norm(at(6))
	checkDiff(t, "UpdateUser result", got, want)
	checkUser(t, s, in.ExternalID, want)

	byName, err := s.GetUserByUsername(ctx, "alice-renamed")
	mustOK(t, "GetUserByUsername(new name)", err)
	checkDiff(t, "GetUserByUsername(new name)", byName, want)
	_, err = s.GetUserByUsername(ctx, in.Username)
	wantErr(t, "GetUserByUsername(old name)", err, authenticator.ErrNotFound)
	checkUser(t, s, bob.ExternalID, wantUser(bob))
}

// testUpdateUserClosureError checks that a closure's error aborts the update
// and comes back as it is.
func testUpdateUserClosureError(t *testing.T, s authenticator.Store) {
	in := newUser("alice")
	createUser(t, s, in)
	_, err := s.UpdateUser(t.Context(), in.ExternalID, func(u authenticator.User) (authenticator.User, error) {
		u.DisplayName = "changed"
		u.Status = authenticator.UserSuspended
		return u, errSentinel
	})
	wantErr(t, "UpdateUser(closure fails)", err, errSentinel)
	checkUser(t, s, in.ExternalID, wantUser(in))
}

// testUpdateUserImmutableKeys checks that ExternalID, Handle and
// AuditSubject cannot change.
func testUpdateUserImmutableKeys(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	in := newUser("alice")
	createUser(t, s, in)
	mutators := map[string]func(*authenticator.User){
		"ExternalID":           func(u *authenticator.User) { u.ExternalID = "mallory" },
		"Handle":               func(u *authenticator.User) { u.Handle = []byte("another handle") },
		"Handle in place":      func(u *authenticator.User) { u.Handle[0] ^= 0xff },
		"Handle removed":       func(u *authenticator.User) { u.Handle = nil },
		"AuditSubject":         func(u *authenticator.User) { u.AuditSubject = "p-another" },
		"AuditSubject removed": func(u *authenticator.User) { u.AuditSubject = "" },
	}
	for name, mutate := range mutators {
		t.Run(name, func(t *testing.T) {
			_, err := s.UpdateUser(ctx, in.ExternalID, func(u authenticator.User) (authenticator.User, error) {
				mutate(&u)
				u.DisplayName = "changed"
				return u, nil
			})
			wantErr(t, "UpdateUser(change "+name+")", err, authenticator.ErrInvalidArgument)
			checkUser(t, s, in.ExternalID, wantUser(in))
		})
	}
	_, err := s.GetUser(ctx, "mallory")
	wantErr(t, `GetUser("mallory")`, err, authenticator.ErrNotFound)
}

// testUpdateUserUsernameConflict checks that renaming onto a taken username
// is ErrConflict and changes nothing.
func testUpdateUserUsernameConflict(t *testing.T, s authenticator.Store) {
	alice, bob := newUser("alice"), newUser("bob")
	createUser(t, s, alice)
	createUser(t, s, bob)
	_, err := s.UpdateUser(t.Context(), alice.ExternalID, func(u authenticator.User) (authenticator.User, error) {
		u.Username = bob.Username
		u.DisplayName = "changed"
		return u, nil
	})
	wantErr(t, "UpdateUser(taken username)", err, authenticator.ErrConflict)
	checkUser(t, s, alice.ExternalID, wantUser(alice))
	checkUser(t, s, bob.ExternalID, wantUser(bob))
}

// testListUsersOrderAndPaging checks byte-wise ExternalID order and After.
func testListUsersOrderAndPaging(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	empty, err := s.ListUsers(ctx, authenticator.UserQuery{})
	mustOK(t, "ListUsers(empty store)", err)
	if len(empty) != 0 {
		t.Errorf("ListUsers(empty store): got %q, want none", externalIDs(empty))
	}

	// "Zed" sorts before "u01" byte-wise but after it in most locales.
	created := map[string]authenticator.User{}
	for _, id := range []string{"u03", "Zed", "u01", "u05", "u02", "u04"} {
		u := newUser(id)
		createUser(t, s, u)
		created[id] = wantUser(u)
	}
	all := []string{"Zed", "u01", "u02", "u03", "u04", "u05"}

	users, err := s.ListUsers(ctx, authenticator.UserQuery{})
	mustOK(t, "ListUsers", err)
	want := make([]authenticator.User, 0, len(all))
	for _, id := range all {
		want = append(want, created[id])
	}
	checkDiff(t, "ListUsers", users, want)

	cases := []struct {
		q    authenticator.UserQuery
		want []string
	}{
		{authenticator.UserQuery{Limit: 2}, []string{"Zed", "u01"}},
		{authenticator.UserQuery{After: "u01", Limit: 2}, []string{"u02", "u03"}},
		{authenticator.UserQuery{After: "u025"}, []string{"u03", "u04", "u05"}},
		{authenticator.UserQuery{After: "u04", Limit: 5}, []string{"u05"}},
		{authenticator.UserQuery{After: "u05"}, nil},
		{authenticator.UserQuery{After: "A"}, all},
	}
	for _, c := range cases {
		users, err := s.ListUsers(ctx, c.q)
		op := fmt.Sprintf("ListUsers(%+v)", c.q)
		if err != nil {
			t.Errorf("%s: got error %v, want nil", op, err)
			continue
		}
		checkDiff(t, op, externalIDs(users), c.want)
	}

	// Walking page by page visits everyone once, in order.
	var walked []string
	q := authenticator.UserQuery{Limit: 4}
	for range len(all) + 1 {
		page, err := s.ListUsers(ctx, q)
		mustOK(t, fmt.Sprintf("ListUsers(%+v)", q), err)
		if len(page) == 0 {
			break
		}
		walked = append(walked, externalIDs(page)...)
		q.After = page[len(page)-1].ExternalID
	}
	if !cmp.Equal(walked, all) {
		t.Errorf("paging with Limit 4: got %q, want %q", walked, all)
	}
}

// testListUsersDefaultPageSize checks that Limit 0 means DefaultPageSize.
func testListUsersDefaultPageSize(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	n := authenticator.DefaultPageSize + 1
	for i := range n {
		createUser(t, s, newUser(fmt.Sprintf("u%04d", i)))
	}
	users, err := s.ListUsers(ctx, authenticator.UserQuery{})
	mustOK(t, "ListUsers(Limit 0)", err)
	if len(users) != authenticator.DefaultPageSize {
		t.Errorf("ListUsers(Limit 0): got %d users, want %d", len(users), authenticator.DefaultPageSize)
	}
	users, err = s.ListUsers(ctx, authenticator.UserQuery{Limit: authenticator.MaxPageSize})
	mustOK(t, "ListUsers(MaxPageSize)", err)
	if len(users) != n {
		t.Errorf("ListUsers(MaxPageSize): got %d users, want %d", len(users), n)
	}
}

// testListUsersLimitBounds checks that limits outside 0..MaxPageSize are refused.
func testListUsersLimitBounds(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	createUser(t, s, newUser("alice"))
	for _, limit := range []int{-1, authenticator.MaxPageSize + 1} {
		_, err := s.ListUsers(ctx, authenticator.UserQuery{Limit: limit})
		wantErr(t, fmt.Sprintf("ListUsers(Limit %d)", limit), err, authenticator.ErrInvalidArgument)
	}
	for _, limit := range []int{1, authenticator.MaxPageSize} {
		users, err := s.ListUsers(ctx, authenticator.UserQuery{Limit: limit})
		mustOK(t, fmt.Sprintf("ListUsers(Limit %d)", limit), err)
		if len(users) != 1 {
			t.Errorf("ListUsers(Limit %d): got %d users, want 1", limit, len(users))
		}
	}
}

// userWithStatus is newUser(id) in status st.
func userWithStatus(id string, st authenticator.UserStatus) authenticator.User {
	u := newUser(id)
	u.Status = st
	return u
}

// countUsersByStatus is tx's CountUsersByStatus, failing the test on an error.
func countUsersByStatus(t *testing.T, tx authenticator.Tx, when string) map[authenticator.UserStatus]int {
	t.Helper()
	got, err := tx.CountUsersByStatus(t.Context())
	mustOK(t, "CountUsersByStatus "+when, err)
	return got
}

// testCountUsersByStatus checks the exact count of every status, and that
// a status no user is in is absent.
func testCountUsersByStatus(t *testing.T, s authenticator.Store) {
	if got := countUsersByStatus(t, s, "of an empty store"); len(got) != 0 {
		t.Errorf("CountUsersByStatus of an empty store: got %v, want an empty map", got)
	}
	for i, st := range []authenticator.UserStatus{
		authenticator.UserInvited, authenticator.UserInvited, authenticator.UserInvited,
		authenticator.UserEnrolled, authenticator.UserEnrolled,
		authenticator.UserSuspended,
		"retired", // a status a newer service adds: a store counts any text
	} {
		createUser(t, s, userWithStatus(fmt.Sprintf("u%02d", i), st))
	}
	checkDiff(t, "CountUsersByStatus", countUsersByStatus(t, s, "after the creates"), map[authenticator.UserStatus]int{
		authenticator.UserInvited: 3, authenticator.UserEnrolled: 2, authenticator.UserSuspended: 1, "retired": 1,
	})

	_, err := s.UpdateUser(t.Context(), "u00", func(u authenticator.User) (authenticator.User, error) {
		u.Status = authenticator.UserBiometricPending
		return u, nil
	})
	mustOK(t, "UpdateUser", err)
	checkDiff(t, "CountUsersByStatus after a status change", countUsersByStatus(t, s, "after the update"), map[authenticator.UserStatus]int{
		authenticator.UserInvited: 2, authenticator.UserBiometricPending: 1, authenticator.UserEnrolled: 2,
		authenticator.UserSuspended: 1, "retired": 1,
	})
}

// testCountUsersByStatusInTransaction checks that a transaction counts its
// own uncommitted user, and that the store does not once it rolls back.
func testCountUsersByStatusInTransaction(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	createUser(t, s, userWithStatus("bob", authenticator.UserEnrolled))
	want := map[authenticator.UserStatus]int{authenticator.UserEnrolled: 1}

	err := s.Atomic(ctx, func(tx authenticator.Tx) error {
		if err := tx.CreateUser(ctx, userWithStatus("alice", authenticator.UserInvited)); err != nil {
			return fmt.Errorf("CreateUser: %w", err)
		}
		checkDiff(t, "CountUsersByStatus inside the transaction", countUsersByStatus(t, tx, "inside the transaction"),
			map[authenticator.UserStatus]int{authenticator.UserEnrolled: 1, authenticator.UserInvited: 1})
		return errSentinel
	})
	wantErr(t, "Atomic(fn fails)", err, errSentinel)
	checkDiff(t, "CountUsersByStatus after the rollback", countUsersByStatus(t, s, "after the rollback"), want)
}
