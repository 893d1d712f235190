package authenticator_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/sandbox"
)

func TestContinueIdentityCheckTokens(t *testing.T) {
	t.Parallel()
	h := newIDVHarness(t)
	a, _ := h.enrolledPasskey(t, "cust-1")
	p := h.pendingStepUp(t, a, h.loginRequest(acr.StepUpACR))
	if _, _, err := h.finish(t, p.RunID, sandbox.ChoiceDeclined); err != nil {
		t.Fatal(err)
	}
	if prog, err := h.continueJourney(t, p.Token, false); err != nil || prog.Status != authenticator.CheckFailed {
		t.Fatalf("first ContinueIdentityCheck: got %+v, %v, want failed", prog, err)
	}
	tests := map[string]struct {
		token string
		want  *authenticator.Error
	}{
		"replayed":      {p.Token, authenticator.ErrChallengeUnknown},
		"unknown":       {"bm90LWEtcmVhbC10b2tlbi1hdC1hbGwtMDEyMzQ1Njc4OQ", authenticator.ErrChallengeUnknown},
		"empty":         {"", authenticator.ErrInvalidArgument},
		"not base64url": {"abc def", authenticator.ErrInvalidArgument},
		"padded":        {p.Token + "=", authenticator.ErrInvalidArgument},
		"too long":      {strings.Repeat("A", 129), authenticator.ErrInvalidArgument},
		"key injection": {"x:pending:*", authenticator.ErrInvalidArgument},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, cancel := range []bool{false, true} {
				_, err := h.continueJourney(t, tc.token, cancel)
				if !errors.Is(err, tc.want) {
					t.Errorf("ContinueIdentityCheck(cancel=%v): got %v, want %s", cancel, err, tc.want.Code)
				}
			}
		})
	}
}

// TestContinueFinalCheckOnce races callers on a final check: exactly one
// finishes the login, the others are told the journey is over.
func TestContinueFinalCheckOnce(t *testing.T) {
	t.Parallel()
	h := newIDVHarness(t)
	a, _ := h.enrolledPasskey(t, "cust-1")
	p := h.pendingStepUp(t, a, h.loginRequest(acr.StepUpACR))
	if _, _, err := h.finish(t, p.RunID, sandbox.ChoicePass); err != nil {
		t.Fatal(err)
	}
	const callers = 8
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		logins []*authenticator.AuthenticationResult
		gone   int
		other  []error
	)
	start := make(chan struct{})
	for range callers {
		wg.Go(func() {
			<-start
			prog, err := h.svc.ContinueIdentityCheck(t.Context(), authenticator.ContinueRequest{Token: p.Token})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				logins = append(logins, prog.Login)
			case errors.Is(err, authenticator.ErrChallengeUnknown):
				gone++
			default:
				other = append(other, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(logins) != 1 || gone != callers-1 || len(other) != 0 {
		t.Fatalf("got %d results, %d journey-gone, other errors %v; want 1, %d, none", len(logins), gone, other, callers-1)
	}
	if logins[0] == nil || logins[0].Outcome.ACR != acr.StepUpACR {
		t.Errorf("the one result: got %+v, want a login at step-up", logins[0])
	}
	if n := h.countEvents(t, "cust-1", authenticator.EventStepUpPassed); n != 1 {
		t.Errorf("step_up.passed events: got %d, want 1", n)
	}
}
