package onfido_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/idvtest"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/onfido"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/onfido/onfidofake"
	"github.com/biometric-passkey/biometric-passkey/internal/testclock"
)

const (
	apiToken     = "api_sandbox.fake_0123456789abcdefghij"
	webhookToken = "YKOC6mkBxi6yK2zlUIrLMvsJMFEZObP5" // the token of onfido-node's published test vector
	wfEnroll     = "0f5b8a3e-6f2a-4c1b-9a51-1d2e3f405161"
	wfStepUp     = "1a6c9b4f-7a3b-4d2c-8b62-2e3f40516272"
	wfRecovery   = "2b7dac50-8b4c-4e3d-9c73-3f4051627383"
	linkTTL      = 20 * time.Minute
)

// clock is the settable test clock.
type clock = testclock.Clock

func newClock() *clock { return testclock.New(time.Date(2026, time.March, 4, 10, 0, 0, 0, time.UTC)) }

// sleeper records the waits the provider asks for and returns at once.
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeper) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// lockedBuffer is a log sink tests read after the fact.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// env is a provider wired to a fake behind a real HTTP server.
type env struct {
	fake   *onfidofake.Server
	srv    *httptest.Server
	clock  *clock
	sleep  *sleeper
	logs   *lockedBuffer
	cfg    onfido.Config
	p      *onfido.Provider
	client *http.Client
}

// newEnv starts a fake and a provider; edit adjusts the provider's config.
func newEnv(t testing.TB, edit ...func(*onfido.Config)) *env {
	t.Helper()
	e := &env{clock: newClock(), sleep: &sleeper{}, logs: &lockedBuffer{}}
	e.fake = onfidofake.New(onfidofake.Config{
		APIToken:                apiToken,
		WebhookToken:            webhookToken,
		EnrollmentWorkflows:     []string{wfEnroll},
		AuthenticationWorkflows: []string{wfStepUp, wfRecovery},
		Now:                     e.clock.Now,
	})
	e.srv = httptest.NewServer(e.fake)
	t.Cleanup(e.srv.Close)
	e.client = e.srv.Client()
	var out io.Writer = e.logs
	if tt, ok := t.(*testing.T); ok {
		out = io.MultiWriter(e.logs, tt.Output())
	}
	e.cfg = onfido.Config{
		APIToken:     apiToken,
		BaseURL:      e.srv.URL + "/v3.6",
		Workflows:    onfido.Workflows{Enrollment: wfEnroll, StepUp: wfStepUp, Recovery: wfRecovery},
		WebhookToken: webhookToken,
		LinkTTL:      linkTTL,
		HTTPClient:   e.client,
		Logger:       slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:          e.clock.Now,
		RandN:        func(n int64) int64 { return n - 1 }, // the top of each backoff window
		Sleep:        e.sleep.Sleep,
	}
	for _, f := range edit {
		f(&e.cfg)
	}
	p, err := onfido.New(e.cfg)
	if err != nil {
		t.Fatalf("New() error = %v, want nil", err)
	}
	e.p = p
	return e
}

// complete ends a run at the fake the way result says.
func (e *env) complete(t *testing.T, runID string, r idvtest.Result) {
	t.Helper()
	status := map[idvtest.Result]string{
		idvtest.ResultPass:      "approved",
		idvtest.ResultDeclined:  "declined",
		idvtest.ResultReview:    "review",
		idvtest.ResultAbandoned: "abandoned",
		idvtest.ResultError:     "error",
	}
	if r == idvtest.ResultExpired {
		// The link expires; the run keeps awaiting input.
		e.clock.Advance(linkTTL + time.Second)
		return
	}
	s, ok := status[r]
	if !ok {
		t.Fatalf("no fake status for result %q", r)
	}
	e.clock.Advance(time.Minute)
	if err := e.fake.Complete(runID, s); err != nil {
		t.Fatal(err)
	}
}

func (e *env) webhook(t *testing.T, runID string) (http.Header, []byte) {
	t.Helper()
	h, b, err := e.fake.Webhook(runID)
	if err != nil {
		t.Fatal(err)
	}
	return h, b
}

func TestConformance(t *testing.T) {
	t.Parallel()
	idvtest.Run(t, func(t *testing.T) idvtest.Harness {
		e := newEnv(t)
		return idvtest.Harness{Provider: e.p, Complete: e.complete, Webhook: e.webhook}
	})
}

// enroll starts and passes an enrollment and returns the user and reference.
func (e *env) enroll(t *testing.T, user string) idvbridge.Reference {
	t.Helper()
	c, err := e.p.Start(t.Context(), idvbridge.StartRequest{Journey: idvbridge.JourneyEnrollment, UserID: user, CeremonyID: "cer-" + user})
	if err != nil {
		t.Fatalf("Start(enrollment) error = %v, want nil", err)
	}
	e.complete(t, c.RunID, idvtest.ResultPass)
	o, err := e.p.Fetch(t.Context(), c.RunID)
	if err != nil || o.Reference == nil {
		t.Fatalf("Fetch(enrollment) = %+v, %v, want a reference", o, err)
	}
	return *o.Reference
}

// countRequests counts the fake's requests with a method and path prefix.
func (e *env) countRequests(method, prefix string) int {
	n := 0
	for _, r := range e.fake.Requests() {
		if r.Method == method && len(r.Path) >= len(prefix) && r.Path[:len(prefix)] == prefix {
			n++
		}
	}
	return n
}
