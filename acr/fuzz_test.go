package acr_test

import (
	"errors"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/acr"
)

// FuzzParseRequest: the request_url comes from the browser through Hydra.
// Parsing never panics, fails only with ErrInvalidRequest, and whatever it
// accepts Decide handles without raising a level.
func FuzzParseRequest(f *testing.F) {
	for _, seed := range []string{
		"http://op/oauth2/auth?acr_values=" + acr.RoutineACR + "&prompt=login&max_age=0",
		"http://op/oauth2/auth?prompt=none&max_age=300",
		"http://op/oauth2/auth?max_age=-1",
		"http://op/oauth2/auth?acr_values=%zz",
		"::not a url",
		"",
	} {
		f.Add(seed)
	}
	ladder := acr.DefaultLadder()
	now := time.Now()
	f.Fuzz(func(t *testing.T, raw string) {
		req, err := acr.ParseRequest(nil, raw)
		if err != nil {
			if !errors.Is(err, acr.ErrInvalidRequest) {
				t.Fatalf("got %v, want ErrInvalidRequest", err)
			}
			return
		}
		rec := &acr.Session{Subject: "u", ACR: acr.RoutineACR, AuthTime: now}
		d := ladder.Decide(acr.Login{Request: req, Skip: true, Subject: "u", Recorded: rec}, now)
		if d.Action == acr.ActionAccept && d.Outcome.ACR != acr.RoutineACR {
			t.Fatalf("skipped routine session accepted as %q", d.Outcome.ACR)
		}
	})
}
