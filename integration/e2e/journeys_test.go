package e2e_test

import (
	"net/http"
	"testing"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// TestJourneys runs issue 3's journeys (enrollment with its identity
// check, step-up, transaction approval, recovery) and their refusals end
// to end: real Hydra, real Redis, the provider with the plugin binary as a
// subprocess, and the onfido IDV provider talking to a request-validating
// fake of the vendor API (onfidofake), whose webhooks the test delivers,
// signed, to the provider. The subtests share one stack (one after the
// other); each uses its own users, browsers and authenticators, so each
// stands alone.
func TestJourneys(t *testing.T) {
	t.Parallel()
	s := newStackWith(t, stackOptions{idv: true})
	for _, tc := range []struct {
		name string
		test func(*testing.T, *stack)
	}{
		{"EnrollmentCompleted", testEnrollmentCompleted},
		{"EnrollmentDeclinedResumed", testEnrollmentDeclinedThenResumed},
		{"StepUp", testStepUp},
		{"StepUpOverRoutineSession", testStepUpOverRoutineSession},
		{"StepUpWithDetails", testStepUpWithDetails},
		{"RoutineWithDetails", testRoutineWithDetails},
		{"RecoveryOnNewDevice", testRecoveryOnNewDevice},
		{"RecoveryLink", testRecoveryLink},
		{"RecoveryDeclined", testRecoveryDeclined},
		{"StepUpFailedChecks", testStepUpFailedChecks},
		{"ForgedWebhook", testForgedWebhook},
		{"ReplayedWebhook", testReplayedWebhook},
		{"CancelledCheck", testCancelledCheck},
		{"StepUpWithoutReference", testStepUpWithoutReference},
		{"StepUpReplayedAssertion", testStepUpReplayedAssertion},
		{"StepUpAlteredDetails", testStepUpAlteredDetails},
		{"StepUpRateLimited", testStepUpRateLimited},
		{"SkippedLoginWithDetails", testSkippedLoginWithDetails},
		{"RecoveryRefusedForUnknownUser", testRecoveryUnknownUser},
	} {
		// Sequential: Hydra's in-memory SQLite (hydraproc) answers
		// concurrent flows with "Unable to serialize access due to a
		// concurrent update", so one stack runs one journey at a time.
		t.Run(tc.name, func(t *testing.T) { tc.test(t, s.with(t)) })
	}
}

// TestStepUpTimeout: a check with no outcome before the journey's deadline
// (authenticator.idv.timeout, 1s here) fails with reason timeout and the
// login is refused; the vendor's late approval changes nothing.
func TestStepUpTimeout(t *testing.T) {
	t.Parallel()
	s := newStackWith(t, stackOptions{idv: true, idvTimeout: authenticatorMinIDVTimeout})
	a := s.enrolled("t-timeout")
	b := s.newBrowser()
	_, ans := s.stepUp(b, a)
	if ans.IdentityCheck == nil || ans.IdentityCheck.ExpiresAt == nil {
		t.Fatalf("step-up: got %s, want a pending check with expires_at", s.last)
	}
	waitUntil(*ans.IdentityCheck.ExpiresAt)

	p, code := s.continueJourney(b, nil)
	if code != http.StatusOK || p.Status != "failed" || p.Reason != authenticator.CheckReasonTimeout || p.Error != acr.ErrorUnmetRequirements {
		t.Fatalf("continue after the deadline: got %d %s, want failed, reason %s, error %s", code, s.last, authenticator.CheckReasonTimeout, acr.ErrorUnmetRequirements)
	}
	s.wantRefused(b, p.RedirectTo)

	// The vendor approves late: the webhook is taken, nothing is elevated.
	run := s.idv.run(t, ans.IdentityCheck)
	if err := s.idv.fake.Complete(run, "approved"); err != nil {
		t.Fatal(err)
	}
	if code, body := s.vendorWebhook(run); code != http.StatusOK {
		t.Errorf("late webhook: got %d %s, want 200", code, body)
	}
	if n := s.events("t-timeout", authenticator.EventStepUpPassed); n != 0 {
		t.Errorf("step_up.passed events: got %d, want 0", n)
	}
}
