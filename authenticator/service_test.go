package authenticator_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/memory"
	"github.com/biometric-passkey/biometric-passkey/authenticator/sqlite"
	"github.com/biometric-passkey/biometric-passkey/internal/softauthn"
	"github.com/biometric-passkey/biometric-passkey/internal/testclock"
)

const (
	rpID   = "localhost"
	origin = "http://localhost:8081"
)

// clock is the settable test clock.
type clock = testclock.Clock

type harness struct {
	svc   *authenticator.Service
	store authenticator.Store
	clock *clock
	ids   atomic.Int64
}

func newHarness(t testing.TB, mutate ...func(*authenticator.Config)) *harness {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "bp.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	clk := testclock.New(time.Now().UTC())
	cfg := authenticator.Config{RPID: rpID, RPDisplayName: "Example Bank", RPOrigins: []string{origin}}
	for _, m := range mutate {
		m(&cfg)
	}
	svc, err := authenticator.New(cfg, st, memory.New(memory.WithClock(clk.Now)), authenticator.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	return &harness{svc: svc, store: st, clock: clk}
}

func (h *harness) newAuthenticator(t testing.TB, o softauthn.Options) *softauthn.Authenticator {
	t.Helper()
	o.RPID, o.Origin = rpID, origin
	a, err := softauthn.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// enroll creates an enrollment for externalID and registers a passkey.
func (h *harness) enroll(t testing.TB, externalID string, o softauthn.Options) (*softauthn.Authenticator, authenticator.Registration) {
	t.Helper()
	a := h.newAuthenticator(t, o)
	reg, err := h.register(t, externalID, a)
	if err != nil {
		t.Fatalf("register %s: %v", externalID, err)
	}
	return a, reg
}

func (h *harness) register(t testing.TB, externalID string, a *softauthn.Authenticator) (authenticator.Registration, error) {
	t.Helper()
	ctx := t.Context()
	enr, err := h.svc.CreateEnrollment(ctx, authenticator.CreateEnrollmentRequest{ExternalUserID: externalID, ClientID: "bank"})
	if err != nil {
		t.Fatalf("CreateEnrollment: %v", err)
	}
	cer, err := h.svc.BeginRegistration(ctx, authenticator.BeginRegistrationRequest{EnrollmentToken: enr.Token})
	if err != nil {
		t.Fatalf("BeginRegistration: %v", err)
	}
	resp, err := a.Register(cer.Options)
	if err != nil {
		t.Fatal(err)
	}
	return h.svc.FinishRegistration(ctx, authenticator.FinishRequest{CeremonyID: cer.ID, Response: resp})
}

// loginRequest is a fresh login request as Hydra would present it.
func (h *harness) loginRequest(acrValues ...string) authenticator.LoginRequest {
	n := h.ids.Add(1)
	return authenticator.LoginRequest{
		Challenge: "challenge-" + string(rune('a'+n%26)) + time.Now().Format("150405.000000000"),
		SessionID: "session-" + time.Now().Format("150405.000000000") + string(rune('a'+n%26)),
		ClientID:  "bank", ACRValues: acrValues,
		RequestURL: "http://localhost:4444/oauth2/auth?client_id=bank&response_type=code",
	}
}

// begin opens an authentication ceremony and returns it with the assertion.
func (h *harness) begin(t testing.TB, a *softauthn.Authenticator, lr authenticator.LoginRequest, username string) (authenticator.Ceremony, []byte) {
	t.Helper()
	cer, err := h.svc.BeginAuthentication(t.Context(), authenticator.BeginAuthenticationRequest{Login: lr, Username: username})
	if err != nil {
		t.Fatalf("BeginAuthentication: %v", err)
	}
	resp, err := a.Assert(cer.Options)
	if err != nil {
		t.Fatal(err)
	}
	return cer, resp
}

func (h *harness) login(t *testing.T, a *softauthn.Authenticator, lr authenticator.LoginRequest, username string) (authenticator.AuthenticationResult, error) {
	t.Helper()
	cer, resp := h.begin(t, a, lr, username)
	return h.svc.FinishAuthentication(t.Context(), authenticator.FinishRequest{CeremonyID: cer.ID, Response: resp})
}

func wantCode(t *testing.T, err error, want *authenticator.Error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %s", err, want.Code)
	}
}

func (h *harness) credential(t *testing.T, id []byte) authenticator.Credential {
	t.Helper()
	c, err := h.store.GetCredential(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRoutineJourney(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, reg := h.enroll(t, "cust-1", softauthn.Options{})
	if reg.User.Status != authenticator.UserBiometricPending {
		t.Errorf("status after registration: got %s, want %s", reg.User.Status, authenticator.UserBiometricPending)
	}
	if !reg.Credential.DeviceBound() {
		t.Errorf("got a synced credential, want device-bound")
	}
	for _, username := range []string{"", "cust-1"} { // usernameless, then username-first
		lr := h.loginRequest(acr.RoutineACR)
		res, err := h.login(t, a, lr, username)
		if err != nil {
			t.Fatalf("login (username %q): %v", username, err)
		}
		if res.Subject != "cust-1" || res.LoginChallenge != lr.Challenge {
			t.Errorf("got subject %q challenge %q, want cust-1 and %q", res.Subject, res.LoginChallenge, lr.Challenge)
		}
		if res.Outcome.ACR != acr.RoutineACR || strings.Join(res.Outcome.AMR, " ") != "hwk mfa user" {
			t.Errorf("got %+v, want routine with hwk mfa user", res.Outcome)
		}
	}
	if got := h.credential(t, reg.Credential.ID).SignCount; got != 2 {
		t.Errorf("sign count: got %d, want 2", got)
	}
	detail, err := h.svc.GetUser(t.Context(), "cust-1")
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range detail.Events {
		types = append(types, string(e.Type))
	}
	if want := "authentication.succeeded authentication.succeeded credential.registered user.invited"; strings.Join(types, " ") != want {
		t.Errorf("events: got %v, want %s", types, want)
	}
}

func TestSkippedLoginReportsRecordedLevel(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *authenticator.Config) { c.BiometricAvailable = true })
	a, reg := h.enroll(t, "cust-1", softauthn.Options{})
	lr := h.loginRequest()
	res, err := h.login(t, a, lr, "")
	if err != nil {
		t.Fatal(err)
	}
	signedIn := res.AuthTime
	h.clock.Advance(time.Minute) // a skipped login keeps the sign-in's auth_time
	skip := lr
	skip.Challenge, skip.Skip, skip.Subject = "second", true, "cust-1"
	d, err := h.svc.DecideLogin(t.Context(), skip)
	if err != nil {
		t.Fatal(err)
	}
	if d.Action != acr.ActionAccept || d.Outcome.ACR != acr.RoutineACR || d.Subject != "cust-1" {
		t.Errorf("skip at routine: got %+v, want accept with routine for cust-1", d)
	}
	if signedIn.IsZero() || !d.AuthTime.Equal(signedIn) {
		t.Errorf("skip at routine: auth time %v, want the sign-in's %v", d.AuthTime, signedIn)
	}
	skip.ACRValues = []string{acr.StepUpACR}
	if d, _ = h.svc.DecideLogin(t.Context(), skip); d.Action != acr.ActionReauthenticate {
		t.Errorf("skip asking step-up: got %s, want reauthenticate", d.Action)
	}
	skip.ACRValues = nil
	if _, err := h.svc.RevokeCredential(t.Context(), authenticator.RevokeCredentialRequest{CredentialID: reg.Credential.ID, Operator: "op-1"}); err != nil {
		t.Fatal(err)
	}
	if d, _ = h.svc.DecideLogin(t.Context(), skip); d.Action != acr.ActionReauthenticate {
		t.Errorf("skip after revocation: got %s, want reauthenticate", d.Action)
	}
}

func TestLoginRefusals(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		acrValues []string
		wantError string
	}{
		"unknown acr":           {[]string{"urn:example:gold"}, acr.ErrorUnmetRequirements},
		"unreachable step-up":   {[]string{acr.StepUpACR}, acr.ErrorUnmetRequirements},
		"malformed max_age url": {nil, acr.ErrorInvalidRequest},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			lr := h.loginRequest(tc.acrValues...)
			if tc.wantError == acr.ErrorInvalidRequest {
				lr.RequestURL += "&max_age=-5"
			}
			d, err := h.svc.DecideLogin(t.Context(), lr)
			if err != nil {
				t.Fatal(err)
			}
			if d.Action != acr.ActionReject || d.Error != tc.wantError {
				t.Errorf("got %+v, want reject with %s", d, tc.wantError)
			}
			_, err = h.svc.BeginAuthentication(t.Context(), authenticator.BeginAuthenticationRequest{Login: lr})
			if err == nil {
				t.Errorf("BeginAuthentication accepted a refused login")
			}
		})
	}
}

// TestFinishRefusesUnmetLevel covers a login whose level is reachable in
// this deployment (so begin opens a ceremony) but which the passkey alone
// cannot meet: finish verifies the passkey and returns the refusal as a
// result naming the bound login, records no session level and consumes the
// ceremony.
func TestFinishRefusesUnmetLevel(t *testing.T) {
	t.Parallel()
	faceOnly, err := acr.NewLadder([]acr.Level{
		{Name: "face", ACR: "urn:example:acr:face", Requires: []acr.Requirement{acr.RequirePasskey, acr.RequireBiometric}},
	}, acr.DefaultAMR())
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		ladder    *acr.Ladder // nil: the default ladder
		acrValues []string
	}{
		"step-up requested, routine achieved":    {acrValues: []string{acr.StepUpACR}},
		"only level needs a biometric, none met": {ladder: faceOnly},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(c *authenticator.Config) { c.BiometricAvailable, c.Ladder = true, tc.ladder })
			a, reg := h.enroll(t, "cust-1", softauthn.Options{})
			lr := h.loginRequest(tc.acrValues...)
			cer, resp := h.begin(t, a, lr, "")
			finish := authenticator.FinishRequest{CeremonyID: cer.ID, Response: resp}

			res, err := h.svc.FinishAuthentication(t.Context(), finish)
			if err != nil {
				t.Fatalf("FinishAuthentication: got error %v, want a refusal result", err)
			}
			want := authenticator.AuthenticationResult{LoginChallenge: lr.Challenge,
				Error: acr.ErrorUnmetRequirements, ErrorDescription: authenticator.ErrUnmetRequirements.Message}
			if diff := cmp.Diff(want, res); diff != "" {
				t.Errorf("result mismatch (-want +got):\n%s", diff)
			}
			if got := h.credential(t, reg.Credential.ID).SignCount; got != 1 {
				t.Errorf("sign count: got %d, want 1 (the verified assertion counts)", got)
			}
			skip := lr
			skip.Challenge, skip.Skip, skip.Subject, skip.ACRValues = "second", true, "cust-1", nil
			d, err := h.svc.DecideLogin(t.Context(), skip)
			if err != nil {
				t.Fatal(err)
			}
			if d.Action != acr.ActionReauthenticate {
				t.Errorf("skipped login after the refusal: got %s, want %s (no level recorded)", d.Action, acr.ActionReauthenticate)
			}
			_, err = h.svc.FinishAuthentication(t.Context(), finish)
			wantCode(t, err, authenticator.ErrChallengeUnknown)
		})
	}
}

// TestFinishAuthenticationNegative covers the ways an assertion must fail,
// each with a clear error, and checks nothing durable changed.
func TestFinishAuthenticationNegative(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		prepare  func(t *testing.T, h *harness, a *softauthn.Authenticator, credID []byte)
		mutate   func(resp []byte) []byte
		want     *authenticator.Error
		wantMsg  string
		flagged  bool
		advance  time.Duration
		username string
	}{
		"wrong origin": {
			prepare: func(t *testing.T, h *harness, a *softauthn.Authenticator, _ []byte) {
				a.SetOrigin("http://localhost:9999")
			},
			want: authenticator.ErrVerification,
		},
		"user verification missing": {
			prepare: func(t *testing.T, h *harness, a *softauthn.Authenticator, _ []byte) { a.SetUserVerified(false) },
			want:    authenticator.ErrVerification, wantMsg: "did not verify you",
		},
		"expired challenge": {advance: authenticator.DefaultChallengeTTL + time.Second, want: authenticator.ErrChallengeUnknown},
		"revoked credential": {
			prepare: func(t *testing.T, h *harness, _ *softauthn.Authenticator, id []byte) {
				if _, err := h.svc.RevokeCredential(t.Context(), authenticator.RevokeCredentialRequest{CredentialID: id, Operator: "op"}); err != nil {
					t.Fatal(err)
				}
			},
			want: authenticator.ErrCredentialRevoked,
		},
		"suspended user": {
			prepare: func(t *testing.T, h *harness, _ *softauthn.Authenticator, _ []byte) {
				h.suspendUser(t, "cust-1")
			},
			want: authenticator.ErrUserSuspended,
		},
		"sign count regression": {
			prepare: func(t *testing.T, h *harness, a *softauthn.Authenticator, _ []byte) { a.SetCounter(0) },
			want:    authenticator.ErrCredentialFlagged, flagged: true,
		},
		"backup eligibility flip": {
			prepare: func(t *testing.T, h *harness, a *softauthn.Authenticator, _ []byte) { a.SetBackupEligible(true) },
			want:    authenticator.ErrCredentialFlagged, flagged: true,
		},
		"malformed response": {
			mutate: func([]byte) []byte { return []byte(`{"id":`) },
			want:   authenticator.ErrInvalidArgument,
		},
		"oversized response": {
			mutate: func([]byte) []byte {
				return []byte(`{"id":"` + strings.Repeat("A", authenticator.MaxResponseSize) + `"}`)
			},
			want: authenticator.ErrInvalidArgument,
		},
		"username-first with unknown user": {username: "nobody", want: authenticator.ErrVerification},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			a, reg := h.enroll(t, "cust-1", softauthn.Options{})
			if _, err := h.login(t, a, h.loginRequest(), ""); err != nil { // count is now 1
				t.Fatal(err)
			}
			before := h.credential(t, reg.Credential.ID)
			if tc.prepare != nil {
				tc.prepare(t, h, a, reg.Credential.ID)
			}
			cer, resp := h.begin(t, a, h.loginRequest(), tc.username)
			if tc.mutate != nil {
				resp = tc.mutate(resp)
			}
			h.clock.Advance(tc.advance)
			_, err := h.svc.FinishAuthentication(t.Context(), authenticator.FinishRequest{CeremonyID: cer.ID, Response: resp})
			wantCode(t, err, tc.want)
			if tc.wantMsg != "" && !strings.Contains(authenticator.PublicMessage(err), tc.wantMsg) {
				t.Errorf("message %q does not say %q", authenticator.PublicMessage(err), tc.wantMsg)
			}
			after := h.credential(t, reg.Credential.ID)
			if after.SignCount != before.SignCount {
				t.Errorf("sign count changed from %d to %d", before.SignCount, after.SignCount)
			}
			if got := after.Status == authenticator.CredentialFlagged; got != tc.flagged {
				t.Errorf("flagged: got %v, want %v (status %s)", got, tc.flagged, after.Status)
			}
		})
	}
}

func TestReplayAndSingleUse(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, _ := h.enroll(t, "cust-1", softauthn.Options{})
	cer, resp := h.begin(t, a, h.loginRequest(), "")
	// A malformed finish changes nothing: the ceremony is still open.
	_, err := h.svc.FinishAuthentication(t.Context(), authenticator.FinishRequest{CeremonyID: cer.ID, Response: []byte("{")})
	wantCode(t, err, authenticator.ErrInvalidArgument)
	// Of concurrent finishes of one ceremony exactly one succeeds.
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, err := h.svc.FinishAuthentication(context.Background(), authenticator.FinishRequest{CeremonyID: cer.ID, Response: resp})
			if err == nil {
				ok.Add(1)
			} else if !errors.Is(err, authenticator.ErrChallengeUnknown) {
				t.Errorf("concurrent finish: got %v, want success or challenge_unknown", err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Fatalf("got %d successful finishes, want exactly 1", ok.Load())
	}
	// The same assertion against a new ceremony fails: the challenge differs.
	cer2, _ := h.begin(t, a, h.loginRequest(), "")
	_, err = h.svc.FinishAuthentication(t.Context(), authenticator.FinishRequest{CeremonyID: cer2.ID, Response: resp})
	wantCode(t, err, authenticator.ErrVerification)
	// A registration ceremony id is not an authentication ceremony.
	enr, err := h.svc.CreateEnrollment(t.Context(), authenticator.CreateEnrollmentRequest{ExternalUserID: "cust-2"})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := h.svc.BeginRegistration(t.Context(), authenticator.BeginRegistrationRequest{EnrollmentToken: enr.Token})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.svc.FinishAuthentication(t.Context(), authenticator.FinishRequest{CeremonyID: reg.ID, Response: resp})
	wantCode(t, err, authenticator.ErrChallengeUnknown)
}

func TestUnknownCredential(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.enroll(t, "cust-1", softauthn.Options{})
	stranger := h.newAuthenticator(t, softauthn.Options{})
	if _, err := stranger.Register([]byte(`{"publicKey":{"challenge":"AAAAAAAAAAAAAAAAAAAAAA","user":{"id":"c3RyYW5nZXI","name":"x","displayName":"x"},"rp":{"id":"localhost","name":"x"}}}`)); err != nil {
		t.Fatal(err)
	}
	_, err := h.login(t, stranger, h.loginRequest(), "")
	wantCode(t, err, authenticator.ErrVerification)
	if !strings.Contains(authenticator.PublicMessage(err), "not registered") {
		t.Errorf("got message %q, want it to say the passkey is not registered", authenticator.PublicMessage(err))
	}
}

func TestEnrollmentNegative(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	t.Run("invalid external_user_id", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		for _, id := range []string{"", "has space", "ü", "a/b", strings.Repeat("a", authenticator.MaxExternalUserIDLen+1)} {
			_, err := h.svc.CreateEnrollment(ctx, authenticator.CreateEnrollmentRequest{ExternalUserID: id})
			wantCode(t, err, authenticator.ErrInvalidArgument)
		}
		if users, _ := h.svc.ListUsers(ctx, authenticator.UserQuery{}); len(users) != 0 {
			t.Errorf("got %d users after invalid requests, want 0", len(users))
		}
	})
	t.Run("link is single-use", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		enr, err := h.svc.CreateEnrollment(ctx, authenticator.CreateEnrollmentRequest{ExternalUserID: "cust-1"})
		if err != nil {
			t.Fatal(err)
		}
		a, b := h.newAuthenticator(t, softauthn.Options{}), h.newAuthenticator(t, softauthn.Options{})
		c1, err := h.svc.BeginRegistration(ctx, authenticator.BeginRegistrationRequest{EnrollmentToken: enr.Token})
		if err != nil {
			t.Fatal(err)
		}
		c2, err := h.svc.BeginRegistration(ctx, authenticator.BeginRegistrationRequest{EnrollmentToken: enr.Token})
		if err != nil {
			t.Fatal(err)
		}
		r1, _ := a.Register(c1.Options)
		r2, _ := b.Register(c2.Options)
		if _, err := h.svc.FinishRegistration(ctx, authenticator.FinishRequest{CeremonyID: c1.ID, Response: r1}); err != nil {
			t.Fatal(err)
		}
		_, err = h.svc.FinishRegistration(ctx, authenticator.FinishRequest{CeremonyID: c2.ID, Response: r2})
		wantCode(t, err, authenticator.ErrChallengeUnknown)
		if creds, _ := h.store.ListCredentials(ctx, "cust-1"); len(creds) != 1 {
			t.Errorf("got %d credentials, want 1", len(creds))
		}
	})
	t.Run("link expires", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		enr, err := h.svc.CreateEnrollment(ctx, authenticator.CreateEnrollmentRequest{ExternalUserID: "cust-1"})
		if err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(authenticator.DefaultEnrollmentTTL + time.Second)
		_, err = h.svc.BeginRegistration(ctx, authenticator.BeginRegistrationRequest{EnrollmentToken: enr.Token})
		wantCode(t, err, authenticator.ErrChallengeUnknown)
	})
	t.Run("malformed token", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		for _, tok := range []string{"", "a b", "../../etc", strings.Repeat("a", 500)} {
			_, err := h.svc.BeginRegistration(ctx, authenticator.BeginRegistrationRequest{EnrollmentToken: tok})
			wantCode(t, err, authenticator.ErrInvalidArgument)
		}
	})
	t.Run("registration without user verification", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		_, err := h.register(t, "cust-1", h.newAuthenticator(t, softauthn.Options{NoUserVerified: true}))
		wantCode(t, err, authenticator.ErrVerification)
	})
	t.Run("suspended user", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.enroll(t, "cust-1", softauthn.Options{})
		h.suspendUser(t, "cust-1")
		_, err := h.svc.CreateEnrollment(ctx, authenticator.CreateEnrollmentRequest{ExternalUserID: "cust-1"})
		wantCode(t, err, authenticator.ErrUserSuspended)
	})
}

func TestCredentialPolicy(t *testing.T) {
	t.Parallel()
	synced := softauthn.Options{BackupEligible: true, BackupState: true}
	tests := map[string]struct {
		policy  authenticator.Policy
		opts    softauthn.Options
		want    *authenticator.Error
		wantAMR string
	}{
		"device-bound by default":   {opts: softauthn.Options{}, wantAMR: "hwk mfa user"},
		"synced refused by default": {opts: synced, want: authenticator.ErrPolicy},
		"synced allowed":            {policy: authenticator.Policy{AllowSynced: true}, opts: synced, wantAMR: "mfa swk user"},
		"aaguid denied":             {policy: authenticator.Policy{AAGUIDDeny: []string{"00000000-0000-0000-0000-000000000000"}}, want: authenticator.ErrPolicy},
		"aaguid not on allow list":  {policy: authenticator.Policy{AAGUIDAllow: []string{"08987058-cadc-4b81-b6e1-30de50dcbe96"}}, want: authenticator.ErrPolicy},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(c *authenticator.Config) { c.Policy = tc.policy })
			a := h.newAuthenticator(t, tc.opts)
			_, err := h.register(t, "cust-1", a)
			if tc.want != nil {
				wantCode(t, err, tc.want)
				if creds, _ := h.store.ListCredentials(t.Context(), "cust-1"); len(creds) != 0 {
					t.Errorf("got %d credentials after a refusal, want 0", len(creds))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			res, err := h.login(t, a, h.loginRequest(), "")
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(res.Outcome.AMR, " "); got != tc.wantAMR {
				t.Errorf("amr: got %q, want %q", got, tc.wantAMR)
			}
		})
	}
}

func TestNewReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := authenticator.New(authenticator.Config{
		RPID: "https://bad", RPOrigins: []string{"http://evil.example"}, ChallengeTTL: time.Hour,
		Policy: authenticator.Policy{Attestation: "enterprise", AAGUIDAllow: []string{"nope"}},
	}, nil, nil)
	if !errors.Is(err, authenticator.ErrInvalidConfig) {
		t.Fatalf("got %v, want ErrInvalidConfig", err)
	}
	for _, field := range []string{"rp_id", "rp_display_name", "rp_origins[0]", "challenge_ttl", "policy.attestation", "policy.aaguid_allow[0]", "store", "ephemeral_store"} {
		if !strings.Contains(err.Error(), field+":") {
			t.Errorf("error does not name %s:\n%v", field, err)
		}
	}
}

func TestRevokeCredentialNegative(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	_, reg := h.enroll(t, "cust-1", softauthn.Options{})
	tests := map[string]struct {
		req  authenticator.RevokeCredentialRequest
		want *authenticator.Error
	}{
		"no operator":        {authenticator.RevokeCredentialRequest{CredentialID: reg.Credential.ID}, authenticator.ErrInvalidArgument},
		"no credential id":   {authenticator.RevokeCredentialRequest{Operator: "op"}, authenticator.ErrInvalidArgument},
		"unknown credential": {authenticator.RevokeCredentialRequest{CredentialID: []byte("nope"), Operator: "op"}, authenticator.ErrNotFound},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := h.svc.RevokeCredential(t.Context(), tc.req)
			wantCode(t, err, tc.want)
			if c := h.credential(t, reg.Credential.ID); c.Status != authenticator.CredentialActive {
				t.Errorf("credential status: got %s, want active", c.Status)
			}
		})
	}
}

// suspendUser suspends user in the store, as an operator would.
func (h *harness) suspendUser(t testing.TB, user string) {
	t.Helper()
	if _, err := h.store.UpdateUser(t.Context(), user, func(u authenticator.User) (authenticator.User, error) {
		u.Status = authenticator.UserSuspended
		return u, nil
	}); err != nil {
		t.Fatal(err)
	}
}

// revokeReference revokes one biometric reference in the store.
func (h *harness) revokeReference(t testing.TB, id string) {
	t.Helper()
	if _, err := h.store.UpdateReference(t.Context(), id, func(r authenticator.BiometricReference) (authenticator.BiometricReference, error) {
		r.Status, r.RevokedAt = authenticator.ReferenceRevoked, h.clock.Now()
		return r, nil
	}); err != nil {
		t.Fatal(err)
	}
}

// revokeReferences revokes every biometric reference of user.
func (h *harness) revokeReferences(t testing.TB, user string) {
	t.Helper()
	refs, err := h.store.ListReferences(t.Context(), user)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range refs {
		h.revokeReference(t, r.ID)
	}
}
