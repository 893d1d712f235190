package sandbox_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/idvtest"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/sandbox"
	"github.com/biometric-passkey/biometric-passkey/internal/testclock"
)

const (
	testSecret  = "sandbox-test-webhook-secret"
	testBaseURL = "http://localhost:8081/sandbox/idv"
	testReturn  = "https://rp.example/idv/return?state=abc"
)

var epoch = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// clock is the settable test clock.
type clock = testclock.Clock

// newProvider returns a provider with a seeded Random, a settable clock at
// epoch and a 10-minute TTL; edit adjusts the config first.
func newProvider(t *testing.T, edit func(*sandbox.Config)) (*sandbox.Provider, *clock) {
	t.Helper()
	clk := testclock.New(epoch)
	cfg := sandbox.Config{
		Mode:          sandbox.ModeDevelopment,
		BaseURL:       testBaseURL,
		WebhookSecret: testSecret,
		Now:           clk.Now,
		Random:        rand.NewChaCha8([32]byte{1, 2, 3}),
		Logger:        slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})),
		TTL:           10 * time.Minute,
	}
	if edit != nil {
		edit(&cfg)
	}
	p, err := sandbox.New(cfg)
	if err != nil {
		t.Fatalf("New() error = %v, want nil", err)
	}
	return p, clk
}

func enrollReq(user string) idvbridge.StartRequest {
	return idvbridge.StartRequest{
		Journey:    idvbridge.JourneyEnrollment,
		UserID:     user,
		CeremonyID: "ceremony-" + user,
		ReturnURL:  testReturn,
	}
}

func stepUpReq(j idvbridge.Journey, user string, ref idvbridge.Reference) idvbridge.StartRequest {
	return idvbridge.StartRequest{
		Journey:    j,
		UserID:     user,
		Reference:  &ref,
		CeremonyID: "ceremony-step-" + user,
		ReturnURL:  testReturn,
	}
}

func start(t *testing.T, p *sandbox.Provider, req idvbridge.StartRequest) idvbridge.Check {
	t.Helper()
	c, err := p.Start(t.Context(), req)
	if err != nil {
		t.Fatalf("Start(%s) error = %v, want nil", req.Journey, err)
	}
	return c
}

func complete(t *testing.T, p *sandbox.Provider, runID string, c sandbox.Choice) idvbridge.Outcome {
	t.Helper()
	o, err := p.Complete(t.Context(), runID, c)
	if err != nil {
		t.Fatalf("Complete(%s) error = %v, want nil", c, err)
	}
	return o
}

func fetch(t *testing.T, p *sandbox.Provider, runID string) idvbridge.Outcome {
	t.Helper()
	o, err := p.Fetch(t.Context(), runID)
	if err != nil {
		t.Fatalf("Fetch(%s) error = %v, want nil", runID, err)
	}
	return o
}

// enroll enrolls user and returns the reference.
func enroll(t *testing.T, p *sandbox.Provider, user string) idvbridge.Reference {
	t.Helper()
	c := start(t, p, enrollReq(user))
	o := complete(t, p, c.RunID, sandbox.ChoicePass)
	if o.Status != idvbridge.StatusPassed || o.Reference == nil {
		t.Fatalf("enrollment outcome = %+v, want passed with a reference", o)
	}
	return *o.Reference
}

func sign(body []byte) http.Header {
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write(body)
	h := http.Header{}
	h.Set(sandbox.SignatureHeader, hex.EncodeToString(mac.Sum(nil)))
	return h
}

// choiceFor maps the suite's vendor-neutral results to the capture page's
// choices.
var choiceFor = map[idvtest.Result]sandbox.Choice{
	idvtest.ResultPass:      sandbox.ChoicePass,
	idvtest.ResultDeclined:  sandbox.ChoiceDeclined,
	idvtest.ResultReview:    sandbox.ChoiceReview,
	idvtest.ResultAbandoned: sandbox.ChoiceAbandoned,
	idvtest.ResultError:     sandbox.ChoiceError,
	idvtest.ResultExpired:   sandbox.ChoiceExpired,
}

// TestConformance runs the idvbridge conformance suite; each harness is a
// seeded provider on a fixed clock, driven through Complete and Webhook.
func TestConformance(t *testing.T) {
	t.Parallel()
	idvtest.Run(t, func(t *testing.T) idvtest.Harness {
		p, _ := newProvider(t, nil)
		return idvtest.Harness{
			Provider: p,
			Complete: func(t *testing.T, runID string, r idvtest.Result) {
				t.Helper()
				c, ok := choiceFor[r]
				if !ok {
					t.Fatalf("no choice for result %q", r)
				}
				if _, err := p.Complete(t.Context(), runID, c); err != nil {
					t.Fatalf("Complete(%s, %s) error = %v, want nil", runID, c, err)
				}
			},
			Webhook: func(t *testing.T, runID string) (http.Header, []byte) {
				t.Helper()
				h, b, err := p.Webhook(runID)
				if err != nil {
					t.Fatalf("Webhook(%s) error = %v, want nil", runID, err)
				}
				return h, b
			},
		}
	})
}

// TestChoicesMatchTheSuite: every result of the suite has a choice that
// reports the same status and reason, and no choice is left over.
func TestChoicesMatchTheSuite(t *testing.T) {
	t.Parallel()
	if got, want := len(sandbox.Choices()), len(idvtest.Results()); got != want {
		t.Errorf("len(Choices()) = %d, want %d (one per idvtest result)", got, want)
	}
	for _, r := range idvtest.Results() {
		wantStatus, wantReason := r.Want()
		status, reason, ok := choiceFor[r].Want()
		if !ok || status != wantStatus || reason != wantReason {
			t.Errorf("choice for %s reports %q, %q (known %v), want %q, %q", r, status, reason, ok, wantStatus, wantReason)
		}
	}
	if _, _, ok := sandbox.Choice("maybe").Want(); ok {
		t.Error(`Choice("maybe").Want() ok = true, want false`)
	}
}

func TestCheckAllowed(t *testing.T) {
	t.Parallel()
	for mode, wantErr := range map[string]bool{
		"development": false,
		"production":  true,
		"":            true,
		"Development": true,
		"staging":     true,
	} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			err := sandbox.CheckAllowed(mode)
			if got := errors.Is(err, sandbox.ErrProductionRefused); got != wantErr {
				t.Errorf("CheckAllowed(%q) = %v, want ErrProductionRefused: %v", mode, err, wantErr)
			}
			if !wantErr && err != nil {
				t.Errorf("CheckAllowed(%q) = %v, want nil", mode, err)
			}
		})
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	valid := sandbox.Config{Mode: sandbox.ModeDevelopment, BaseURL: testBaseURL, WebhookSecret: testSecret}
	tests := map[string]struct {
		edit    func(*sandbox.Config)
		want    error
		mention []string
	}{
		"Production":      {func(c *sandbox.Config) { c.Mode = "production" }, sandbox.ErrProductionRefused, []string{"production"}},
		"NoMode":          {func(c *sandbox.Config) { c.Mode = "" }, sandbox.ErrProductionRefused, nil},
		"NoBaseURL":       {func(c *sandbox.Config) { c.BaseURL = "" }, idvbridge.ErrInvalid, []string{"BaseURL"}},
		"RelativeBaseURL": {func(c *sandbox.Config) { c.BaseURL = "/sandbox/idv" }, idvbridge.ErrInvalid, []string{"BaseURL"}},
		"BaseURLScheme":   {func(c *sandbox.Config) { c.BaseURL = "ftp://host/x" }, idvbridge.ErrInvalid, []string{"BaseURL"}},
		"BaseURLQuery":    {func(c *sandbox.Config) { c.BaseURL = testBaseURL + "?a=b" }, idvbridge.ErrInvalid, []string{"BaseURL"}},
		"BaseURLUser":     {func(c *sandbox.Config) { c.BaseURL = "http://u:p@localhost/x" }, idvbridge.ErrInvalid, []string{"BaseURL"}},
		"BaseURLPattern":  {func(c *sandbox.Config) { c.BaseURL = "http://localhost/{x}" }, idvbridge.ErrInvalid, []string{"BaseURL"}},
		"ShortSecret":     {func(c *sandbox.Config) { c.WebhookSecret = "short" }, idvbridge.ErrInvalid, []string{"WebhookSecret"}},
		"NegativeTTL":     {func(c *sandbox.Config) { c.TTL = -time.Second }, idvbridge.ErrInvalid, []string{"TTL"}},
		"LongTTL":         {func(c *sandbox.Config) { c.TTL = 25 * time.Hour }, idvbridge.ErrInvalid, []string{"TTL"}},
		"NegativeMaxRuns": {func(c *sandbox.Config) { c.MaxRuns = -1 }, idvbridge.ErrInvalid, []string{"MaxRuns"}},
		"NegativeMaxRefs": {func(c *sandbox.Config) { c.MaxReferences = -1 }, idvbridge.ErrInvalid, []string{"MaxReferences"}},
		"EverythingAtOnce": {func(c *sandbox.Config) { *c = sandbox.Config{Mode: "production", TTL: -1} }, sandbox.ErrProductionRefused,
			[]string{"production", "BaseURL", "WebhookSecret", "TTL"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := valid
			tt.edit(&cfg)
			p, err := sandbox.New(cfg)
			if !errors.Is(err, tt.want) {
				t.Fatalf("New() error = %v, want %v", err, tt.want)
			}
			if p != nil {
				t.Errorf("New() provider = %p, want nil with an error", p)
			}
			for _, m := range tt.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("New() error = %q, want it to mention %q", err, m)
				}
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	t.Parallel()
	p, err := sandbox.New(sandbox.Config{Mode: sandbox.ModeDevelopment, BaseURL: "https://host.example/sandbox/idv/", WebhookSecret: testSecret})
	if err != nil {
		t.Fatalf("New() error = %v, want nil", err)
	}
	if got, want := p.Name(), "sandbox"; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
	if got, want := p.Path(), "/sandbox/idv"; got != want {
		t.Errorf("Path() = %q, want %q", got, want)
	}
	before := time.Now()
	c, err := p.Start(t.Context(), enrollReq("u1"))
	if err != nil {
		t.Fatalf("Start() error = %v, want nil", err)
	}
	if want := "https://host.example/sandbox/idv/capture/" + c.RunID; c.CaptureURL != want {
		t.Errorf("CaptureURL = %q, want %q", c.CaptureURL, want)
	}
	if c.SDKToken != "" {
		t.Errorf("SDKToken = %q, want none (the sandbox has no SDK)", c.SDKToken)
	}
	if ttl := c.ExpiresAt.Sub(before); ttl < sandbox.DefaultTTL-time.Minute || ttl > sandbox.DefaultTTL+time.Minute {
		t.Errorf("ExpiresAt - now = %v, want about %v", ttl, sandbox.DefaultTTL)
	}
}

func TestStartRefusesInvalidRequests(t *testing.T) {
	t.Parallel()
	p, _ := newProvider(t, nil)
	tests := map[string]func(r *idvbridge.StartRequest){
		"JavascriptReturnURL": func(r *idvbridge.StartRequest) { r.ReturnURL = "javascript:alert(1)" },
		"RelativeReturnURL":   func(r *idvbridge.StartRequest) { r.ReturnURL = "/idv/return" },
		"ReturnURLUserInfo":   func(r *idvbridge.StartRequest) { r.ReturnURL = "https://user@rp.example/x" },
		"ReturnURLFragment":   func(r *idvbridge.StartRequest) { r.ReturnURL = "https://rp.example/x#y" },
		"ReturnURLOddHost":    func(r *idvbridge.StartRequest) { r.ReturnURL = "https://rp.example;x/" },
		"ReturnURLTooLong":    func(r *idvbridge.StartRequest) { r.ReturnURL = "https://rp.example/" + strings.Repeat("a", 2048) },
		"ForeignReference": func(r *idvbridge.StartRequest) {
			r.Journey = idvbridge.JourneyStepUp
			r.Reference = &idvbridge.Reference{Provider: "onfido", ID: "x"}
		},
		"UnknownJourney": func(r *idvbridge.StartRequest) { r.Journey = "payment" },
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req := enrollReq("u1")
			edit(&req)
			c, err := p.Start(t.Context(), req)
			if !errors.Is(err, idvbridge.ErrInvalid) {
				t.Errorf("Start() error = %v, want ErrInvalid", err)
			}
			if c != (idvbridge.Check{}) {
				t.Errorf("Start() check = %+v, want the zero Check", c)
			}
		})
	}
}

func TestStartWithoutReturnURL(t *testing.T) {
	t.Parallel()
	p, _ := newProvider(t, nil)
	req := enrollReq("u1")
	req.ReturnURL = ""
	if _, err := p.Start(t.Context(), req); err != nil {
		t.Errorf("Start(no return URL) error = %v, want nil", err)
	}
}

func TestCancelledContext(t *testing.T) {
	t.Parallel()
	p, _ := newProvider(t, nil)
	c := start(t, p, enrollReq("u1"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := p.Start(ctx, enrollReq("u2")); !errors.Is(err, context.Canceled) {
		t.Errorf("Start(cancelled) error = %v, want context.Canceled", err)
	}
	if _, err := p.Fetch(ctx, c.RunID); !errors.Is(err, context.Canceled) {
		t.Errorf("Fetch(cancelled) error = %v, want context.Canceled", err)
	}
	if err := p.DeleteReference(ctx, idvbridge.Reference{Provider: sandbox.Name, ID: "x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("DeleteReference(cancelled) error = %v, want context.Canceled", err)
	}
}

// TestDeterministic runs the same script on two providers with the same
// seed and clock: every id, token, time and notification byte is equal.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	script := func() []any {
		p, clk := newProvider(t, nil)
		var got []any
		enr := start(t, p, enrollReq("alice"))
		got = append(got, enr)
		clk.Advance(time.Minute)
		got = append(got, complete(t, p, enr.RunID, sandbox.ChoicePass))
		ref := fetch(t, p, enr.RunID).Reference
		su := start(t, p, stepUpReq(idvbridge.JourneyStepUp, "alice", *ref))
		got = append(got, su)
		got = append(got, complete(t, p, su.RunID, sandbox.ChoiceReview))
		h, b, err := p.Webhook(su.RunID)
		if err != nil {
			t.Fatalf("Webhook() error = %v, want nil", err)
		}
		got = append(got, h, string(b), pageOf(t, p, enr.RunID))
		return got
	}
	a, b := script(), script()
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("two runs with the same seed and clock differ (-first +second):\n%s", diff)
	}
	enr := a[0].(idvbridge.Check) //nolint:forcetypeassert // the script's first value
	if want := "2026-03-14 09:36:53 +0000 UTC"; enr.ExpiresAt.String() != want {
		t.Errorf("ExpiresAt = %v, want %s", enr.ExpiresAt, want)
	}
}

func TestOutcomes(t *testing.T) {
	t.Parallel()
	for _, j := range []idvbridge.Journey{idvbridge.JourneyEnrollment, idvbridge.JourneyStepUp, idvbridge.JourneyRecovery} {
		for _, choice := range sandbox.Choices() {
			t.Run(string(j)+"/"+string(choice), func(t *testing.T) {
				t.Parallel()
				p, clk := newProvider(t, nil)
				req := enrollReq("bob")
				var ref idvbridge.Reference
				if j != idvbridge.JourneyEnrollment {
					ref = enroll(t, p, "bob")
					req = stepUpReq(j, "bob", ref)
				}
				c := start(t, p, req)
				clk.Advance(2 * time.Minute)
				got := complete(t, p, c.RunID, choice)
				status, reason, _ := choice.Want()
				want := idvbridge.Outcome{
					Provider: sandbox.Name, RunID: c.RunID, UserID: "bob", CeremonyID: req.CeremonyID,
					Status: status, Reason: reason, CompletedAt: epoch.Add(2 * time.Minute),
				}
				switch {
				case j != idvbridge.JourneyEnrollment:
					want.Reference = &ref
				case choice == sandbox.ChoicePass:
					if got.Reference == nil || got.Reference.Provider != sandbox.Name || got.Reference.ID == "" {
						t.Fatalf("passed enrollment reference = %v, want a sandbox reference", got.Reference)
					}
					want.Reference = got.Reference
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Complete() outcome mismatch (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(got, fetch(t, p, c.RunID)); diff != "" {
					t.Errorf("Fetch() differs from Complete() (-complete +fetch):\n%s", diff)
				}
				h, b, err := p.Webhook(c.RunID)
				if err != nil {
					t.Fatalf("Webhook() error = %v, want nil", err)
				}
				hooked, err := p.ParseWebhook(t.Context(), h, b)
				if err != nil {
					t.Fatalf("ParseWebhook() error = %v, want nil", err)
				}
				if diff := cmp.Diff(got, hooked); diff != "" {
					t.Errorf("ParseWebhook() differs from Complete() (-complete +webhook):\n%s", diff)
				}
			})
		}
	}
}

// TestStepUpNeverPassesWithoutItsReference: Pass on a reference that is not
// enrolled for the user is recorded as declined.
func TestStepUpNeverPassesWithoutItsReference(t *testing.T) {
	t.Parallel()
	tests := map[string]func(t *testing.T, p *sandbox.Provider) (user string, ref idvbridge.Reference){
		"Deleted": func(t *testing.T, p *sandbox.Provider) (string, idvbridge.Reference) {
			ref := enroll(t, p, "carol")
			if err := p.DeleteReference(t.Context(), ref); err != nil {
				t.Fatalf("DeleteReference() error = %v, want nil", err)
			}
			return "carol", ref
		},
		"AnotherUsers": func(t *testing.T, p *sandbox.Provider) (string, idvbridge.Reference) {
			ref := enroll(t, p, "carol")
			enroll(t, p, "mallory")
			return "mallory", ref
		},
		"NeverEnrolled": func(t *testing.T, _ *sandbox.Provider) (string, idvbridge.Reference) {
			return "carol", idvbridge.Reference{Provider: sandbox.Name, ID: "00000000-0000-4000-8000-000000000000"}
		},
	}
	for name, setup := range tests {
		for _, j := range []idvbridge.Journey{idvbridge.JourneyStepUp, idvbridge.JourneyRecovery} {
			t.Run(name+"/"+string(j), func(t *testing.T) {
				t.Parallel()
				p, _ := newProvider(t, nil)
				user, ref := setup(t, p)
				c := start(t, p, stepUpReq(j, user, ref))
				got := complete(t, p, c.RunID, sandbox.ChoicePass)
				if got.Status != idvbridge.StatusFailed || got.Reason != idvbridge.ReasonDeclined {
					t.Errorf("Pass against a %s reference: status, reason = %q, %q, want %q, %q",
						name, got.Status, got.Reason, idvbridge.StatusFailed, idvbridge.ReasonDeclined)
				}
				if got.Reference == nil || *got.Reference != ref {
					t.Errorf("outcome reference = %v, want the one the check started with, %+v", got.Reference, ref)
				}
			})
		}
	}
}

func TestDeleteAfterStartDeclines(t *testing.T) {
	t.Parallel()
	p, _ := newProvider(t, nil)
	ref := enroll(t, p, "dave")
	c := start(t, p, stepUpReq(idvbridge.JourneyStepUp, "dave", ref))
	if err := p.DeleteReference(t.Context(), ref); err != nil {
		t.Fatalf("DeleteReference() error = %v, want nil", err)
	}
	if got := complete(t, p, c.RunID, sandbox.ChoicePass); got.Status == idvbridge.StatusPassed {
		t.Errorf("status = %q after the reference was deleted mid-check, want anything but passed", got.Status)
	}
}

func TestDeleteReferenceErrors(t *testing.T) {
	t.Parallel()
	p, _ := newProvider(t, nil)
	for name, ref := range map[string]idvbridge.Reference{
		"Foreign": {Provider: "onfido", ID: "x"},
		"EmptyID": {Provider: sandbox.Name},
	} {
		if err := p.DeleteReference(t.Context(), ref); !errors.Is(err, idvbridge.ErrInvalid) {
			t.Errorf("DeleteReference(%s) error = %v, want ErrInvalid", name, err)
		}
	}
	if err := p.DeleteReference(t.Context(), idvbridge.Reference{Provider: sandbox.Name, ID: "absent"}); err != nil {
		t.Errorf("DeleteReference(absent) error = %v, want nil", err)
	}
}

func TestCompleteErrors(t *testing.T) {
	t.Parallel()
	p, _ := newProvider(t, nil)
	c := start(t, p, enrollReq("erin"))
	if _, err := p.Complete(t.Context(), c.RunID, "maybe"); !errors.Is(err, idvbridge.ErrInvalid) {
		t.Errorf("Complete(unknown choice) error = %v, want ErrInvalid", err)
	}
	if _, err := p.Complete(t.Context(), "4e0b8a0e-2a35-4b8e-9a1e-0d1f9f2c7c11", sandbox.ChoicePass); !errors.Is(err, idvbridge.ErrNotFound) {
		t.Errorf("Complete(unknown run) error = %v, want ErrNotFound", err)
	}
	first := complete(t, p, c.RunID, sandbox.ChoiceAbandoned)
	if _, err := p.Complete(t.Context(), c.RunID, sandbox.ChoicePass); !errors.Is(err, sandbox.ErrFinished) {
		t.Errorf("Complete(finished run) error = %v, want ErrFinished", err)
	}
	if diff := cmp.Diff(first, fetch(t, p, c.RunID)); diff != "" {
		t.Errorf("a second Complete changed the outcome (-first +now):\n%s", diff)
	}
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	p, clk := newProvider(t, nil)
	c := start(t, p, enrollReq("frank"))
	clk.Advance(10*time.Minute - time.Nanosecond)
	if got := fetch(t, p, c.RunID); got.Status != idvbridge.StatusPending {
		t.Fatalf("status just before the TTL = %q, want %q", got.Status, idvbridge.StatusPending)
	}
	if _, _, err := p.Webhook(c.RunID); !errors.Is(err, idvbridge.ErrInvalid) {
		t.Errorf("Webhook(pending) error = %v, want ErrInvalid", err)
	}
	clk.Advance(time.Nanosecond)
	got := fetch(t, p, c.RunID)
	if got.Status != idvbridge.StatusFailed || got.Reason != idvbridge.ReasonExpired {
		t.Errorf("status, reason at the TTL = %q, %q, want %q, %q", got.Status, got.Reason, idvbridge.StatusFailed, idvbridge.ReasonExpired)
	}
	if !got.CompletedAt.Equal(c.ExpiresAt) {
		t.Errorf("CompletedAt = %v, want ExpiresAt %v", got.CompletedAt, c.ExpiresAt)
	}
	if _, err := p.Complete(t.Context(), c.RunID, sandbox.ChoicePass); !errors.Is(err, sandbox.ErrFinished) {
		t.Errorf("Complete(expired run) error = %v, want ErrFinished", err)
	}
	h, b, err := p.Webhook(c.RunID)
	if err != nil {
		t.Fatalf("Webhook(expired) error = %v, want nil", err)
	}
	if hooked, err := p.ParseWebhook(t.Context(), h, b); err != nil || hooked.Reason != idvbridge.ReasonExpired {
		t.Errorf("ParseWebhook(expired) = %+v, %v, want reason %q", hooked, err, idvbridge.ReasonExpired)
	}
}

func TestBoundedRuns(t *testing.T) {
	t.Parallel()
	p, clk := newProvider(t, func(c *sandbox.Config) { c.MaxRuns = 3 })
	var ids []string
	for i := range 3 {
		ids = append(ids, start(t, p, enrollReq("u"+string(rune('a'+i)))).RunID)
	}
	if _, err := p.Start(t.Context(), enrollReq("ud")); !errors.Is(err, idvbridge.ErrUnavailable) {
		t.Fatalf("Start(full, all pending) error = %v, want ErrUnavailable", err)
	}
	// A finished run makes room: it is the one evicted.
	complete(t, p, ids[1], sandbox.ChoiceDeclined)
	start(t, p, enrollReq("ud"))
	if _, err := p.Fetch(t.Context(), ids[1]); !errors.Is(err, idvbridge.ErrNotFound) {
		t.Errorf("Fetch(evicted) error = %v, want ErrNotFound", err)
	}
	for _, id := range []string{ids[0], ids[2]} {
		if got := fetch(t, p, id); got.Status != idvbridge.StatusPending {
			t.Errorf("pending run %s status = %q, want it kept and pending", id, got.Status)
		}
	}
	// Expired runs make room too, oldest first.
	clk.Advance(time.Hour)
	for range 3 {
		start(t, p, enrollReq("ue"))
	}
	for _, id := range []string{ids[0], ids[2]} {
		if _, err := p.Fetch(t.Context(), id); !errors.Is(err, idvbridge.ErrNotFound) {
			t.Errorf("Fetch(expired and evicted) error = %v, want ErrNotFound", err)
		}
	}
	if _, err := p.Start(t.Context(), enrollReq("uf")); !errors.Is(err, idvbridge.ErrUnavailable) {
		t.Errorf("Start(full again) error = %v, want ErrUnavailable", err)
	}
}

func TestBoundedReferences(t *testing.T) {
	t.Parallel()
	p, _ := newProvider(t, func(c *sandbox.Config) { c.MaxReferences = 2 })
	oldest := enroll(t, p, "gina")
	enroll(t, p, "hank")
	kept := enroll(t, p, "ivan")
	c := start(t, p, stepUpReq(idvbridge.JourneyStepUp, "gina", oldest))
	if got := complete(t, p, c.RunID, sandbox.ChoicePass); got.Reason != idvbridge.ReasonDeclined {
		t.Errorf("Pass against an evicted reference: reason = %q, want %q", got.Reason, idvbridge.ReasonDeclined)
	}
	c = start(t, p, stepUpReq(idvbridge.JourneyStepUp, "ivan", kept))
	if got := complete(t, p, c.RunID, sandbox.ChoicePass); got.Status != idvbridge.StatusPassed {
		t.Errorf("Pass against a kept reference: status = %q, want %q", got.Status, idvbridge.StatusPassed)
	}
}

func TestConcurrentStartsAndCompletes(t *testing.T) {
	t.Parallel()
	p, _ := newProvider(t, func(c *sandbox.Config) { c.Random = nil })
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			c, err := p.Start(t.Context(), enrollReq("u"+string(rune('a'+i))))
			if err != nil {
				t.Errorf("Start() error = %v, want nil", err)
				return
			}
			if _, err := p.Complete(t.Context(), c.RunID, sandbox.ChoicePass); err != nil {
				t.Errorf("Complete() error = %v, want nil", err)
			}
			if _, _, err := p.Webhook(c.RunID); err != nil {
				t.Errorf("Webhook() error = %v, want nil", err)
			}
		})
	}
	wg.Wait()
}

func TestWebhookErrors(t *testing.T) {
	t.Parallel()
	p, _ := newProvider(t, nil)
	if _, _, err := p.Webhook("no-such-run"); !errors.Is(err, idvbridge.ErrNotFound) {
		t.Errorf("Webhook(unknown) error = %v, want ErrNotFound", err)
	}
	c := start(t, p, enrollReq("jane"))
	complete(t, p, c.RunID, sandbox.ChoiceError)
	h, body, err := p.Webhook(c.RunID)
	if err != nil {
		t.Fatalf("Webhook() error = %v, want nil", err)
	}
	if got, want := h.Get("Content-Type"), "application/json"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	sig := h.Get(sandbox.SignatureHeader)
	if len(sig) != 64 || strings.ToLower(sig) != sig {
		t.Errorf("%s = %q, want 64 lowercase hex digits", sandbox.SignatureHeader, sig)
	}
	if want := sign(body).Get(sandbox.SignatureHeader); sig != want {
		t.Errorf("%s = %q, want hex HMAC-SHA256 of the body under the secret, %q", sandbox.SignatureHeader, sig, want)
	}
	bad := map[string]http.Header{
		"Missing":   {},
		"NotHex":    {sandbox.SignatureHeader: {"zz"}},
		"Short":     {sandbox.SignatureHeader: {sig[:62]}},
		"OtherKey":  {sandbox.SignatureHeader: {strings.Repeat("0", 64)}},
		"Uppercase": {sandbox.SignatureHeader: {strings.ToUpper(sig) + "00"}},
	}
	for name, header := range bad {
		o, err := p.ParseWebhook(t.Context(), header, body)
		if !errors.Is(err, idvbridge.ErrBadSignature) || o != (idvbridge.Outcome{}) {
			t.Errorf("ParseWebhook(%s) = %+v, %v, want the zero Outcome and ErrBadSignature", name, o, err)
		}
	}
	// Signed, but not something the sandbox writes: ErrInvalid.
	for name, b := range map[string]string{
		"NotJSON":       `hello`,
		"UnknownField":  strings.Replace(string(body), `"id"`, `"extra":1,"id"`, 1),
		"Trailing":      string(body) + `{}`,
		"Pending":       strings.Replace(strings.Replace(string(body), `"failed"`, `"pending"`, 1), `"reason":"error",`, ``, 1),
		"PassedWithWhy": strings.Replace(string(body), `"failed"`, `"passed"`, 1),
		"WrongAction":   strings.Replace(string(body), `run.completed`, `run.started`, 1),
		"NoUser":        strings.Replace(string(body), `"user_id":"jane"`, `"user_id":""`, 1),
		"NoTime":        strings.Replace(string(body), `"completed_at":"2026-03-14T09:26:53Z"`, `"completed_at":"0001-01-01T00:00:00Z"`, 1),
		"ForeignRef":    strings.Replace(string(body), `"ceremony_id"`, `"reference":{"provider":"onfido","id":"x"},"ceremony_id"`, 1),
	} {
		if b == string(body) {
			t.Fatalf("%s: the edit changed nothing in %s", name, body)
		}
		o, err := p.ParseWebhook(t.Context(), sign([]byte(b)), []byte(b))
		if !errors.Is(err, idvbridge.ErrInvalid) || o != (idvbridge.Outcome{}) {
			t.Errorf("ParseWebhook(signed %s) = %+v, %v, want the zero Outcome and ErrInvalid", name, o, err)
		}
	}
}

func TestNotify(t *testing.T) {
	t.Parallel()
	type note struct {
		header http.Header
		body   []byte
	}
	var mu sync.Mutex
	var notes []note
	p, _ := newProvider(t, func(c *sandbox.Config) {
		c.Notify = func(_ context.Context, h http.Header, b []byte) error {
			mu.Lock()
			defer mu.Unlock()
			notes = append(notes, note{h, b})
			return errors.New("intake down") // logged; the outcome stands
		}
	})
	c := start(t, p, enrollReq("kim"))
	want := complete(t, p, c.RunID, sandbox.ChoicePass)
	mu.Lock()
	defer mu.Unlock()
	if len(notes) != 1 {
		t.Fatalf("Notify called %d times, want 1", len(notes))
	}
	got, err := p.ParseWebhook(t.Context(), notes[0].header, notes[0].body)
	if err != nil {
		t.Fatalf("ParseWebhook(notified) error = %v, want nil", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notified outcome mismatch (-complete +notified):\n%s", diff)
	}
	h, b, err := p.Webhook(c.RunID)
	if err != nil || !bytes.Equal(b, notes[0].body) || h.Get(sandbox.SignatureHeader) != notes[0].header.Get(sandbox.SignatureHeader) {
		t.Errorf("Webhook() = %s, %v, want the notification Notify got", b, err)
	}
}

// FuzzParseWebhook signs arbitrary bodies so they reach the decoder: it
// must never panic, return a zero Outcome with every error, and return
// only final outcomes of the sandbox.
func FuzzParseWebhook(f *testing.F) {
	p, err := sandbox.New(sandbox.Config{Mode: sandbox.ModeDevelopment, BaseURL: testBaseURL, WebhookSecret: testSecret})
	if err != nil {
		f.Fatal(err)
	}
	for _, choice := range sandbox.Choices() {
		c, err := p.Start(context.Background(), enrollReq("fuzz"))
		if err != nil {
			f.Fatal(err)
		}
		if _, err := p.Complete(context.Background(), c.RunID, choice); err != nil {
			f.Fatal(err)
		}
		_, b, err := p.Webhook(c.RunID)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"payload":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := p.ParseWebhook(context.Background(), sign(body), body)
		if err != nil {
			if o != (idvbridge.Outcome{}) {
				t.Errorf("ParseWebhook error %v with outcome %+v, want the zero Outcome", err, o)
			}
			return
		}
		if o.Provider != sandbox.Name || o.Status == idvbridge.StatusPending || o.RunID == "" || o.CompletedAt.IsZero() {
			t.Errorf("ParseWebhook accepted %q as %+v, want a final sandbox outcome", body, o)
		}
		if (o.Status == idvbridge.StatusPassed) != (o.Reason == idvbridge.ReasonNone) {
			t.Errorf("ParseWebhook accepted status %q with reason %q", o.Status, o.Reason)
		}
	})
}
