package hydra_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

const webhookPath = "/idv/webhooks"

// The exact body bytes and only the allow-listed headers reach the plugin.
func TestIDVWebhookForwardsRawBodyAndAllowListedHeaders(t *testing.T) {
	t.Parallel()
	var (
		mu      sync.Mutex
		gotHdr  http.Header
		gotBody []byte
	)
	auth := &fakeAuth{applyIDVWebhook: func(_ context.Context, h http.Header, b []byte) (authenticator.IDVCheck, error) {
		mu.Lock()
		defer mu.Unlock()
		gotHdr, gotBody = h, b
		return authenticator.IDVCheck{Provider: "onfido", RunID: "run-1", Status: authenticator.CheckPending}, nil
	}}
	h, _ := newServer(t, auth)
	// Not valid JSON on purpose, with odd whitespace: the host must not decode or re-encode it.
	body := []byte("{\"payload\": {\"resource_type\":\"workflow_run\",  \"object\":{\"id\":\"run-1\"}}\n \x00 trailing")
	r := httptest.NewRequest(http.MethodPost, webhookPath, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-SHA2-Signature", "abc123")
	r.Header.Set("Cookie", "session=secret")
	r.Header.Set("Authorization", "Bearer secret")
	r.Header.Set("X-Forwarded-For", "10.0.0.1")
	r.Header.Set("User-Agent", "vendor")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)

	if w.Code != http.StatusOK || w.Body.String() != "{\"status\":\"accepted\"}\n" {
		t.Fatalf("status %d, body %q; want 200 {\"status\":\"accepted\"}", w.Code, w.Body)
	}
	if got := w.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if !bytes.Equal(gotBody, body) {
		t.Errorf("plugin got body %q, want %q", gotBody, body)
	}
	want := http.Header{"Content-Type": {"application/json"}, "X-Sha2-Signature": {"abc123"}}
	if len(gotHdr) != len(want) {
		t.Errorf("plugin got headers %v, want exactly %v", gotHdr, want)
	}
	for name, v := range want {
		if got := gotHdr.Values(name); len(got) != 1 || got[0] != v[0] {
			t.Errorf("plugin got %s = %q, want %q", name, got, v)
		}
	}
	for _, name := range []string{"Cookie", "Authorization", "X-Forwarded-For", "User-Agent"} {
		if gotHdr.Get(name) != "" {
			t.Errorf("plugin got %s; it must be dropped", name)
		}
	}
}

// A body over 1 MiB is refused with 413 and the plugin is not called; one
// of exactly 1 MiB is passed on.
func TestIDVWebhookLimitsTheBody(t *testing.T) {
	t.Parallel()
	auth := &fakeAuth{applyIDVWebhook: func(_ context.Context, _ http.Header, b []byte) (authenticator.IDVCheck, error) {
		return authenticator.IDVCheck{}, nil
	}}
	h, _ := newServer(t, auth)

	w := serve(h, http.MethodPost, webhookPath, "application/json", strings.Repeat("a", 1<<20+1))
	if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), `"error":"payload_too_large"`) {
		t.Errorf("oversized: status %d, body %s; want 413 payload_too_large", w.Code, w.Body)
	}
	if n := auth.calls.Load(); n != 0 {
		t.Errorf("oversized: plugin called %d times, want 0", n)
	}

	w = serve(h, http.MethodPost, webhookPath, "application/json", strings.Repeat("a", 1<<20))
	if w.Code != http.StatusOK {
		t.Errorf("exactly 1 MiB: status %d, want 200", w.Code)
	}
	if n := auth.calls.Load(); n != 1 {
		t.Errorf("exactly 1 MiB: plugin called %d times, want 1", n)
	}
}

// Each plugin outcome maps to the documented status and body.
func TestIDVWebhookAnswers(t *testing.T) {
	t.Parallel()
	const secret = "SECRET-BODY-MARKER"
	tests := map[string]struct {
		err            error
		wantStatus     int
		wantBody       map[string]string
		wantRetryAfter bool
	}{
		"applied": {err: nil, wantStatus: 200, wantBody: map[string]string{"status": "accepted"}},
		"not ours": {err: authenticator.Errorf(authenticator.CodeNotFound, "check onfido/run-x"),
			wantStatus: 200, wantBody: map[string]string{"status": "ignored"}},
		"bad signature": {err: authenticator.Errorf(authenticator.CodeInvalidArgument, "signature mismatch"),
			wantStatus: 400, wantBody: map[string]string{"error": "invalid_argument", "message": authenticator.ErrInvalidArgument.Message}},
		"specific message is not echoed": {err: authenticator.UserError(authenticator.CodeInvalidArgument, "payload "+secret, nil),
			wantStatus: 400, wantBody: map[string]string{"error": "invalid_argument", "message": authenticator.ErrInvalidArgument.Message}},
		"unavailable": {err: authenticator.Errorf(authenticator.CodeUnavailable, "store down"),
			wantStatus: 503, wantBody: map[string]string{"error": "unavailable", "message": authenticator.ErrUnavailable.Message}, wantRetryAfter: true},
		"internal": {err: errors.New("boom"),
			wantStatus: 500, wantBody: map[string]string{"error": "internal", "message": authenticator.ErrInternal.Message}},
		"other code": {err: authenticator.Errorf(authenticator.CodeConflict, "x"),
			wantStatus: 500, wantBody: map[string]string{"error": "internal", "message": authenticator.ErrInternal.Message}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			auth := &fakeAuth{applyIDVWebhook: func(context.Context, http.Header, []byte) (authenticator.IDVCheck, error) {
				if tc.err != nil {
					return authenticator.IDVCheck{}, tc.err
				}
				return authenticator.IDVCheck{Provider: "onfido", RunID: "run-1", Status: authenticator.CheckPassed}, nil
			}}
			h, _ := newServer(t, auth)
			w := serve(h, http.MethodPost, webhookPath, "application/json", `{"payload":"`+secret+`"}`,
				"X-SHA2-Signature", "00")
			if w.Code != tc.wantStatus {
				t.Errorf("status %d, want %d (body %s)", w.Code, tc.wantStatus, w.Body)
			}
			var got map[string]string
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %q is not a JSON object of strings: %v", w.Body, err)
			}
			if len(got) != len(tc.wantBody) {
				t.Errorf("body = %v, want %v", got, tc.wantBody)
			}
			for k, v := range tc.wantBody {
				if got[k] != v {
					t.Errorf("body[%q] = %q, want %q", k, got[k], v)
				}
			}
			if strings.Contains(w.Body.String(), secret) {
				t.Errorf("the answer echoes the request: %s", w.Body)
			}
			if ra := w.Header().Get("Retry-After"); (ra != "") != tc.wantRetryAfter {
				t.Errorf("Retry-After = %q, want present: %v", ra, tc.wantRetryAfter)
			}
			if n := auth.calls.Load(); n != 1 {
				t.Errorf("plugin called %d times, want 1", n)
			}
		})
	}
}

// Only POST is taken; every answer carries the security headers.
func TestIDVWebhookMethodsAndHeaders(t *testing.T) {
	t.Parallel()
	auth := &fakeAuth{applyIDVWebhook: func(context.Context, http.Header, []byte) (authenticator.IDVCheck, error) {
		return authenticator.IDVCheck{}, nil
	}}
	h, _ := newServer(t, auth)
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		w := serve(h, method, webhookPath, "", "")
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != http.MethodPost ||
			!strings.Contains(w.Body.String(), `"error":"method_not_allowed"`) {
			t.Errorf("%s: status %d, Allow %q, body %s; want 405, POST, method_not_allowed", method, w.Code, w.Header().Get("Allow"), w.Body)
		}
	}
	if n := auth.calls.Load(); n != 0 {
		t.Errorf("plugin called %d times for non-POST requests, want 0", n)
	}
	want := map[string]string{
		"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
			"frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
		"Cache-Control":          "no-store",
	}
	for _, rq := range []struct{ method, body string }{
		{http.MethodPost, `{}`}, {http.MethodGet, ""}, {http.MethodPost, strings.Repeat("a", 1<<20+1)},
	} {
		w := serve(h, rq.method, webhookPath, "application/json", rq.body)
		for name, value := range want {
			if got := w.Header().Get(name); got != value {
				t.Errorf("%s (status %d): %s = %q, want %q", rq.method, w.Code, name, got, value)
			}
		}
		if w.Header().Get("Set-Cookie") != "" {
			t.Errorf("%s: Set-Cookie sent; the webhook route sets no cookies", rq.method)
		}
	}
}
