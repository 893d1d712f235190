package authenticator_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/memory"
	"github.com/biometric-passkey/biometric-passkey/authenticator/sqlite"
	"github.com/biometric-passkey/biometric-passkey/internal/testclock"
)

// TestActivityByDay checks the per-day series over an injected clock: the
// window ends today (UTC), days without events are zeros, failures add up
// three event types and events outside the window are left out.
func TestActivityByDay(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	now := time.Date(2026, time.November, 25, 14, 0, 0, 0, time.UTC)
	st, err := sqlite.OpenAndMigrate(ctx, filepath.Join(t.TempDir(), "bp.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	clk := testclock.New(now)
	svc, err := authenticator.New(authenticator.Config{RPID: rpID, RPDisplayName: "Example Bank", RPOrigins: []string{origin}},
		st, memory.New(memory.WithClock(clk.Now)), authenticator.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateUser(ctx, authenticator.User{ExternalID: "cust-1", Handle: []byte("handle-cust-1"), Status: authenticator.UserEnrolled, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	today := time.Date(2026, time.November, 25, 0, 0, 0, 0, time.UTC)
	add := func(typ authenticator.EventType, at time.Time) {
		t.Helper()
		if _, err := st.AppendEvent(ctx, authenticator.Event{Type: typ, UserExternalID: "cust-1", Actor: "user", At: at}); err != nil {
			t.Fatal(err)
		}
	}
	add(authenticator.EventAuthenticationSuccess, today.AddDate(0, 0, -3).Add(-time.Second)) // before the window
	add(authenticator.EventAuthenticationSuccess, today.AddDate(0, 0, -2))
	add(authenticator.EventAuthenticationSuccess, today.AddDate(0, 0, -2).Add(time.Hour))
	add(authenticator.EventStepUpPassed, today.AddDate(0, 0, -2).Add(2*time.Hour))
	add(authenticator.EventStepUpFailed, today.Add(time.Hour))
	add(authenticator.EventRecoveryFailed, today.Add(2*time.Hour))
	add(authenticator.EventIDVCheckFailed, today.Add(3*time.Hour))
	add(authenticator.EventRecoveryCompleted, today.Add(4*time.Hour))
	add(authenticator.EventUserInvited, today.Add(5*time.Hour)) // not counted
	add(authenticator.EventAuthenticationSuccess, today.Add(23*time.Hour+59*time.Minute))

	got, err := svc.ActivityByDay(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := authenticator.Activity{Days: []authenticator.ActivityDay{
		{Day: today.AddDate(0, 0, -2), SignIns: 2, StepUps: 1},
		{Day: today.AddDate(0, 0, -1)},
		{Day: today, SignIns: 1, Failures: 3, Recoveries: 1},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ActivityByDay(3) mismatch (-want +got):\n%s", diff)
	}

	got, err = svc.ActivityByDay(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.Days); n != authenticator.DefaultActivityDays {
		t.Errorf("ActivityByDay(0): got %d days, want %d", n, authenticator.DefaultActivityDays)
	}
	if first := got.Days[0].Day; !first.Equal(today.AddDate(0, 0, 1-authenticator.DefaultActivityDays)) {
		t.Errorf("ActivityByDay(0): first day %v", first)
	}
	for _, days := range []int{-1, authenticator.MaxActivityDays + 1} {
		if _, err := svc.ActivityByDay(ctx, days); !errors.Is(err, authenticator.ErrInvalidArgument) {
			t.Errorf("ActivityByDay(%d): got %v, want invalid argument", days, err)
		}
	}
	if got, err := svc.ActivityByDay(ctx, authenticator.MaxActivityDays); err != nil || len(got.Days) != authenticator.MaxActivityDays {
		t.Errorf("ActivityByDay(%d): got %d days, %v", authenticator.MaxActivityDays, len(got.Days), err)
	}
}
