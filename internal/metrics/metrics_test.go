package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/plugin"
)

func newMetrics(t *testing.T) (*Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}

func TestObserveRequest(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		route, method string
		status        int
		wantMethod    string
		wantCode      string
	}{
		"a page":            {route: "/login", method: "GET", status: 200, wantMethod: "GET", wantCode: "200"},
		"an API error":      {route: "/api/v1/login/finish", method: "POST", status: 400, wantMethod: "POST", wantCode: "400"},
		"a routed pattern":  {route: "/api/v1/approvals/{id}", method: "GET", status: 404, wantMethod: "GET", wantCode: "404"},
		"unmatched":         {route: Other, method: "GET", status: 404, wantMethod: "GET", wantCode: "404"},
		"a made-up method":  {route: "/login", method: "SECRETMETHOD", status: 405, wantMethod: Other, wantCode: "405"},
		"a lowercase get":   {route: "/login", method: "get", status: 405, wantMethod: Other, wantCode: "405"},
		"an options method": {route: "/api/v1/enrollments", method: "OPTIONS", status: 405, wantMethod: "OPTIONS", wantCode: "405"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m, reg := newMetrics(t)
			m.ObserveRequest(tc.route, tc.method, tc.status, 30*time.Millisecond)
			if got := testutil.ToFloat64(m.requests.WithLabelValues(tc.route, tc.wantMethod, tc.wantCode)); got != 1 {
				t.Errorf("bp_http_requests_total{handler=%q,method=%q,code=%q}: got %v, want 1", tc.route, tc.wantMethod, tc.wantCode, got)
			}
			if got := testutil.CollectAndCount(m.requests); got != 1 {
				t.Errorf("bp_http_requests_total: got %d series, want 1", got)
			}
			if got := testutil.CollectAndCount(m.requestTime); got != 1 {
				t.Errorf("bp_http_request_duration_seconds: got %d series, want 1", got)
			}
			if tc.wantMethod == Other {
				if text := scrape(t, reg); strings.Contains(text, `method="`+tc.method+`"`) {
					t.Errorf("the exposition carries the client's method %q:\n%s", tc.method, text)
				}
			}
		})
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	if _, err := New(nil); err == nil {
		t.Error("New(nil): got no error, want one")
	}
	reg := prometheus.NewRegistry()
	if _, err := New(reg); err != nil {
		t.Fatal(err)
	}
	var already prometheus.AlreadyRegisteredError
	if _, err := New(reg); !errors.As(err, &already) {
		t.Errorf("New twice on one registry: got %v, want prometheus.AlreadyRegisteredError", err)
	}
}

// TestHandlerServesTheExposition: the collectors New registers, the Go
// runtime's and the process's among them, are what a scrape returns.
func TestHandlerServesTheExposition(t *testing.T) {
	t.Parallel()
	m, reg := newMetrics(t)
	m.ObserveRequest("/healthz", "GET", 200, time.Millisecond)
	text := scrape(t, reg)
	for _, want := range []string{
		`bp_http_requests_total{code="200",handler="/healthz",method="GET"} 1`,
		`bp_http_request_duration_seconds_count{handler="/healthz",method="GET"} 1`,
		"go_goroutines ",
		"process_start_time_seconds ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the exposition lacks %q:\n%s", want, text)
		}
	}
}

func scrape(t *testing.T, g prometheus.Gatherer) string {
	t.Helper()
	srv := httptest.NewServer(Handler(g, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	r, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Body.Close() }()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	if r.StatusCode != 200 {
		t.Fatalf("scrape: got status %d, want 200:\n%s", r.StatusCode, b)
	}
	return string(b)
}

// fakeServices answers Capabilities and VerifyApproval; every other method
// panics (the embedded interface is nil).
type fakeServices struct {
	plugin.Services
	verifyErr error
}

func (fakeServices) Capabilities(context.Context) (authenticator.Capabilities, error) {
	return authenticator.Capabilities{RPID: "example.com"}, nil
}

func (f fakeServices) VerifyApproval(context.Context, string) (authenticator.ApprovalVerification, error) {
	return authenticator.ApprovalVerification{}, f.verifyErr
}

func TestServicesRecordsOutcomes(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		err      error
		wantCode string
	}{
		"no error":           {err: nil, wantCode: CodeOK},
		"a not_found error":  {err: authenticator.Errorf(authenticator.CodeNotFound, "approval %s", "SECRET-ID"), wantCode: "not_found"},
		"a wrapped conflict": {err: fmt.Errorf("call: %w", authenticator.ErrConflict), wantCode: "conflict"},
		"a foreign error":    {err: context.DeadlineExceeded, wantCode: "internal"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m, reg := newMetrics(t)
			svc := m.Services(fakeServices{verifyErr: tc.err})
			if _, err := svc.VerifyApproval(t.Context(), "SECRET-ID"); !errors.Is(err, tc.err) {
				t.Errorf("VerifyApproval: got error %v, want %v passed through", err, tc.err)
			}
			if got := testutil.ToFloat64(m.calls.WithLabelValues("VerifyApproval", tc.wantCode)); got != 1 {
				t.Errorf("bp_plugin_calls_total{method=\"VerifyApproval\",code=%q}: got %v, want 1", tc.wantCode, got)
			}
			if got := testutil.CollectAndCount(m.callTime); got != 1 {
				t.Errorf("bp_plugin_call_duration_seconds: got %d series, want 1", got)
			}
			if text := scrape(t, reg); strings.Contains(text, "SECRET-ID") {
				t.Errorf("the exposition carries the argument SECRET-ID:\n%s", text)
			}
		})
	}
}

func TestServicesPassesResultsThrough(t *testing.T) {
	t.Parallel()
	m, _ := newMetrics(t)
	got, err := m.Services(fakeServices{}).Capabilities(t.Context())
	if err != nil || got.RPID != "example.com" {
		t.Errorf("Capabilities: got %+v, %v, want the fake's capabilities", got, err)
	}
	if n := testutil.ToFloat64(m.calls.WithLabelValues("Capabilities", CodeOK)); n != 1 {
		t.Errorf("bp_plugin_calls_total{method=\"Capabilities\",code=\"ok\"}: got %v, want 1", n)
	}
}

// TestServicesRecordsEveryMethod calls every method of plugin.Services on
// the decorator over a nil service: each call panics inside, and must
// still be recorded once, under its own name, with CodePanic, and the panic
// must reach the caller. A method added to the contract but not to the
// decorator fails to compile (var _ plugin.Services = (*services)(nil)); one
// recorded under the wrong name fails here.
func TestServicesRecordsEveryMethod(t *testing.T) {
	t.Parallel()
	m, _ := newMetrics(t)
	svc := reflect.ValueOf(m.Services(fakeServices{}))
	contract := reflect.TypeFor[plugin.Services]()
	for i := range contract.NumMethod() {
		name := contract.Method(i).Name
		if name == "Capabilities" || name == "VerifyApproval" {
			continue // the fake answers these
		}
		method := svc.MethodByName(name)
		args := make([]reflect.Value, method.Type().NumIn())
		for j := range args {
			args[j] = reflect.Zero(method.Type().In(j))
		}
		if panicked := call(method, args); !panicked {
			t.Errorf("%s: got no panic, want the nil service's panic passed on", name)
		}
		if got := testutil.ToFloat64(m.calls.WithLabelValues(name, CodePanic)); got != 1 {
			t.Errorf("bp_plugin_calls_total{method=%q,code=\"panic\"}: got %v, want 1", name, got)
		}
	}
	if got, want := testutil.CollectAndCount(m.callTime), contract.NumMethod()-2; got != want {
		t.Errorf("bp_plugin_call_duration_seconds: got %d series, want %d (one per method)", got, want)
	}
}

func call(method reflect.Value, args []reflect.Value) (panicked bool) {
	defer func() { panicked = recover() != nil }()
	if method.Type().IsVariadic() {
		method.CallSlice(args)
	} else {
		method.Call(args)
	}
	return false
}

func TestObserveLogin(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		result, acr, code string
		want              [3]string // the labels counted
	}{
		"accepted":          {"accepted", "urn:biometric-passkey:acr:step-up", "", [3]string{"accepted", "urn:biometric-passkey:acr:step-up", ""}},
		"rejected":          {"rejected", "", "unmet_authentication_requirements", [3]string{"rejected", "", "unmet_authentication_requirements"}},
		"not a plain token": {"accepted", "urn:x acr\n", "", [3]string{"accepted", Other, ""}},
		"too long":          {"rejected", "", strings.Repeat("e", 129), [3]string{"rejected", "", Other}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m, _ := newMetrics(t)
			m.ObserveLogin(tc.result, tc.acr, tc.code)
			if got := testutil.ToFloat64(m.logins.WithLabelValues(tc.want[0], tc.want[1], tc.want[2])); got != 1 {
				t.Errorf("bp_logins_total%v: got %v, want 1", tc.want, got)
			}
			if got := testutil.CollectAndCount(m.logins); got != 1 {
				t.Errorf("bp_logins_total: got %d series, want 1", got)
			}
		})
	}
}
