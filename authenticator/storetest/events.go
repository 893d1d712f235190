package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

var eventTests = []test{
	{"AppendAndList", testEvents},
	{"ListDefaultPageSize", testListEventsDefaultPageSize},
	{"ListLimitBounds", testListEventsLimitBounds},
	{"CountByDay", testCountEventsByDay},
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

// testCountEventsByDay checks counts per UTC day and type across a day
// boundary (inputs in a non-UTC zone), the half-open range, the types
// filter, an empty range and since after until.
func testCountEventsByDay(t *testing.T, s authenticator.Store) {
	ctx := t.Context()
	createUser(t, s, newUser("alice"))
	day1 := time.Date(2025, time.June, 1, 0, 0, 0, 0, time.UTC)
	day2 := day1.AddDate(0, 0, 1)
	signIn, stepUp, invited := authenticator.EventAuthenticationSuccess, authenticator.EventStepUpFailed, authenticator.EventUserInvited
	for i, e := range []struct {
		typ authenticator.EventType
		at  time.Time
	}{
		{signIn, day1.Add(-time.Microsecond)}, // the day before: outside the range
		{signIn, day1},
		{signIn, day1.Add(23*time.Hour + 59*time.Minute).In(zone)}, // 05:29 on day2 in zone
		{stepUp, day1.Add(12 * time.Hour)},
		{invited, day1.Add(13 * time.Hour)},
		{signIn, day2.Add(time.Hour).In(zone)},
		{signIn, day2.Add(2 * time.Hour)},
		{stepUp, day2.Add(3 * time.Hour)},
		{signIn, day2.AddDate(0, 0, 1)}, // until: outside the half-open range
	} {
		_, err := s.AppendEvent(ctx, authenticator.Event{Type: e.typ, UserExternalID: "alice", Actor: "user", At: e.at})
		mustOK(t, fmt.Sprintf("AppendEvent(#%d)", i), err)
	}
	until := day2.AddDate(0, 0, 1)

	got, err := s.CountEventsByDay(ctx, []authenticator.EventType{signIn, stepUp}, day1, until)
	mustOK(t, "CountEventsByDay(sign-ins, step-ups)", err)
	checkDiff(t, "CountEventsByDay(sign-ins, step-ups)", got, []authenticator.DayCount{
		{Day: day1, Type: signIn, Count: 2},
		{Day: day1, Type: stepUp, Count: 1},
		{Day: day2, Type: signIn, Count: 2},
		{Day: day2, Type: stepUp, Count: 1},
	})

	got, err = s.CountEventsByDay(ctx, []authenticator.EventType{stepUp}, day1.In(zone), until.In(zone))
	mustOK(t, "CountEventsByDay(step-ups)", err)
	checkDiff(t, "CountEventsByDay(step-ups)", got, []authenticator.DayCount{
		{Day: day1, Type: stepUp, Count: 1},
		{Day: day2, Type: stepUp, Count: 1},
	})

	got, err = s.CountEventsByDay(ctx, nil, day1, day2)
	mustOK(t, "CountEventsByDay(all types, day1)", err)
	checkDiff(t, "CountEventsByDay(all types, day1)", got, []authenticator.DayCount{
		{Day: day1, Type: signIn, Count: 2},
		{Day: day1, Type: stepUp, Count: 1},
		{Day: day1, Type: invited, Count: 1},
	})

	got, err = s.CountEventsByDay(ctx, nil, day1, day1)
	mustOK(t, "CountEventsByDay(empty range)", err)
	if len(got) != 0 {
		t.Errorf("CountEventsByDay(empty range) = %v, want none", got)
	}
	got, err = s.CountEventsByDay(ctx, []authenticator.EventType{authenticator.EventRecoveryCompleted}, day1, until)
	mustOK(t, "CountEventsByDay(no such events)", err)
	if len(got) != 0 {
		t.Errorf("CountEventsByDay(no such events) = %v, want none", got)
	}

	_, err = s.CountEventsByDay(ctx, nil, until, day1)
	if !errors.Is(err, authenticator.ErrInvalidArgument) {
		t.Errorf("CountEventsByDay(since > until): got error %v, want ErrInvalidArgument", err)
	}
}
