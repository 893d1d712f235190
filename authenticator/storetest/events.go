package storetest

import (
	"fmt"
	"testing"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

var eventTests = []test{
	{"AppendAndList", testEvents},
	{"ListDefaultPageSize", testListEventsDefaultPageSize},
	{"ListLimitBounds", testListEventsLimitBounds},
}

// testEvents checks increasing IDs, every field including Detail, newest-first
// listing with a limit, per-user filtering and an unknown user.
func testEvents(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	createUser(t, s, newUser("alice"))
	createUser(t, s, newUser("bob"))
	credID := newCredential("one", "alice").ID

	inputs := []authenticator.Event{
		{
			Type: authenticator.EventUserInvited, UserExternalID: "alice", Actor: "system",
			Detail: map[string]string{"client_id": "demo-rp"}, At: at(1),
		},
		{
			Type: authenticator.EventCredentialRegistered, UserExternalID: "alice", CredentialID: credID,
			Actor: "user", At: at(2),
		},
		{
			Type: authenticator.EventUserInvited, UserExternalID: "bob", Actor: "system", At: at(3),
		},
		{
			Type: authenticator.EventCredentialRevoked, UserExternalID: "alice", CredentialID: credID,
			Actor: "operator-sub-1234",
			Detail: map[string]string{
				"reason": "lost device",
				"quoted": `"x" & <y> \ ünïcödé`,
				"empty":  "",
			},
			At: at(4),
		},
	}
	stored := make([]authenticator.Event, 0, len(inputs))
	var last int64
	for i, in := range inputs {
		got, err := s.AppendEvent(ctx, in)
		mustOK(t, fmt.Sprintf("AppendEvent(#%d)", i), err)
		if got.ID <= last {
			t.Errorf("AppendEvent(#%d): got ID %d, want > %d", i, got.ID, last)
		}
		last = got.ID
		want := wantEvent(in, got.ID)
		checkDiff(t, fmt.Sprintf("AppendEvent(#%d) result", i), got, want)
		stored = append(stored, want)
	}
	alice3, alice2, alice1, bob1 := stored[3], stored[1], stored[0], stored[2]

	cases := []struct {
		user  string
		limit int
		want  []authenticator.Event
	}{
		{"alice", 0, []authenticator.Event{alice3, alice2, alice1}},
		{"alice", 2, []authenticator.Event{alice3, alice2}},
		{"alice", 1, []authenticator.Event{alice3}},
		{"alice", authenticator.MaxPageSize, []authenticator.Event{alice3, alice2, alice1}},
		{"bob", 0, []authenticator.Event{bob1}},
		{"nobody", 0, nil},
	}
	for _, c := range cases {
		op := fmt.Sprintf("ListEvents(%q, %d)", c.user, c.limit)
		got, err := s.ListEvents(ctx, c.user, c.limit)
		if err != nil {
			t.Errorf("%s: got error %v, want nil", op, err)
			continue
		}
		checkDiff(t, op, got, c.want)
	}
}

// testListEventsDefaultPageSize checks that limit 0 means DefaultPageSize and
// that the newest events are the ones kept.
func testListEventsDefaultPageSize(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	createUser(t, s, newUser("alice"))
	var newest authenticator.Event
	for i := range authenticator.DefaultPageSize + 1 {
		e, err := s.AppendEvent(ctx, authenticator.Event{
			Type: authenticator.EventAuthenticationSuccess, UserExternalID: "alice", Actor: "user", At: at(i),
		})
		mustOK(t, fmt.Sprintf("AppendEvent(#%d)", i), err)
		newest = e
	}
	got, err := s.ListEvents(ctx, "alice", 0)
	mustOK(t, "ListEvents(limit 0)", err)
	if len(got) != authenticator.DefaultPageSize {
		t.Fatalf("ListEvents(limit 0): got %d events, want %d", len(got), authenticator.DefaultPageSize)
	}
	checkDiff(t, "ListEvents(limit 0)[0]", got[0], newest)
}

// testListEventsLimitBounds checks that limits outside 0..MaxPageSize are refused.
func testListEventsLimitBounds(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	createUser(t, s, newUser("alice"))
	_, err := s.AppendEvent(ctx, authenticator.Event{
		Type: authenticator.EventUserInvited, UserExternalID: "alice", Actor: "system", At: at(1),
	})
	mustOK(t, "AppendEvent", err)
	for _, limit := range []int{-1, authenticator.MaxPageSize + 1} {
		_, err := s.ListEvents(ctx, "alice", limit)
		wantErr(t, fmt.Sprintf("ListEvents(limit %d)", limit), err, authenticator.ErrInvalidArgument)
	}
}
