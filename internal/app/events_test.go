package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/authenticator/webhook"
)

const testEndpointSecret = "webhook-secret-for-tests-0123456789"

// TestStartAuthenticatorDeliversEvents starts the authenticator with an
// endpoint and checks that an event reaches it, signed, and that Close stops
// the deliverer.
func TestStartAuthenticatorDeliversEvents(t *testing.T) {
	t.Parallel()
	var (
		mu   sync.Mutex
		got  []string
		errs []error
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := webhook.Verify([]byte(testEndpointSecret), r.Header, body, time.Now(), webhook.DefaultTolerance); err != nil {
			errs = append(errs, err)
		}
		got = append(got, string(body))
	}))
	t.Cleanup(srv.Close)
	cfg := Defaults()
	cfg.Authenticator.Store.DSN = filepath.Join(t.TempDir(), "passkey.db")
	cfg.Authenticator.Events.Endpoints = []EndpointConfig{{URL: srv.URL, Secret: testEndpointSecret}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := StartAuthenticator(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Service.CreateEnrollment(t.Context(), authenticator.CreateEnrollmentRequest{ExternalUserID: "cust-1", ClientID: "bank"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || !strings.Contains(got[0], `"type":"user.invited"`) || len(errs) != 0 {
		t.Errorf("receiver got %q (verify errors %v), want one signed user.invited", got, errs)
	}
}

// TestEventsCommand lists two dead letters and redelivers them, one with
// an operator and one without, each audited.
func TestEventsCommand(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	cfg := Defaults()
	cfg.Authenticator.Store.DSN = filepath.Join(t.TempDir(), "passkey.db")
	st, err := OpenStore(ctx, cfg.Authenticator.Store)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	err = st.Atomic(ctx, func(tx authenticator.Tx) error {
		if err := tx.CreateUser(ctx, authenticator.User{ExternalID: "cust-1", Handle: []byte("h"), Status: authenticator.UserEnrolled, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		ev, err := tx.AppendEvent(ctx, authenticator.Event{Type: authenticator.EventUserSuspended, UserExternalID: "cust-1", Actor: "op", At: now})
		if err != nil {
			return err
		}
		return tx.EnqueueDeliveries(ctx, ev.ID, []string{"https://rp.example/hook", "https://rp2.example/hook"}, now)
	})
	if err != nil {
		t.Fatal(err)
	}
	claimed, err := st.ClaimDeliveries(ctx, now, time.Minute, 2)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claim: %d, %v", len(claimed), err)
	}
	for _, d := range claimed {
		if err := st.SettleDelivery(ctx, d.ID, authenticator.DeliveryDead, time.Time{}, "gave up after 1 attempts: status 500", now); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)

	var out bytes.Buffer
	if err := Events(ctx, cfg, []string{"dead-letters"}, &out, log); err != nil {
		t.Fatal(err)
	}
	var dl DeadLetter
	if err := json.NewDecoder(&out).Decode(&dl); err != nil || dl.ID != claimed[0].ID || dl.Event.Type != "user.suspended" ||
		dl.Endpoint != "https://rp.example/hook" || dl.Attempts != 1 || strings.Count(out.String(), "\n") != 1 {
		t.Fatalf("dead-letters: got %+v and %q after it (%v), want delivery 1 to rp.example and one more line", dl, out.String(), err)
	}
	out.Reset()
	if err := Events(ctx, cfg, []string{"redeliver", "1", "--operator", "op-ann", "--reason=endpoint fixed"}, &out, log); err != nil {
		t.Fatal(err)
	}
	if err := Events(ctx, cfg, []string{"redeliver", "2", "--operator", "op-bo"}, &out, log); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "delivery 1 is pending again\ndelivery 2 is pending again\n"; got != want {
		t.Errorf("redeliver: got %q, want %q", got, want)
	}
	out.Reset()
	if err := Events(ctx, cfg, []string{"dead-letters"}, &out, log); err != nil || out.Len() != 0 {
		t.Errorf("dead-letters after redeliver: got %q, %v; want nothing", out.String(), err)
	}
	if err := Events(ctx, cfg, []string{"redeliver", "1", "--operator", "op-ann"}, &out, log); !errors.Is(err, authenticator.ErrConflict) {
		t.Errorf("redeliver of a pending delivery: got %v, want ErrConflict", err)
	}
	if err := Events(ctx, cfg, []string{"redeliver", "--operator", "op-ann", "99"}, &out, log); !errors.Is(err, authenticator.ErrNotFound) {
		t.Errorf("redeliver of an unknown delivery: got %v, want ErrNotFound", err)
	}

	st, err = OpenStore(ctx, cfg.Authenticator.Store)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, err := st.ListAudit(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	type audited struct{ Actor, Action, Target, Reason string }
	var got []audited
	for _, r := range recs {
		got = append(got, audited{r.Actor, r.Action, r.Target, r.Detail["reason"]})
	}
	want := []audited{
		{"op-ann", authenticator.AuditEventRedeliver, "1", "endpoint fixed"},
		{"op-bo", authenticator.AuditEventRedeliver, "2", ""},
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit records: got %+v, want %+v", got, want)
	}

	for _, args := range [][]string{nil, {"nope"}, {"redeliver"}, {"redeliver", "x"}, {"redeliver", "1", "2"}, {"dead-letters", "extra"},
		{"redeliver", "1", "--operator"}, {"redeliver", "1", "--operator", " "}, {"redeliver", "1"}} {
		if err := Events(ctx, cfg, args, &out, log); err == nil {
			t.Errorf("events %q: got nil error", args)
		}
	}
}

// TestEventsConfig checks the events keys' validation and the environment
// override of an endpoint's secret.
func TestEventsConfig(t *testing.T) {
	t.Parallel()
	cfg, err := Load("", []string{"BP_AUTHENTICATOR_EVENTS_MAX_ATTEMPTS=7"})
	if err != nil || cfg.Authenticator.Events.MaxAttempts != 7 || cfg.Authenticator.Events.MaxAge != webhook.DefaultMaxAge {
		t.Fatalf("Load: %+v, %v", cfg.Authenticator.Events, err)
	}
	ep := func(url, secret string) []EndpointConfig { return []EndpointConfig{{URL: url, Secret: Secret(secret)}} }
	for name, tc := range map[string]struct {
		mode      string
		endpoints []EndpointConfig
		attempts  int
		age       time.Duration
		want      string // a key in the error; "" for none
	}{
		"fine":              {ModeDevelopment, ep("http://localhost:9000/hook", testEndpointSecret), 5, time.Hour, ""},
		"short secret":      {ModeDevelopment, ep("http://localhost:9000/hook", "short"), 5, time.Hour, "endpoints[0].secret"},
		"not a URL":         {ModeDevelopment, ep("hook", testEndpointSecret), 5, time.Hour, "endpoints[0].url"},
		"http in prod":      {ModeProduction, ep("http://rp.example/hook", testEndpointSecret), 5, time.Hour, "endpoints[0].url"},
		"credentials":       {ModeDevelopment, ep("https://u:p@rp.example/hook", testEndpointSecret), 5, time.Hour, "endpoints[0].url"},
		"twice":             {ModeDevelopment, append(ep("https://rp.example/a", testEndpointSecret), ep("https://rp.example/a", testEndpointSecret)...), 5, time.Hour, "endpoints[1].url"},
		"no attempts":       {ModeDevelopment, nil, 0, time.Hour, "authenticator.events.max_attempts"},
		"age under minimum": {ModeDevelopment, nil, 5, time.Second, "authenticator.events.max_age"},
	} {
		c := Defaults()
		c.Mode = tc.mode
		c.Authenticator.Events = EventsConfig{Endpoints: tc.endpoints, MaxAttempts: tc.attempts, MaxAge: tc.age}
		var msgs []string
		c.Authenticator.Events.validate(tc.mode, func(key, format string, args ...any) { msgs = append(msgs, key) })
		joined := strings.Join(msgs, " ")
		if (tc.want == "") != (joined == "") || !strings.Contains(joined, tc.want) {
			t.Errorf("%s: problems %q, want one naming %q", name, joined, tc.want)
		}
	}

	events := EventsConfig{Endpoints: ep("https://rp.example/hook", "")}
	if err := applyEndpointSecrets(&events, map[string]string{"BP_AUTHENTICATOR_EVENTS_ENDPOINTS_0_SECRET": testEndpointSecret}); err != nil ||
		events.Endpoints[0].Secret.Reveal() != testEndpointSecret {
		t.Errorf("secret from the environment: %v, %v", events.Endpoints[0].Secret, err)
	}
	for _, name := range []string{"BP_AUTHENTICATOR_EVENTS_ENDPOINTS_1_SECRET", "BP_AUTHENTICATOR_EVENTS_ENDPOINTS_X_SECRET", "BP_AUTHENTICATOR_EVENTS_ENDPOINTS_0_URL"} {
		if err := applyEndpointSecrets(&events, map[string]string{name: "x"}); err == nil {
			t.Errorf("%s: got nil error", name)
		}
	}
}
