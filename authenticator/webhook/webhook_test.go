package webhook_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/sqlite"
	"github.com/biometric-passkey/biometric-passkey/authenticator/webhook"
	"github.com/biometric-passkey/biometric-passkey/internal/testclock"
)

var (
	secret = []byte("whsec-for-tests-0123456789abcdef-0123")
	t0     = time.Date(2026, time.November, 25, 12, 0, 0, 0, time.UTC)
)

// clock is the settable test clock.
type clock = testclock.Clock

// receiver records what reaches it and answers with status(n) for the
// n-th request (1, 2, …).
type receiver struct {
	mu     sync.Mutex
	status func(n int) int
	got    []received
}

type received struct {
	header http.Header
	body   []byte
	status int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	code := rc.status(len(rc.got) + 1)
	rc.got = append(rc.got, received{r.Header.Clone(), body, code})
	rc.mu.Unlock()
	w.WriteHeader(code)
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// newStore returns a migrated in-memory store holding one event of user
// cust-1 queued for each endpoint at t0.
func newStore(t *testing.T, endpoints ...string) (*sqlite.Store, authenticator.Event) {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.OpenAndMigrate(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	var ev authenticator.Event
	err = st.Atomic(ctx, func(tx authenticator.Tx) error {
		if err := tx.CreateUser(ctx, authenticator.User{ExternalID: "cust-1", Handle: []byte("h1"), Status: authenticator.UserEnrolled, CreatedAt: t0, UpdatedAt: t0}); err != nil {
			return err
		}
		if ev, err = tx.AppendEvent(ctx, authenticator.Event{Type: authenticator.EventCredentialRevoked, UserExternalID: "cust-1",
			CredentialID: []byte{0xfb, 0xff, 0x01}, Actor: "operator-7", Detail: map[string]string{"reason": "lost"}, At: t0}); err != nil {
			return err
		}
		return tx.EnqueueDeliveries(ctx, ev.ID, endpoints, t0)
	})
	if err != nil {
		t.Fatal(err)
	}
	return st, ev
}

func newDeliverer(t *testing.T, cfg webhook.Config, st webhook.Store, clk *clock) *webhook.Deliverer {
	t.Helper()
	d, err := webhook.New(cfg, st, webhook.WithClock(clk.Now), webhook.WithRandom(func(n int64) int64 { return n - 1 }),
		webhook.WithHTTPClient(&http.Client{Timeout: 5 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func runOnce(t *testing.T, d *webhook.Deliverer, want int) {
	t.Helper()
	n, err := d.RunOnce(t.Context())
	if err != nil || n != want {
		t.Fatalf("RunOnce: got %d, %v; want %d claimed", n, err, want)
	}
}

// checkDelivered checks that r is a correctly signed delivery of ev.
func checkDelivered(t *testing.T, r received, ev authenticator.Event, now time.Time) {
	t.Helper()
	if err := webhook.Verify(secret, r.header, r.body, now, webhook.DefaultTolerance); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if id := r.header.Get(webhook.HeaderEventID); id != "1" || ev.ID != 1 {
		t.Errorf("X-BP-Event-Id %q, event id %d; want 1", id, ev.ID)
	}
	var p map[string]any
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"id": float64(1), "type": "credential.revoked", "user": "cust-1", "credential_id": "-_8B",
		"at": "2026-11-25T12:00:00Z", "detail": map[string]any{"reason": "lost"}}
	if b, w := mustJSON(t, p), mustJSON(t, want); b != w {
		t.Errorf("payload %s, want %s", b, w)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDeliveredOnceAfterReceiverRecovers: the receiver first refuses
// connections, then answers 500, then 200. The event arrives exactly once
// with a valid signature, and nothing is sent after that.
func TestDeliveredOnceAfterReceiverRecovers(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil { // down: connection refused
		t.Fatal(err)
	}
	url := "http://" + addr + "/hook"
	st, ev := newStore(t, url)
	clk := testclock.New(t0)
	d := newDeliverer(t, webhook.Config{Endpoints: []webhook.Endpoint{{URL: url, Secret: secret}}, MaxAttempts: 5,
		BaseDelay: time.Second, MaxDelay: time.Minute}, st, clk)

	runOnce(t, d, 1) // refused
	runOnce(t, d, 0) // waiting out its backoff
	clk.Advance(time.Second)

	rc := &receiver{status: func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	}}
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(rc)
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	runOnce(t, d, 1) // 500
	clk.Advance(2 * time.Second)
	runOnce(t, d, 1) // 204
	clk.Advance(time.Hour)
	runOnce(t, d, 0)

	got := rc.requests()
	if len(got) != 2 || got[0].status != 500 || got[1].status != 204 {
		t.Fatalf("receiver saw %d requests, want a 500 then one 204", len(got))
	}
	checkDelivered(t, got[1], ev, clk.Now().Add(-time.Hour))
	if dead, err := st.ListDeadDeliveries(t.Context(), 0, 0); err != nil || len(dead) != 0 {
		t.Errorf("dead letters: %d, %v; want none", len(dead), err)
	}
}

// TestDeadLetterAfterMaxAttempts: a receiver that never recovers gets
// MaxAttempts attempts, then the delivery is a dead letter, listable and
// redeliverable.
func TestDeadLetterAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	rc := &receiver{status: func(int) int { return http.StatusServiceUnavailable }}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	st, ev := newStore(t, srv.URL)
	clk := testclock.New(t0)
	d := newDeliverer(t, webhook.Config{Endpoints: []webhook.Endpoint{{URL: srv.URL, Secret: secret}}, MaxAttempts: 3,
		BaseDelay: time.Second, MaxDelay: 10 * time.Second}, st, clk)
	for range 3 {
		runOnce(t, d, 1)
		clk.Advance(10 * time.Second)
	}
	runOnce(t, d, 0)
	if n := len(rc.requests()); n != 3 {
		t.Errorf("receiver saw %d attempts, want 3", n)
	}
	dead, err := st.ListDeadDeliveries(t.Context(), 0, 0)
	if err != nil || len(dead) != 1 {
		t.Fatalf("dead letters: %d, %v; want 1", len(dead), err)
	}
	if dl := dead[0]; dl.EventID != ev.ID || dl.Attempts != 3 || !strings.Contains(dl.LastError, "gave up after 3 attempts: status 503") {
		t.Errorf("dead letter %+v", dl)
	}
	if err := st.RedeliverDelivery(t.Context(), dead[0].ID, clk.Now()); err != nil {
		t.Fatal(err)
	}
	runOnce(t, d, 1)
	if n := len(rc.requests()); n != 4 {
		t.Errorf("after redelivery the receiver saw %d attempts, want 4", n)
	}
}

// TestDeadLetterAfterMaxAge: however many attempts remain, a delivery
// older than MaxAge is given up after its failed attempt.
func TestDeadLetterAfterMaxAge(t *testing.T) {
	t.Parallel()
	rc := &receiver{status: func(int) int { return http.StatusBadGateway }}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	st, _ := newStore(t, srv.URL)
	clk := testclock.New(t0)
	d := newDeliverer(t, webhook.Config{Endpoints: []webhook.Endpoint{{URL: srv.URL, Secret: secret}}, MaxAttempts: 100,
		MaxAge: time.Minute, BaseDelay: time.Second, MaxDelay: 40 * time.Second}, st, clk)
	runOnce(t, d, 1)
	clk.Advance(40 * time.Second)
	runOnce(t, d, 1)
	clk.Advance(40 * time.Second)
	runOnce(t, d, 1) // 80s old: dead
	clk.Advance(time.Hour)
	runOnce(t, d, 0)
	if dead, err := st.ListDeadDeliveries(t.Context(), 0, 0); err != nil || len(dead) != 1 || dead[0].Attempts != 3 {
		t.Fatalf("dead letters: %+v, %v; want one after 3 attempts", dead, err)
	}
}

// TestRedeliveredAfterCrash: a delivery claimed by a deliverer that died
// (claimed, never settled) is claimed again once the lease ends.
func TestRedeliveredAfterCrash(t *testing.T) {
	t.Parallel()
	rc := &receiver{status: func(int) int { return http.StatusOK }}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	st, ev := newStore(t, srv.URL)
	clk := testclock.New(t0)
	const lease = 45 * time.Second
	if crashed, err := st.ClaimDeliveries(t.Context(), clk.Now(), lease, 10); err != nil || len(crashed) != 1 {
		t.Fatalf("claim by the crashing deliverer: %d, %v", len(crashed), err)
	}
	d := newDeliverer(t, webhook.Config{Endpoints: []webhook.Endpoint{{URL: srv.URL, Secret: secret}}, Timeout: 5 * time.Second, Lease: lease}, st, clk)
	clk.Advance(lease - time.Second)
	runOnce(t, d, 0)
	clk.Advance(time.Second)
	runOnce(t, d, 1)
	clk.Advance(time.Hour)
	runOnce(t, d, 0)
	got := rc.requests()
	if len(got) != 1 {
		t.Fatalf("receiver saw %d requests, want 1", len(got))
	}
	checkDelivered(t, got[0], ev, clk.Now().Add(-time.Hour))
}

// TestUnconfiguredEndpointIsDeadLettered: a delivery for an endpoint taken
// out of the configuration is not sent anywhere.
func TestUnconfiguredEndpointIsDeadLettered(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t, "https://gone.example/hook")
	clk := testclock.New(t0)
	d := newDeliverer(t, webhook.Config{Endpoints: []webhook.Endpoint{{URL: "https://other.example/hook", Secret: secret}}}, st, clk)
	runOnce(t, d, 1)
	dead, err := st.ListDeadDeliveries(t.Context(), 0, 0)
	if err != nil || len(dead) != 1 || !strings.Contains(dead[0].LastError, "no longer configured") {
		t.Fatalf("dead letters: %+v, %v", dead, err)
	}
}

// TestStartAndClose runs the background loop on the real clock.
func TestStartAndClose(t *testing.T) {
	t.Parallel()
	rc := &receiver{status: func(int) int { return http.StatusAccepted }}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	st, _ := newStore(t, srv.URL)
	d, err := webhook.New(webhook.Config{Endpoints: []webhook.Endpoint{{URL: srv.URL, Secret: secret}}, PollInterval: 5 * time.Millisecond}, st)
	if err != nil {
		t.Fatal(err)
	}
	d.Start(t.Context())
	deadline := time.Now().Add(5 * time.Second)
	for len(rc.requests()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(rc.requests()); n != 1 {
		t.Errorf("receiver saw %d requests, want 1", n)
	}
}

// TestSignatureVector pins the signature scheme receivers implement.
func TestSignatureVector(t *testing.T) {
	t.Parallel()
	key := []byte("whsec-test-vector-0123456789abcdef")
	body := []byte(`{"id":1}`)
	const ts = 1767225600
	const want = "v1=e1f7beceeb1fe7f25b07d5c6780735a83873f6f66183945b2652675a2533d40c"
	if got := webhook.Sign(key, ts, body); got != want {
		t.Fatalf("Sign: got %s, want %s", got, want)
	}
	now := time.Unix(ts, 0).Add(time.Minute)
	header := func(ts, sig string) http.Header {
		h := http.Header{}
		h.Set(webhook.HeaderTimestamp, ts)
		h.Set(webhook.HeaderSignature, sig)
		return h
	}
	tests := map[string]struct {
		h    http.Header
		body []byte
		now  time.Time
		want error
	}{
		"valid":             {header("1767225600", want), body, now, nil},
		"one of two valid":  {header("1767225600", "v1=00, "+want), body, now, nil},
		"body changed":      {header("1767225600", want), []byte(`{"id":2}`), now, webhook.ErrBadSignature},
		"timestamp changed": {header("1767225601", want), body, now, webhook.ErrBadSignature},
		"replayed later":    {header("1767225600", want), body, now.Add(10 * time.Minute), webhook.ErrStale},
		"from the future":   {header("1767225600", want), body, now.Add(-10 * time.Minute), webhook.ErrStale},
		"no signature":      {header("1767225600", ""), body, now, webhook.ErrNoSignature},
		"bad timestamp":     {header("soon", want), body, now, webhook.ErrNoSignature},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if err := webhook.Verify(key, tt.h, tt.body, tt.now, webhook.DefaultTolerance); !errors.Is(err, tt.want) {
				t.Errorf("Verify: got %v, want %v", err, tt.want)
			}
		})
	}
}

// TestNewRefusesBadConfig checks the validation.
func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]webhook.Config{
		"no secret":        {Endpoints: []webhook.Endpoint{{URL: "https://a.example"}}},
		"twice":            {Endpoints: []webhook.Endpoint{{URL: "https://a.example", Secret: secret}, {URL: "https://a.example", Secret: secret}}},
		"lease too short":  {Timeout: time.Minute, Lease: time.Second},
		"negative backoff": {BaseDelay: -time.Second},
		"batch too big":    {BatchSize: authenticator.MaxPageSize + 1},
	} {
		if _, err := webhook.New(cfg, nil); !errors.Is(err, webhook.ErrInvalidConfig) {
			t.Errorf("%s: got %v, want ErrInvalidConfig", name, err)
		}
	}
}
