package adminui

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

func TestSignIns(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	cred := []byte{0xfb, 0xff, 0x01}       // "-_8B"
	long := []byte("a-long-credential-id") // shortened in the table
	ev := func(typ authenticator.EventType, at time.Duration, c []byte, kv ...string) authenticator.Event {
		d := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			d[kv[i]] = kv[i+1]
		}
		return authenticator.Event{Type: typ, UserExternalID: "u", CredentialID: c, Detail: d, At: t0.Add(at)}
	}
	const (
		authOK      = authenticator.EventAuthenticationSuccess
		stepPassed  = authenticator.EventStepUpPassed
		stepFailed  = authenticator.EventStepUpFailed
		recStarted  = authenticator.EventRecoveryStarted
		recDone     = authenticator.EventRecoveryCompleted
		recFailed   = authenticator.EventRecoveryFailed
		checkPassed = authenticator.EventIDVCheckPassed
		checkFailed = authenticator.EventIDVCheckFailed
	)
	tests := map[string]struct {
		events []authenticator.Event // newest first
		want   []signInView
	}{
		"no events": {},
		"routine success": {
			events: []authenticator.Event{ev(authOK, 0, cred, "acr", acr.RoutineACR, "client", "portal")},
			want: []signInView{{At: t0, Journey: journeyRoutine, Level: "routine", ACR: acr.RoutineACR, Client: "portal",
				Succeeded: true, Passkey: "-_8B", PasskeyID: "-_8B"}},
		},
		"long passkey id shortened": {
			events: []authenticator.Event{ev(authOK, 0, long, "acr", acr.RoutineACR, "client", "portal")},
			want: []signInView{{At: t0, Journey: journeyRoutine, Level: "routine", ACR: acr.RoutineACR, Client: "portal",
				Succeeded: true, Passkey: "YS1sb25nLW…", PasskeyID: "YS1sb25nLWNyZWRlbnRpYWwtaWQ"}},
		},
		"step-up pass pair is one row": {
			events: []authenticator.Event{
				ev(authOK, 5*time.Second, cred, "acr", acr.StepUpACR, "client", "bank"),
				ev(stepPassed, 0, cred, "acr", acr.StepUpACR, "client", "bank", "run_id", "r1", "provider", "sandbox"),
			},
			want: []signInView{{At: t0.Add(5 * time.Second), Journey: journeyStepUp, Level: "step-up", ACR: acr.StepUpACR,
				Client: "bank", Succeeded: true, Passkey: "-_8B", PasskeyID: "-_8B"}},
		},
		"step-up pass of another client is not paired": {
			events: []authenticator.Event{
				ev(authOK, 5*time.Second, cred, "acr", acr.RoutineACR, "client", "portal"),
				ev(stepPassed, 0, cred, "acr", acr.StepUpACR, "client", "bank", "run_id", "r1"),
			},
			want: []signInView{
				{At: t0.Add(5 * time.Second), Journey: journeyRoutine, Level: "routine", ACR: acr.RoutineACR, Client: "portal",
					Succeeded: true, Passkey: "-_8B", PasskeyID: "-_8B"},
				{At: t0, Journey: journeyStepUp, Level: "step-up", ACR: acr.StepUpACR, Client: "bank",
					Succeeded: true, Passkey: "-_8B", PasskeyID: "-_8B"},
			},
		},
		"step-up pass too long before the login is not paired": {
			events: []authenticator.Event{
				ev(authOK, time.Hour, cred, "acr", acr.StepUpACR, "client", "bank"),
				ev(stepPassed, 0, cred, "acr", acr.StepUpACR, "client", "bank", "run_id", "r1"),
			},
			want: []signInView{
				{At: t0.Add(time.Hour), Journey: journeyRoutine, Level: "step-up", ACR: acr.StepUpACR, Client: "bank",
					Succeeded: true, Passkey: "-_8B", PasskeyID: "-_8B"},
				{At: t0, Journey: journeyStepUp, Level: "step-up", ACR: acr.StepUpACR, Client: "bank",
					Succeeded: true, Passkey: "-_8B", PasskeyID: "-_8B"},
			},
		},
		"step-up fail": {
			events: []authenticator.Event{ev(stepFailed, 0, cred, "reason", "declined", "client", "bank", "run_id", "r1")},
			want: []signInView{{At: t0, Journey: journeyStepUp, Client: "bank", Reason: "declined",
				Passkey: "-_8B", PasskeyID: "-_8B"}},
		},
		"step-up fail then routine login": {
			events: []authenticator.Event{
				ev(authOK, 10*time.Second, cred, "acr", acr.RoutineACR, "client", "bank"),
				ev(stepFailed, 0, cred, "reason", "timeout", "client", "bank"),
			},
			want: []signInView{
				{At: t0.Add(10 * time.Second), Journey: journeyRoutine, Level: "routine", ACR: acr.RoutineACR, Client: "bank",
					Succeeded: true, Passkey: "-_8B", PasskeyID: "-_8B"},
				{At: t0, Journey: journeyStepUp, Client: "bank", Reason: "timeout", Passkey: "-_8B", PasskeyID: "-_8B"},
			},
		},
		"recovery completed": {
			events: []authenticator.Event{
				ev(authOK, 2*time.Minute, cred, "acr", acr.RoutineACR, "client", "portal", "recovery_run_id", "r9"),
				ev(recDone, time.Minute, cred, "provider", "sandbox", "run_id", "r9", "replaced", "1", "source", "login", "client", "portal"),
				ev(recStarted, 0, nil, "provider", "sandbox", "run_id", "r9", "source", "login", "client", "portal"),
			},
			want: []signInView{{At: t0.Add(time.Minute), Journey: journeyRecovery, Level: "routine", ACR: acr.RoutineACR,
				Client: "portal", Succeeded: true, Passkey: "-_8B", PasskeyID: "-_8B"}},
		},
		"recovery login without its completion event": {
			events: []authenticator.Event{ev(authOK, 0, cred, "acr", acr.RoutineACR, "client", "portal", "recovery_run_id", "r9")},
			want: []signInView{{At: t0, Journey: journeyRecovery, Level: "routine", ACR: acr.RoutineACR,
				Client: "portal", Succeeded: true, Passkey: "-_8B", PasskeyID: "-_8B"}},
		},
		"recovery failed takes the client of its start": {
			events: []authenticator.Event{
				ev(recFailed, time.Minute, nil, "provider", "sandbox", "run_id", "r9", "reason", "cancelled", "source", "link"),
				ev(recStarted, 0, nil, "provider", "sandbox", "run_id", "r9", "source", "link", "client", "portal"),
			},
			want: []signInView{{At: t0.Add(time.Minute), Journey: journeyRecovery, Client: "portal", Reason: "cancelled"}},
		},
		"recovery started alone is no row": {
			events: []authenticator.Event{ev(recStarted, 0, nil, "provider", "sandbox", "run_id", "r9", "client", "portal")},
		},
		"enrollment check passed and failed": {
			events: []authenticator.Event{
				ev(checkPassed, time.Hour, nil, "journey", "enrollment", "provider", "sandbox", "run_id", "r2"),
				ev(checkFailed, 0, nil, "journey", "enrollment", "provider", "sandbox", "run_id", "r1", "reason", "timeout"),
			},
			want: []signInView{
				{At: t0.Add(time.Hour), Journey: journeyEnrollment, Succeeded: true},
				{At: t0, Journey: journeyEnrollment, Reason: "timeout"},
			},
		},
		"refusal without a reason says so": {
			events: []authenticator.Event{ev(stepFailed, 0, nil, "client", "bank")},
			want:   []signInView{{At: t0, Journey: journeyStepUp, Client: "bank", Reason: "no reason given"}},
		},
		"unknown acr shown as it is": {
			events: []authenticator.Event{ev(authOK, 0, nil, "acr", "urn:example:gold", "client", "portal")},
			want: []signInView{{At: t0, Journey: journeyRoutine, Level: "urn:example:gold", ACR: "urn:example:gold",
				Client: "portal", Succeeded: true}},
		},
		"unrelated events ignored": {
			events: []authenticator.Event{
				ev(authenticator.EventCredentialRevoked, 5*time.Hour, cred, "reason", "lost"),
				ev(authenticator.EventUserSuspended, 4*time.Hour, nil, "reason", "fraud"),
				ev(authenticator.EventApprovalRecorded, 3*time.Hour, cred, "client", "bank", "acr", acr.StepUpACR),
				ev(checkPassed, 2*time.Hour, nil, "journey", "step_up", "run_id", "r1"),
				ev(authenticator.EventIDVCheckStarted, time.Hour, nil, "journey", "enrollment", "run_id", "r0"),
				ev(authenticator.EventCredentialRegistered, 0, cred, "client", "portal"),
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, signIns(tc.events)); diff != "" {
				t.Errorf("signIns (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSignInsCapped(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	var events []authenticator.Event
	for i := range signInRows + 5 {
		events = append(events, authenticator.Event{Type: authenticator.EventAuthenticationSuccess,
			Detail: map[string]string{"acr": acr.RoutineACR, "client": "portal"}, At: t0.Add(-time.Duration(i) * time.Hour)})
	}
	rows := signIns(events)
	if len(rows) != signInRows {
		t.Fatalf("got %d rows, want %d", len(rows), signInRows)
	}
	if !rows[0].At.Equal(t0) {
		t.Errorf("first row at %v, want the newest, %v", rows[0].At, t0)
	}
}

func TestUserPageSignInsEscaped(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	body := readBody(t, h.do(http.MethodGet, "/users/alice", []*http.Cookie{h.session(nil)}, nil))
	start, end := strings.Index(body, `<table class="signins"`), strings.Index(body, "<h2>Events</h2>")
	if start < 0 || end < start {
		t.Fatalf("no sign-ins table before the events:\n%s", body)
	}
	table := body[start:end]
	for _, want := range []string{
		`<td>step-up</td><td><abbr title="` + acr.StepUpACR + `">step-up</abbr></td><td>bank&lt;img src=x onerror=alert(1)&gt;</td>`,
		`<td>shop&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;</td><td><span class="badge badge-refused">refused</span> declined &lt;b&gt;by user&lt;/b&gt;</td>`,
		`<td>routine sign-in</td><td><abbr title="` + acr.RoutineACR + `">routine</abbr></td><td>portal</td>`,
	} {
		if !strings.Contains(table, want) {
			t.Errorf("sign-ins table lacks %s:\n%s", want, table)
		}
	}
	if n := strings.Count(table, "<tr><td>"); n != 3 {
		t.Errorf("got %d sign-in rows, want 3 (the step-up pair is one):\n%s", n, table)
	}
	for _, bad := range []string{"<img", "<script>alert(2)", "<b>by user"} {
		if strings.Contains(body, bad) {
			t.Errorf("page holds unescaped %q", bad)
		}
	}
}
