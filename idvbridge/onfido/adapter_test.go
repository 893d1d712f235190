package onfido_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/idvtest"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/onfido"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/onfido/onfidofake"
)

// The published test vector of onfido-node
// (test/studio-webhook-event-verifier.test.ts): token webhookToken, this
// raw body, this signature; the same signature with its last digit
// changed is the published invalid one.
const (
	vectorBody             = `{"payload":{"resource_type":"workflow_task","action":"workflow_task.started","object":{"id":"profile_1eb92","task_spec_id":"profile_1eb92","task_def_id":"profile_data","workflow_run_id":"bc77c6e5-753a-4580-96a6-aaed3e5a8d19","status":"started","started_at_iso8601":"2024-07-10T12:49:09Z","href":"https://api.eu.onfido.com/v3.6/workflow_runs/bc77c6e5-753a-4580-96a6-aaed3e5a8d19/tasks/profile_1eb92"},"resource":{"created_at":"2024-07-10T12:49:09Z","id":"profile_1eb92","workflow_run_id":"bc77c6e5-753a-4580-96a6-aaed3e5a8d19","updated_at":"2024-07-10T12:49:09Z","input":{},"task_def_version":null,"task_def_id":"profile_data","output":null}}}`
	vectorSignature        = "c95a5b785484f6fa1bc25f381b5595d66bf85cb442eefb06aa007802ee6a4dfa"
	vectorInvalidSignature = "c95a5b785484f6fa1bc25f381b5595d66bf85cb442eefb06aa007802ee6a4dfb"
	vectorRun              = "bc77c6e5-753a-4580-96a6-aaed3e5a8d19"
)

func signed(sig string) http.Header {
	h := http.Header{}
	h.Set(onfido.SignatureHeader, sig)
	return h
}

func sign(body []byte) string {
	m := hmac.New(sha256.New, []byte(webhookToken))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func TestPublishedSignatureVector(t *testing.T) {
	t.Parallel()
	if got := sign([]byte(vectorBody)); got != vectorSignature {
		t.Fatalf("HMAC-SHA256 of the vector = %s, want the published %s", got, vectorSignature)
	}
	e := newEnv(t)

	// It verifies: the event is about a run the fake does not have, so the
	// provider fetches it and reports ErrNotFound, not ErrBadSignature.
	_, err := e.p.ParseWebhook(t.Context(), signed(vectorSignature), []byte(vectorBody))
	if errors.Is(err, idvbridge.ErrBadSignature) || !errors.Is(err, idvbridge.ErrNotFound) {
		t.Fatalf("ParseWebhook(vector) error = %v, want a verified event whose run is ErrNotFound", err)
	}
	if n := e.countRequests(http.MethodGet, "/v3.6/workflow_runs/"+vectorRun); n != 1 {
		t.Errorf("GET of the vector's run: %d requests, want 1", n)
	}

	before := len(e.fake.Requests())
	for _, sig := range []string{vectorInvalidSignature, strings.ToUpper(vectorSignature[:63]) + "b", vectorSignature[:62], ""} {
		if _, err := e.p.ParseWebhook(t.Context(), signed(sig), []byte(vectorBody)); !errors.Is(err, idvbridge.ErrBadSignature) {
			t.Errorf("ParseWebhook(signature %q) error = %v, want ErrBadSignature", sig, err)
		}
	}
	for i := range len(vectorBody) {
		body := []byte(vectorBody)
		body[i] ^= 0x20
		o, err := e.p.ParseWebhook(t.Context(), signed(vectorSignature), body)
		if !errors.Is(err, idvbridge.ErrBadSignature) || o != (idvbridge.Outcome{}) {
			t.Fatalf("ParseWebhook(byte %d changed) = %+v, %v, want ErrBadSignature", i, o, err)
		}
	}
	if after := len(e.fake.Requests()); after != before {
		t.Errorf("bad signatures caused %d requests, want none", after-before)
	}
}

func TestWebhookRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, err := e.p.Start(t.Context(), idvbridge.StartRequest{Journey: idvbridge.JourneyEnrollment, UserID: "u-refusals", CeremonyID: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	e.complete(t, c.RunID, idvtest.ResultDeclined)
	_, body := e.webhook(t, c.RunID)

	big := append(bytes.Clone(body), bytes.Repeat([]byte(" "), onfido.MaxWebhookBytes)...)
	twice := signed(sign(body))
	twice.Add(onfido.SignatureHeader, sign(body))
	tests := map[string]struct {
		header http.Header
		body   []byte
		want   error
	}{
		"oversized, correctly signed": {signed(sign(big)), big, idvbridge.ErrBadSignature},
		"two signature headers":       {twice, body, idvbridge.ErrBadSignature},
		"signature not hex":           {signed(strings.Repeat("zz", 32)), body, idvbridge.ErrBadSignature},
		"signature too short":         {signed(sign(body)[:40]), body, idvbridge.ErrBadSignature},
		"signature in another header": {http.Header{"X-Signature": {sign(body)}}, body, idvbridge.ErrBadSignature},
		"verified, not JSON":          {signed(sign([]byte("hello"))), []byte("hello"), idvbridge.ErrInvalid},
		"verified, trailing data":     {signed(sign(append(bytes.Clone(body), "{}"...))), append(bytes.Clone(body), "{}"...), idvbridge.ErrInvalid},
		"verified, no payload":        {signed(sign([]byte(`{}`))), []byte(`{}`), idvbridge.ErrInvalid},
		"verified, not about a run": {
			signed(sign([]byte(`{"payload":{"resource_type":"check","action":"check.completed","object":{"id":"x","status":"complete"}}}`))),
			[]byte(`{"payload":{"resource_type":"check","action":"check.completed","object":{"id":"x","status":"complete"}}}`),
			idvbridge.ErrNotFound,
		},
	}
	for name, tc := range tests {
		before := len(e.fake.Requests())
		o, err := e.p.ParseWebhook(t.Context(), tc.header, tc.body)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: error = %v, want %v", name, err, tc.want)
		}
		if o != (idvbridge.Outcome{}) {
			t.Errorf("%s: outcome = %+v, want zero", name, o)
		}
		if after := len(e.fake.Requests()); after != before {
			t.Errorf("%s: %d requests, want none", name, after-before)
		}
	}
}

func TestWebhookWithoutResourceFetchesTheRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, err := e.p.Start(t.Context(), idvbridge.StartRequest{Journey: idvbridge.JourneyEnrollment, UserID: "u-thin", CeremonyID: "c-thin"})
	if err != nil {
		t.Fatal(err)
	}
	e.complete(t, c.RunID, idvtest.ResultAbandoned)
	body := []byte(`{"payload":{"resource_type":"workflow_run","action":"workflow_run.completed","object":{"id":"` + c.RunID + `","status":"approved"}}}`)
	before := e.countRequests(http.MethodGet, "/v3.6/workflow_runs/")
	got, err := e.p.ParseWebhook(t.Context(), signed(sign(body)), body)
	if err != nil {
		t.Fatalf("ParseWebhook error = %v, want nil", err)
	}
	if n := e.countRequests(http.MethodGet, "/v3.6/workflow_runs/") - before; n != 1 {
		t.Errorf("fetches = %d, want 1 (the payload lacks the run)", n)
	}
	want, err := e.p.Fetch(t.Context(), c.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcome differs from Fetch (-fetch +webhook):\n%s", diff)
	}
	if got.Reason != idvbridge.ReasonAbandoned {
		t.Errorf("reason = %q, want %q: the run, not the object's status, decides", got.Reason, idvbridge.ReasonAbandoned)
	}

	mismatch := []byte(`{"payload":{"resource_type":"workflow_run","action":"workflow_run.completed","object":{"id":"` + c.RunID + `"},"resource":{"id":"` + vectorRun + `"}}}`)
	if _, err := e.p.ParseWebhook(t.Context(), signed(sign(mismatch)), mismatch); !errors.Is(err, idvbridge.ErrInvalid) {
		t.Errorf("object and resource naming different runs: error = %v, want ErrInvalid", err)
	}
}

// failTransport answers every request with a transport error and counts.
type failTransport struct {
	mu sync.Mutex
	n  map[string]int
}

func (f *failTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == nil {
		f.n = map[string]int{}
	}
	f.n[r.Method]++
	return nil, errors.New("connection reset by peer")
}

func TestRetries(t *testing.T) {
	t.Parallel()
	fault := func(status int) onfidofake.Fault { return onfidofake.Fault{Status: status} }
	tests := map[string]struct {
		faults     []onfidofake.Fault
		maxRetries int
		want       error // nil: success
		attempts   int
		waits      []time.Duration
	}{
		"429 twice, then the run": {
			faults: []onfidofake.Fault{fault(429), fault(429)}, attempts: 3,
			waits: []time.Duration{250*time.Millisecond - 1, 500*time.Millisecond - 1},
		},
		"503, then the run": {
			faults: []onfidofake.Fault{fault(503)}, attempts: 2,
			waits: []time.Duration{250*time.Millisecond - 1},
		},
		"500 until the retries run out": {
			faults: []onfidofake.Fault{fault(500), fault(502), fault(503), fault(504)}, want: idvbridge.ErrUnavailable, attempts: 4,
			waits: []time.Duration{250*time.Millisecond - 1, 500*time.Millisecond - 1, time.Second - 1},
		},
		"422 is not retried": {faults: []onfidofake.Fault{fault(422)}, want: idvbridge.ErrRejected, attempts: 1},
		"400 is not retried": {faults: []onfidofake.Fault{fault(400)}, want: idvbridge.ErrRejected, attempts: 1},
		"401 is not retried": {faults: []onfidofake.Fault{fault(401)}, want: idvbridge.ErrRejected, attempts: 1},
		"404 is not retried": {faults: []onfidofake.Fault{fault(404)}, want: idvbridge.ErrNotFound, attempts: 1},
		"409 is not retried": {faults: []onfidofake.Fault{fault(409)}, want: idvbridge.ErrRejected, attempts: 1},
		"NoRetries":          {faults: []onfidofake.Fault{fault(429)}, maxRetries: onfido.NoRetries, want: idvbridge.ErrUnavailable, attempts: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(c *onfido.Config) { c.MaxRetries = tc.maxRetries })
			c, err := e.p.Start(t.Context(), idvbridge.StartRequest{Journey: idvbridge.JourneyEnrollment, UserID: "u", CeremonyID: "c"})
			if err != nil {
				t.Fatal(err)
			}
			e.fake.InjectFaults(tc.faults...)
			before := e.countRequests(http.MethodGet, "/v3.6/workflow_runs/")
			o, err := e.p.Fetch(t.Context(), c.RunID)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Fetch error = %v, want %v", err, tc.want)
			}
			if tc.want == nil && o.RunID != c.RunID {
				t.Errorf("Fetch run id = %q, want %q", o.RunID, c.RunID)
			}
			if tc.want != nil {
				var apiErr *idvbridge.APIError
				if !errors.As(err, &apiErr) || apiErr.HTTPStatus != tc.faults[len(tc.faults)-1].Status {
					t.Errorf("error = %v, want an APIError with the last status", err)
				}
			}
			if got := e.countRequests(http.MethodGet, "/v3.6/workflow_runs/") - before; got != tc.attempts {
				t.Errorf("attempts = %d, want %d", got, tc.attempts)
			}
			if diff := cmp.Diff(tc.waits, e.sleep.Waits()); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRetryBackoffStaysUnderTheCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *onfido.Config) { c.MaxRetries = 10 })
	var faults []onfidofake.Fault
	for range 11 {
		faults = append(faults, onfidofake.Fault{Status: 503})
	}
	e.fake.InjectFaults(faults...)
	if _, err := e.p.Fetch(t.Context(), vectorRun); !errors.Is(err, idvbridge.ErrUnavailable) {
		t.Fatalf("Fetch error = %v, want ErrUnavailable", err)
	}
	waits := e.sleep.Waits()
	if len(waits) != 10 {
		t.Fatalf("waits = %d, want 10", len(waits))
	}
	for i, w := range waits {
		if w < 0 || w >= 8*time.Second {
			t.Errorf("wait %d = %v, want within [0, 8s)", i, w)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := newClock().Now()
	tests := map[string]struct {
		value    string
		want     error
		waits    []time.Duration
		attempts int
	}{
		"seconds":               {value: "2", waits: []time.Duration{2 * time.Second}, attempts: 2},
		"zero":                  {value: "0", waits: []time.Duration{0}, attempts: 2},
		"HTTP date":             {value: now.Add(5 * time.Second).Format(http.TimeFormat), waits: []time.Duration{5 * time.Second}, attempts: 2},
		"HTTP date in the past": {value: now.Add(-time.Hour).Format(http.TimeFormat), waits: []time.Duration{0}, attempts: 2},
		"unparseable: backoff":  {value: "soon", waits: []time.Duration{250*time.Millisecond - 1}, attempts: 2},
		"too long: give up":     {value: "120", want: idvbridge.ErrUnavailable, attempts: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.fake.InjectFaults(onfidofake.Fault{Status: 429, Header: http.Header{"Retry-After": {tc.value}}})
			_, err := e.p.Fetch(t.Context(), vectorRun)
			if tc.want == nil {
				tc.want = idvbridge.ErrNotFound // the retry reaches the fake, which has no such run
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Fetch error = %v, want %v", err, tc.want)
			}
			if got := e.countRequests(http.MethodGet, "/v3.6/workflow_runs/"); got != tc.attempts {
				t.Errorf("attempts = %d, want %d", got, tc.attempts)
			}
			if diff := cmp.Diff(tc.waits, e.sleep.Waits()); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("past the context's deadline", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.fake.InjectFaults(onfidofake.Fault{Status: 503, Header: http.Header{"Retry-After": {"20"}}})
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		if _, err := e.p.Fetch(ctx, vectorRun); !errors.Is(err, idvbridge.ErrUnavailable) {
			t.Fatalf("Fetch error = %v, want ErrUnavailable", err)
		}
		if w := e.sleep.Waits(); len(w) != 0 {
			t.Errorf("waits = %v, want none: the retry could not finish in time", w)
		}
	})
}

func TestTransportFailures(t *testing.T) {
	t.Parallel()
	ft := &failTransport{}
	e := newEnv(t, func(c *onfido.Config) { c.HTTPClient = &http.Client{Transport: ft} })
	if _, err := e.p.Fetch(t.Context(), vectorRun); !errors.Is(err, idvbridge.ErrUnavailable) {
		t.Errorf("Fetch error = %v, want ErrUnavailable", err)
	}
	if _, err := e.p.Start(t.Context(), idvbridge.StartRequest{Journey: idvbridge.JourneyEnrollment, UserID: "u", CeremonyID: "c"}); !errors.Is(err, idvbridge.ErrUnavailable) {
		t.Errorf("Start error = %v, want ErrUnavailable", err)
	}
	ft.mu.Lock()
	defer ft.mu.Unlock()
	if ft.n[http.MethodGet] != 1+onfido.DefaultMaxRetries {
		t.Errorf("GET attempts = %d, want %d (retried)", ft.n[http.MethodGet], 1+onfido.DefaultMaxRetries)
	}
	if ft.n[http.MethodPost] != 1 {
		t.Errorf("POST attempts = %d, want 1 (a POST may have been processed)", ft.n[http.MethodPost])
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	e := newEnv(t, func(c *onfido.Config) {
		c.Sleep = func(ctx context.Context, _ time.Duration) error {
			cancel()
			<-ctx.Done()
			return ctx.Err()
		}
	})
	e.fake.InjectFaults(onfidofake.Fault{Status: 503}, onfidofake.Fault{Status: 503})
	_, err := e.p.Fetch(ctx, vectorRun)
	if !errors.Is(err, idvbridge.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("Fetch error = %v, want ErrUnavailable wrapping context.Canceled", err)
	}
	if n := e.countRequests(http.MethodGet, "/v3.6/workflow_runs/"); n != 1 {
		t.Errorf("attempts = %d, want 1", n)
	}
}

// stripTransport removes a field from POST /workflow_runs bodies, to make
// the adapter send a request the fake must reject.
type stripTransport struct {
	field string
	next  http.RoundTripper
}

func (s stripTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/workflow_runs") {
		var m map[string]any
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, err
		}
		delete(m, s.field)
		b, _ = json.Marshal(m)
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
	}
	return s.next.RoundTrip(r)
}

func TestRejectedRequestsCarryTheFields(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		edit  func(*onfido.Config)
		field string
	}{
		"missing applicant_id": {func(c *onfido.Config) {
			c.HTTPClient = &http.Client{Transport: stripTransport{"applicant_id", http.DefaultTransport}}
		}, "applicant_id"},
		"missing workflow_id": {func(c *onfido.Config) {
			c.HTTPClient = &http.Client{Transport: stripTransport{"workflow_id", http.DefaultTransport}}
		}, "workflow_id"},
		"unknown workflow": {func(c *onfido.Config) {
			c.Workflows.Enrollment = "3c8ebd61-9c5d-4f4e-8d84-405162738494"
		}, "workflow_id"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.edit)
			_, err := e.p.Start(t.Context(), idvbridge.StartRequest{Journey: idvbridge.JourneyEnrollment, UserID: "u", CeremonyID: "c"})
			if !errors.Is(err, idvbridge.ErrRejected) {
				t.Fatalf("Start error = %v, want ErrRejected", err)
			}
			var apiErr *idvbridge.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("Start error = %v, want an *idvbridge.APIError in it", err)
			}
			if apiErr.HTTPStatus != 422 || apiErr.Type != "validation_error" || len(apiErr.Fields[tc.field]) == 0 {
				t.Errorf("APIError = %+v, want 422 validation_error naming %q", apiErr, tc.field)
			}
			if n := e.countRequests(http.MethodPost, "/v3.6/workflow_runs"); n != 1 {
				t.Errorf("POST /workflow_runs attempts = %d, want 1 (422 is not retried)", n)
			}
		})
	}
}

func TestErrorBodies(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		status int
		body   string
		want   error
		api    idvbridge.APIError
	}{
		"nested fields": {
			422, `{"error":{"type":"validation_error","message":"bad","fields":{"link":{"expires_at":["is invalid"]},"tags":"too many","n":5}}}`,
			idvbridge.ErrRejected,
			idvbridge.APIError{HTTPStatus: 422, Type: "validation_error", Message: "bad", Fields: map[string][]string{
				"link.expires_at": {"is invalid"}, "tags": {"too many"}, "n": {"5"},
			}},
		},
		"not JSON": {502, `<html>bad gateway</html>`, idvbridge.ErrUnavailable, idvbridge.APIError{HTTPStatus: 502, Message: "Bad Gateway"}},
		"gone":     {410, `{"error":{"type":"gone","message":"deleted"}}`, idvbridge.ErrNotFound, idvbridge.APIError{HTTPStatus: 410, Type: "gone", Message: "deleted"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			t.Cleanup(srv.Close)
			e := newEnv(t, func(c *onfido.Config) { c.BaseURL = srv.URL + "/v3.6"; c.MaxRetries = onfido.NoRetries })
			_, err := e.p.Fetch(t.Context(), vectorRun)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Fetch error = %v, want %v", err, tc.want)
			}
			var apiErr *idvbridge.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("Fetch error = %v, want an APIError", err)
			}
			if diff := cmp.Diff(tc.api, *apiErr); diff != "" {
				t.Errorf("APIError (-want +got):\n%s", diff)
			}
		})
	}
}

// recordTransport records the request and answers 404.
type recordTransport struct {
	mu  sync.Mutex
	req *http.Request
}

func (r *recordTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.req = req
	r.mu.Unlock()
	return &http.Response{
		StatusCode: 404, Header: http.Header{"Content-Type": {"application/json"}}, Request: req,
		Body: io.NopCloser(strings.NewReader(`{"error":{"type":"resource_not_found","message":"not found"}}`)),
	}, nil
}

func TestRegionBaseURLs(t *testing.T) {
	t.Parallel()
	for region, want := range map[onfido.Region]string{
		"":              "https://api.eu.onfido.com/v3.6",
		onfido.RegionEU: "https://api.eu.onfido.com/v3.6",
		onfido.RegionUS: "https://api.us.onfido.com/v3.6",
		onfido.RegionCA: "https://api.ca.onfido.com/v3.6",
	} {
		t.Run(string(region), func(t *testing.T) {
			t.Parallel()
			rt := &recordTransport{}
			p, err := onfido.New(onfido.Config{
				APIToken: apiToken, Region: region, WebhookToken: webhookToken,
				Workflows:  onfido.Workflows{Enrollment: wfEnroll, StepUp: wfStepUp, Recovery: wfRecovery},
				HTTPClient: &http.Client{Transport: rt},
			})
			if err != nil {
				t.Fatal(err)
			}
			if p.BaseURL() != want {
				t.Errorf("BaseURL() = %q, want %q", p.BaseURL(), want)
			}
			if _, err := p.Fetch(t.Context(), vectorRun); !errors.Is(err, idvbridge.ErrNotFound) {
				t.Fatalf("Fetch error = %v, want ErrNotFound", err)
			}
			rt.mu.Lock()
			defer rt.mu.Unlock()
			if got := rt.req.URL.String(); got != want+"/workflow_runs/"+vectorRun {
				t.Errorf("request URL = %q, want %q", got, want+"/workflow_runs/"+vectorRun)
			}
			if got := rt.req.Header.Get("Authorization"); got != "Token token="+apiToken {
				t.Errorf("Authorization = %q, want the Token scheme", got)
			}
			if got := rt.req.Header.Get("Accept"); got != "application/json" {
				t.Errorf("Accept = %q, want application/json", got)
			}
		})
	}
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	valid := func() onfido.Config {
		return onfido.Config{
			APIToken: apiToken, WebhookToken: webhookToken,
			Workflows: onfido.Workflows{Enrollment: wfEnroll, StepUp: wfStepUp, Recovery: wfRecovery},
		}
	}
	tests := map[string]struct {
		edit func(*onfido.Config)
		want []string // fields the error must name; none: valid
	}{
		"valid":                          {func(*onfido.Config) {}, nil},
		"step-up and recovery share":     {func(c *onfido.Config) { c.Workflows.Recovery = wfStepUp }, nil},
		"loopback http base URL":         {func(c *onfido.Config) { c.BaseURL = "http://127.0.0.1:8080/v3.6" }, nil},
		"localhost http base URL":        {func(c *onfido.Config) { c.BaseURL = "http://localhost:8080/v3.6/" }, nil},
		"https base URL":                 {func(c *onfido.Config) { c.BaseURL = "https://proxy.internal.example/onfido/v3.6" }, nil},
		"NoRetries":                      {func(c *onfido.Config) { c.MaxRetries = onfido.NoRetries }, nil},
		"no API token":                   {func(c *onfido.Config) { c.APIToken = "" }, []string{"APIToken"}},
		"API token with a space":         {func(c *onfido.Config) { c.APIToken = "api live" }, []string{"APIToken"}},
		"API token with a newline":       {func(c *onfido.Config) { c.APIToken = "api\nX-Evil: 1" }, []string{"APIToken"}},
		"unknown region":                 {func(c *onfido.Config) { c.Region = "uk" }, []string{"Region"}},
		"region and base URL":            {func(c *onfido.Config) { c.Region = onfido.RegionUS; c.BaseURL = "https://x.example/v3.6" }, []string{"BaseURL"}},
		"plain http base URL":            {func(c *onfido.Config) { c.BaseURL = "http://api.example/v3.6" }, []string{"BaseURL"}},
		"relative base URL":              {func(c *onfido.Config) { c.BaseURL = "/v3.6" }, []string{"BaseURL"}},
		"base URL with credentials":      {func(c *onfido.Config) { c.BaseURL = "https://u:p@x.example/v3.6" }, []string{"BaseURL"}},
		"no workflows":                   {func(c *onfido.Config) { c.Workflows = onfido.Workflows{} }, []string{"Workflows.Enrollment", "Workflows.StepUp", "Workflows.Recovery"}},
		"workflow not a UUID":            {func(c *onfido.Config) { c.Workflows.StepUp = "step-up" }, []string{"Workflows.StepUp"}},
		"enrollment shared with step-up": {func(c *onfido.Config) { c.Workflows.StepUp = wfEnroll }, []string{"Workflows.Enrollment"}},
		"no webhook token":               {func(c *onfido.Config) { c.WebhookToken = "" }, []string{"WebhookToken"}},
		"short webhook token":            {func(c *onfido.Config) { c.WebhookToken = "short" }, []string{"WebhookToken"}},
		"negative timeout":               {func(c *onfido.Config) { c.Timeout = -time.Second }, []string{"Timeout"}},
		"huge timeout":                   {func(c *onfido.Config) { c.Timeout = time.Hour }, []string{"Timeout"}},
		"short link TTL":                 {func(c *onfido.Config) { c.LinkTTL = time.Second }, []string{"LinkTTL"}},
		"long link TTL":                  {func(c *onfido.Config) { c.LinkTTL = 48 * time.Hour }, []string{"LinkTTL"}},
		"negative retries":               {func(c *onfido.Config) { c.MaxRetries = -2 }, []string{"MaxRetries"}},
		"too many retries":               {func(c *onfido.Config) { c.MaxRetries = 11 }, []string{"MaxRetries"}},
		"everything wrong at once": {func(c *onfido.Config) {
			*c = onfido.Config{Region: "mars", Timeout: -1, LinkTTL: -1, MaxRetries: -5}
		}, []string{"APIToken", "Region", "Workflows.Enrollment", "Workflows.StepUp", "Workflows.Recovery", "WebhookToken", "LinkTTL", "Timeout", "MaxRetries"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := valid()
			tc.edit(&cfg)
			before := cfg
			p, err := onfido.New(cfg)
			if diff := cmp.Diff(before, cfg, cmp.Comparer(func(a, b *http.Client) bool { return a == b }),
				cmp.Comparer(func(a, b *slog.Logger) bool { return a == b })); diff != "" {
				t.Errorf("New changed the caller's config:\n%s", diff)
			}
			if tc.want == nil {
				if err != nil || p == nil {
					t.Fatalf("New() = %v, %v, want a provider", p, err)
				}
				return
			}
			if err == nil {
				t.Fatal("New() error = nil, want one")
			}
			for _, field := range tc.want {
				if !strings.Contains(err.Error(), "Config."+field+":") {
					t.Errorf("New() error = %q, want it to name Config.%s", err, field)
				}
			}
			if strings.Contains(err.Error(), "api live") || strings.Contains(err.Error(), "X-Evil") {
				t.Errorf("New() error = %q echoes the API token", err)
			}
		})
	}
}

func TestStatusMapping(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		status     string
		status2    idvbridge.Status
		reason     idvbridge.Reason
		logged     bool
		afterLink  bool // advance past the link's expiry first
		completeAt bool // CompletedAt set
	}{
		"approved":                     {"approved", idvbridge.StatusPassed, idvbridge.ReasonNone, false, false, true},
		"declined":                     {"declined", idvbridge.StatusFailed, idvbridge.ReasonDeclined, false, false, true},
		"review":                       {"review", idvbridge.StatusFailed, idvbridge.ReasonReview, false, false, true},
		"abandoned":                    {"abandoned", idvbridge.StatusFailed, idvbridge.ReasonAbandoned, false, false, true},
		"error":                        {"error", idvbridge.StatusFailed, idvbridge.ReasonError, false, false, true},
		"processing":                   {"processing", idvbridge.StatusPending, idvbridge.ReasonNone, false, false, false},
		"awaiting_input":               {"awaiting_input", idvbridge.StatusPending, idvbridge.ReasonNone, false, false, false},
		"awaiting_client_input":        {"awaiting_client_input", idvbridge.StatusPending, idvbridge.ReasonNone, false, false, false},
		"awaiting_input expired":       {"awaiting_input", idvbridge.StatusFailed, idvbridge.ReasonExpired, false, true, true},
		"awaiting_client_input exp.":   {"awaiting_client_input", idvbridge.StatusFailed, idvbridge.ReasonExpired, false, true, true},
		"processing past the link":     {"processing", idvbridge.StatusPending, idvbridge.ReasonNone, false, true, false},
		"approved past the link":       {"approved", idvbridge.StatusPassed, idvbridge.ReasonNone, false, true, true},
		"unknown: empty":               {"", idvbridge.StatusFailed, idvbridge.ReasonError, true, false, true},
		"unknown: upper case":          {"APPROVED", idvbridge.StatusFailed, idvbridge.ReasonError, true, false, true},
		"unknown: trailing space":      {"approved ", idvbridge.StatusFailed, idvbridge.ReasonError, true, false, true},
		"unknown: task status":         {"completed", idvbridge.StatusFailed, idvbridge.ReasonError, true, false, true},
		"unknown: future status":       {"approved_with_warnings", idvbridge.StatusFailed, idvbridge.ReasonError, true, false, true},
		"unknown: cancelled":           {"cancelled", idvbridge.StatusFailed, idvbridge.ReasonError, true, false, true},
		"unknown: clear (classic api)": {"clear", idvbridge.StatusFailed, idvbridge.ReasonError, true, false, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			user := "u-mapping"
			ref := e.enroll(t, user)
			c, err := e.p.Start(t.Context(), idvbridge.StartRequest{Journey: idvbridge.JourneyStepUp, UserID: user, Reference: &ref, CeremonyID: "c-map"})
			if err != nil {
				t.Fatal(err)
			}
			if tc.afterLink {
				e.clock.Advance(linkTTL + time.Second)
			}
			if err := e.fake.SetStatus(c.RunID, tc.status); err != nil {
				t.Fatal(err)
			}
			for _, via := range []string{"fetch", "webhook"} {
				var o idvbridge.Outcome
				if via == "fetch" {
					o, err = e.p.Fetch(t.Context(), c.RunID)
				} else {
					h, b := e.webhook(t, c.RunID)
					o, err = e.p.ParseWebhook(t.Context(), h, b)
				}
				if err != nil {
					t.Fatalf("%s error = %v, want nil", via, err)
				}
				if o.Status != tc.status2 || o.Reason != tc.reason {
					t.Errorf("%s: %q → %q, %q, want %q, %q", via, tc.status, o.Status, o.Reason, tc.status2, tc.reason)
				}
				if !o.CompletedAt.IsZero() != tc.completeAt {
					t.Errorf("%s: CompletedAt = %v, want set: %v", via, o.CompletedAt, tc.completeAt)
				}
				if tc.reason == idvbridge.ReasonExpired && !o.CompletedAt.Equal(c.ExpiresAt) {
					t.Errorf("%s: expired CompletedAt = %v, want the link's expiry %v", via, o.CompletedAt, c.ExpiresAt)
				}
				if o.Status == idvbridge.StatusPassed && (o.Reference == nil || *o.Reference != ref) {
					t.Errorf("%s: passed without naming the reference: %v", via, o.Reference)
				}
			}
			if logged := strings.Contains(e.logs.String(), "unknown workflow run status"); logged != tc.logged {
				t.Errorf("unknown-status log present = %v, want %v", logged, tc.logged)
			}
		})
	}
}

func TestStartRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ref := e.enroll(t, "user-7")

	req := idvbridge.StartRequest{
		Journey: idvbridge.JourneyRecovery, UserID: "user-7", Reference: &ref, CeremonyID: "cer-42",
		ReturnURL: "https://bank.example/idv/done?x=1", Locale: "pt-BR",
	}
	c, err := e.p.Start(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	run, ok := e.fake.WorkflowRun(c.RunID)
	if !ok {
		t.Fatalf("the fake has no run %s", c.RunID)
	}
	parts := strings.Split(ref.ID, ".")
	wantExpiry := e.clock.Now().Add(linkTTL)
	want := onfidofake.WorkflowRun{
		ID: c.RunID, WorkflowID: wfRecovery, ApplicantID: parts[0], CustomerUserID: "user-7", Status: "awaiting_input",
		Tags:         []string{"biometric-passkey", "journey:recovery", "ceremony:cer-42", "reference:" + parts[1]},
		SDKToken:     c.SDKToken,
		LinkURL:      c.CaptureURL,
		CompletedURL: req.ReturnURL, ExpiredURL: req.ReturnURL, ExpiresAt: wantExpiry, Language: "pt_PT",
		CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now(),
	}
	if diff := cmp.Diff(want, run, cmp.AllowUnexported(onfidofake.WorkflowRun{}), cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".href"
	}, cmp.Ignore())); diff != "" {
		t.Errorf("run at the fake (-want +got):\n%s", diff)
	}
	wantCheck := idvbridge.Check{
		Provider: "onfido", RunID: run.ID, Journey: req.Journey, UserID: req.UserID, CeremonyID: req.CeremonyID,
		CaptureURL: run.LinkURL, SDKToken: run.SDKToken, ExpiresAt: wantExpiry,
	}
	if diff := cmp.Diff(wantCheck, c); diff != "" {
		t.Errorf("check (-want +got):\n%s", diff)
	}
	if c.CaptureURL == "" || c.SDKToken == "" {
		t.Errorf("check = %+v, want a capture URL and an SDK token", c)
	}

	// An enrollment gets an applicant of its own; an unsupported language
	// is left to the provider's default.
	c2, err := e.p.Start(t.Context(), idvbridge.StartRequest{Journey: idvbridge.JourneyEnrollment, UserID: "user-8", CeremonyID: "c", Locale: "ja-JP"})
	if err != nil {
		t.Fatal(err)
	}
	run2, _ := e.fake.WorkflowRun(c2.RunID)
	if run2.ApplicantID == parts[0] || run2.Language != "" || run2.WorkflowID != wfEnroll {
		t.Errorf("enrollment run = applicant %s language %q workflow %s, want a new applicant, no language, the enrollment workflow",
			run2.ApplicantID, run2.Language, run2.WorkflowID)
	}
}

func TestStartRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ref := e.enroll(t, "owner")
	parts := strings.Split(ref.ID, ".")
	tamper := func(id string) *idvbridge.Reference { return &idvbridge.Reference{Provider: "onfido", ID: id} }
	tests := map[string]struct {
		req  idvbridge.StartRequest
		want error
	}{
		"another user's reference": {idvbridge.StartRequest{Journey: idvbridge.JourneyStepUp, UserID: "intruder", Reference: &ref, CeremonyID: "c"}, idvbridge.ErrInvalid},
		"reference with two parts": {idvbridge.StartRequest{Journey: idvbridge.JourneyStepUp, UserID: "owner", Reference: tamper(parts[0] + "." + parts[1]), CeremonyID: "c"}, idvbridge.ErrInvalid},
		"reference with a bad uuid": {idvbridge.StartRequest{Journey: idvbridge.JourneyStepUp, UserID: "owner",
			Reference: tamper("x" + ref.ID[1:]), CeremonyID: "c"}, idvbridge.ErrInvalid},
		"reference user padded": {idvbridge.StartRequest{Journey: idvbridge.JourneyStepUp, UserID: "owner",
			Reference: tamper(ref.ID + "="), CeremonyID: "c"}, idvbridge.ErrInvalid},
		"reference with a path": {idvbridge.StartRequest{Journey: idvbridge.JourneyStepUp, UserID: "owner",
			Reference: tamper(parts[0] + "." + parts[1] + ".Li4vYXBwbGljYW50cw"), CeremonyID: "c"}, idvbridge.ErrInvalid},
		"ceremony id too long for a tag": {idvbridge.StartRequest{Journey: idvbridge.JourneyEnrollment, UserID: "u",
			CeremonyID: strings.Repeat("c", onfido.MaxCeremonyIDLen+1)}, idvbridge.ErrInvalid},
		"relative return URL": {idvbridge.StartRequest{Journey: idvbridge.JourneyEnrollment, UserID: "u", CeremonyID: "c", ReturnURL: "/done"}, idvbridge.ErrInvalid},
		"javascript return URL": {idvbridge.StartRequest{Journey: idvbridge.JourneyEnrollment, UserID: "u", CeremonyID: "c",
			ReturnURL: "javascript:alert(1)"}, idvbridge.ErrInvalid},
	}
	for name, tc := range tests {
		before := len(e.fake.Requests())
		c, err := e.p.Start(t.Context(), tc.req)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: Start error = %v, want %v", name, err, tc.want)
		}
		if c != (idvbridge.Check{}) {
			t.Errorf("%s: check = %+v, want zero", name, c)
		}
		if after := len(e.fake.Requests()); after != before {
			t.Errorf("%s: %d requests, want none", name, after-before)
		}
	}
	if _, err := e.p.Start(t.Context(), idvbridge.StartRequest{Journey: idvbridge.JourneyEnrollment, UserID: "u",
		CeremonyID: strings.Repeat("c", onfido.MaxCeremonyIDLen)}); err != nil {
		t.Errorf("Start with the longest ceremony id error = %v, want nil", err)
	}

	// A token an operator declined is no reference any more.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPut,
		e.srv.URL+"/v3.6/biometric_tokens/owner/"+parts[1], strings.NewReader(`{"status":"declined"}`))
	req.Header.Set("Authorization", "Token token="+apiToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, err := e.p.Start(t.Context(), idvbridge.StartRequest{Journey: idvbridge.JourneyStepUp, UserID: "owner", Reference: &ref, CeremonyID: "c"}); !errors.Is(err, idvbridge.ErrNotFound) {
		t.Errorf("Start against a declined token error = %v, want ErrNotFound", err)
	}
}

func TestFetchRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if _, err := e.p.Fetch(t.Context(), ""); !errors.Is(err, idvbridge.ErrInvalid) {
		t.Errorf("Fetch(\"\") error = %v, want ErrInvalid", err)
	}
	for _, id := range []string{"not-a-run", "../applicants", vectorRun + "/tasks"} {
		if _, err := e.p.Fetch(t.Context(), id); !errors.Is(err, idvbridge.ErrNotFound) {
			t.Errorf("Fetch(%q) error = %v, want ErrNotFound", id, err)
		}
	}
	if n := len(e.fake.Requests()); n != 0 {
		t.Errorf("%d requests, want none for ids that cannot name a run", n)
	}
}

func TestRunOfAnotherWorkflowIsNotOurs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, err := e.p.Start(t.Context(), idvbridge.StartRequest{Journey: idvbridge.JourneyEnrollment, UserID: "u", CeremonyID: "c"})
	if err != nil {
		t.Fatal(err)
	}
	e.complete(t, c.RunID, idvtest.ResultPass)
	// Another deployment's provider, with other workflows, on the same account.
	other, err := onfido.New(onfido.Config{
		APIToken: apiToken, BaseURL: e.cfg.BaseURL, WebhookToken: webhookToken, HTTPClient: e.client, Now: e.clock.Now,
		Workflows: onfido.Workflows{Enrollment: "4d9fce72-ad6e-4a5f-9e95-516273849505", StepUp: wfEnroll, Recovery: wfRecovery},
	})
	if err != nil {
		t.Fatal(err)
	}
	// To it the run is a step-up workflow's… except it has no reference
	// tag and its journey tag says enrollment: never a pass.
	o, err := other.Fetch(t.Context(), c.RunID)
	if err != nil || o.Status == idvbridge.StatusPassed {
		t.Errorf("Fetch by a provider that sees the run's workflow as step-up = %+v, %v, want not passed", o, err)
	}
	third, err := onfido.New(onfido.Config{
		APIToken: apiToken, BaseURL: e.cfg.BaseURL, WebhookToken: webhookToken, HTTPClient: e.client, Now: e.clock.Now,
		Workflows: onfido.Workflows{Enrollment: "4d9fce72-ad6e-4a5f-9e95-516273849505", StepUp: wfStepUp, Recovery: wfRecovery},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := third.Fetch(t.Context(), c.RunID); !errors.Is(err, idvbridge.ErrNotFound) {
		t.Errorf("Fetch of a run of an unconfigured workflow error = %v, want ErrNotFound", err)
	}
}

func TestEnrollmentWaitsForItsToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, err := e.p.Start(t.Context(), idvbridge.StartRequest{Journey: idvbridge.JourneyEnrollment, UserID: "slow", CeremonyID: "c"})
	if err != nil {
		t.Fatal(err)
	}
	// Approved, but the token is not (yet) stored.
	if err := e.fake.SetStatus(c.RunID, "approved"); err != nil {
		t.Fatal(err)
	}
	o, err := e.p.Fetch(t.Context(), c.RunID)
	if err != nil || o.Status != idvbridge.StatusPending || o.Reference != nil {
		t.Fatalf("Fetch = %+v, %v, want pending without a reference", o, err)
	}
	e.clock.Advance(11 * time.Minute)
	o, err = e.p.Fetch(t.Context(), c.RunID)
	if err != nil || o.Status != idvbridge.StatusFailed || o.Reason != idvbridge.ReasonError {
		t.Fatalf("Fetch after the wait = %+v, %v, want failed/error", o, err)
	}
	if !strings.Contains(e.logs.String(), "no biometric token was stored") {
		t.Error("no log says the enrollment workflow stored no token")
	}
}

func TestDeleteReference(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ref := e.enroll(t, "leaver")
	if err := e.p.DeleteReference(t.Context(), ref); err != nil {
		t.Fatalf("DeleteReference error = %v, want nil", err)
	}
	if toks := e.fake.Tokens("leaver"); len(toks) != 0 {
		t.Errorf("tokens after delete = %+v, want none", toks)
	}
	if err := e.p.DeleteReference(t.Context(), ref); err != nil {
		t.Errorf("DeleteReference again error = %v, want nil", err)
	}
	e.fake.InjectFaults(onfidofake.Fault{Status: 500}, onfidofake.Fault{Status: 500}, onfidofake.Fault{Status: 500}, onfidofake.Fault{Status: 500})
	if err := e.p.DeleteReference(t.Context(), ref); !errors.Is(err, idvbridge.ErrUnavailable) {
		t.Errorf("DeleteReference during an outage error = %v, want ErrUnavailable", err)
	}
	if err := e.p.DeleteReference(t.Context(), idvbridge.Reference{Provider: "onfido", ID: "nope"}); !errors.Is(err, idvbridge.ErrInvalid) {
		t.Errorf("DeleteReference(malformed) error = %v, want ErrInvalid", err)
	}
}

func TestSecretsNeverLogged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ref := e.enroll(t, "secretive")
	e.p.Start(t.Context(), idvbridge.StartRequest{Journey: idvbridge.JourneyStepUp, UserID: "secretive", Reference: &ref, CeremonyID: "c"}) //nolint:errcheck // only the logs matter
	e.p.ParseWebhook(t.Context(), signed(vectorSignature), []byte(vectorBody))                                                              //nolint:errcheck
	e.p.ParseWebhook(t.Context(), signed(vectorInvalidSignature), []byte(vectorBody))                                                       //nolint:errcheck
	e.fake.InjectFaults(onfidofake.Fault{Status: 503}, onfidofake.Fault{Status: 429})
	e.p.Fetch(t.Context(), vectorRun) //nolint:errcheck

	// A provider with a wrong token: the 401 and its error.
	wrong := "api_sandbox.wrong-token-that-must-not-leak"
	bad, err := onfido.New(func() onfido.Config { c := e.cfg; c.APIToken = wrong; return c }())
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.Fetch(t.Context(), vectorRun)
	if !errors.Is(err, idvbridge.ErrRejected) {
		t.Errorf("Fetch with a wrong token error = %v, want ErrRejected", err)
	}
	slog.New(slog.NewJSONHandler(e.logs, nil)).Info("config", "config", e.cfg)

	logs := e.logs.String() + err.Error()
	for _, secret := range []string{apiToken, webhookToken, wrong, vectorSignature} {
		if strings.Contains(logs, secret) {
			t.Errorf("a secret reached the logs or errors: %q", secret)
		}
	}
	if strings.Contains(logs, "secretive") {
		t.Error("a customer user id reached the logs")
	}
	if !strings.Contains(logs, "[redacted]") {
		t.Error("the logged config shows no redaction")
	}
}

// FuzzParseWebhook: never panics; a bad signature never yields an outcome
// (or a request); a signed body yields an outcome only for a run.
func FuzzParseWebhook(f *testing.F) {
	f.Add([]byte(vectorBody), vectorSignature, false)
	f.Add([]byte(vectorBody), vectorInvalidSignature, false)
	f.Add([]byte(vectorBody), "", true)
	f.Add([]byte(`{"payload":{"resource_type":"workflow_run","action":"workflow_run.completed","object":{"id":"`+vectorRun+`"},"resource":{"id":"`+vectorRun+`","status":"approved","workflow_id":"`+wfStepUp+`","applicant_id":"`+vectorRun+`","customer_user_id":"u","tags":["reference:`+vectorRun+`"],"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}}}`), "", true)
	f.Add([]byte(`{"payload":{"resource_type":"workflow_task","object":{"workflow_run_id":"`+vectorRun+`"}}}`), "", true)
	f.Add([]byte(`{"payload":null}`), "", true)
	f.Add([]byte(`[`), "00", false)
	e := newEnv(f, func(c *onfido.Config) { c.MaxRetries = onfido.NoRetries; c.Logger = slog.New(slog.DiscardHandler) })
	f.Fuzz(func(t *testing.T, body []byte, sig string, signIt bool) {
		valid := sign(body)
		if signIt {
			sig = valid
		}
		before := len(e.fake.Requests())
		o, err := e.p.ParseWebhook(context.Background(), signed(sig), body)
		sigBytes, decErr := hex.DecodeString(strings.TrimSpace(sig))
		verified := decErr == nil && hmac.Equal(sigBytes, mustHex(valid)) && len(body) <= onfido.MaxWebhookBytes
		if !verified {
			if !errors.Is(err, idvbridge.ErrBadSignature) || o != (idvbridge.Outcome{}) {
				t.Fatalf("bad signature: ParseWebhook = %+v, %v, want ErrBadSignature and no outcome", o, err)
			}
			if after := len(e.fake.Requests()); after != before {
				t.Fatalf("bad signature caused %d requests", after-before)
			}
			return
		}
		if errors.Is(err, idvbridge.ErrBadSignature) {
			t.Fatalf("valid signature: error = %v", err)
		}
		if err == nil && (o.RunID == "" || o.Provider != "onfido" || o.Status == "") {
			t.Fatalf("outcome without run, provider or status: %+v", o)
		}
		if err != nil && o != (idvbridge.Outcome{}) {
			t.Fatalf("error %v with outcome %+v", err, o)
		}
	})
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
