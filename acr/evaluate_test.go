package acr_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/acr"
)

func TestEvaluate(t *testing.T) {
	t.Parallel()
	ladder := acr.DefaultLadder()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	routine := acr.AuthRequirement{ACR: acr.RoutineACR}
	stepUp := acr.AuthRequirement{ACR: acr.StepUpACR}
	fresh := acr.AuthRequirement{ACR: acr.StepUpACR, MaxAge: 5 * time.Minute, HasMaxAge: true}
	facts := func(a string, age time.Duration) acr.TokenFacts {
		return acr.TokenFacts{ACR: a, AuthTime: now.Add(-age), Subject: "alice"}
	}
	low := &acr.InsufficientAuthError{ACRValues: []string{acr.StepUpACR}, Description: "A higher authentication level is required", LevelTooLow: true}
	old := &acr.InsufficientAuthError{ACRValues: []string{acr.StepUpACR}, MaxAge: 5 * time.Minute, HasMaxAge: true, Description: "More recent authentication is required", TooOld: true}
	lowAndOld := &acr.InsufficientAuthError{ACRValues: []string{acr.StepUpACR}, MaxAge: 5 * time.Minute, HasMaxAge: true, Description: "A higher and more recent authentication is required", LevelTooLow: true, TooOld: true}
	lowFresh := &acr.InsufficientAuthError{ACRValues: []string{acr.StepUpACR}, MaxAge: 5 * time.Minute, HasMaxAge: true, Description: "A higher authentication level is required", LevelTooLow: true}
	tests := map[string]struct {
		req     acr.AuthRequirement
		facts   acr.TokenFacts
		want    *acr.InsufficientAuthError
		invalid bool
	}{
		"routine meets routine":             {req: routine, facts: facts(acr.RoutineACR, time.Hour)},
		"step-up meets routine":             {req: routine, facts: facts(acr.StepUpACR, time.Hour)},
		"step-up meets step-up":             {req: stepUp, facts: facts(acr.StepUpACR, time.Hour)},
		"routine below step-up":             {req: stepUp, facts: facts(acr.RoutineACR, 0), want: low},
		"hydra acr zero":                    {req: routine, facts: facts("0", 0), want: &acr.InsufficientAuthError{ACRValues: []string{acr.RoutineACR}, Description: "A higher authentication level is required", LevelTooLow: true}},
		"no acr":                            {req: stepUp, facts: facts("", 0), want: low},
		"unknown acr":                       {req: stepUp, facts: facts("urn:example:gold", 0), want: low},
		"max_age: fresh":                    {req: fresh, facts: facts(acr.StepUpACR, time.Minute)},
		"max_age: one second before limit":  {req: fresh, facts: facts(acr.StepUpACR, 5*time.Minute-time.Second)},
		"max_age: exactly at limit":         {req: fresh, facts: facts(acr.StepUpACR, 5*time.Minute)},
		"max_age: a nanosecond past limit":  {req: fresh, facts: facts(acr.StepUpACR, 5*time.Minute+time.Nanosecond), want: old},
		"max_age: one second past limit":    {req: fresh, facts: facts(acr.StepUpACR, 5*time.Minute+time.Second), want: old},
		"max_age: auth_time in the future":  {req: fresh, facts: facts(acr.StepUpACR, -time.Minute)},
		"max_age: no auth_time":             {req: fresh, facts: acr.TokenFacts{ACR: acr.StepUpACR}, want: old},
		"max_age: low and old":              {req: fresh, facts: facts(acr.RoutineACR, time.Hour), want: lowAndOld},
		"max_age: low but fresh":            {req: fresh, facts: facts(acr.RoutineACR, time.Second), want: lowFresh},
		"no max_age: old is fine":           {req: stepUp, facts: facts(acr.StepUpACR, 1000*time.Hour)},
		"no max_age: no auth_time is fine":  {req: stepUp, facts: acr.TokenFacts{ACR: acr.StepUpACR}},
		"requirement: zero value":           {req: acr.AuthRequirement{}, facts: facts(acr.StepUpACR, 0), invalid: true},
		"requirement: unknown acr":          {req: acr.AuthRequirement{ACR: "urn:example:gold"}, facts: facts(acr.StepUpACR, 0), invalid: true},
		"requirement: negative max_age":     {req: acr.AuthRequirement{ACR: acr.RoutineACR, MaxAge: -time.Second, HasMaxAge: true}, facts: facts(acr.StepUpACR, 0), invalid: true},
		"requirement: fractional max_age":   {req: acr.AuthRequirement{ACR: acr.RoutineACR, MaxAge: 1500 * time.Millisecond, HasMaxAge: true}, facts: facts(acr.StepUpACR, 0), invalid: true},
		"requirement: max_age zero is kept": {req: acr.AuthRequirement{ACR: acr.RoutineACR, HasMaxAge: true}, facts: facts(acr.RoutineACR, 0)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := ladder.Evaluate(tc.req, tc.facts, now)
			switch {
			case tc.invalid:
				if !errors.Is(err, acr.ErrInvalidRequirement) {
					t.Fatalf("got %v, want ErrInvalidRequirement", err)
				}
				return
			case tc.want == nil:
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			var got *acr.InsufficientAuthError
			if !errors.As(err, &got) {
				t.Fatalf("got %v, want *InsufficientAuthError", err)
			}
			if !errors.Is(err, acr.ErrInsufficientAuthentication) {
				t.Errorf("errors.Is(%v, ErrInsufficientAuthentication) = false, want true", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Evaluate (-want +got):\n%s", diff)
			}
		})
	}
}
