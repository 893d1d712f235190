package hydra_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/integration/hydra"
)

func TestEveryResponseCarriesSecurityHeaders(t *testing.T) {
	t.Parallel()
	auth := acceptingAuth()
	auth.capabilities = func(context.Context) (authenticator.Capabilities, error) { return authenticator.Capabilities{}, nil }
	auth.decideLogin = func(context.Context, authenticator.LoginRequest) (authenticator.LoginDecision, error) {
		return authenticator.LoginDecision{Action: "authenticate"}, nil
	}
	hy := enrollingHydra(t)
	h := newProvider(t, hy, auth)
	requests := []struct{ method, target, contentType, body string }{
		{http.MethodGet, "/login?login_challenge=c1", "", ""},
		{http.MethodGet, "/login", "", ""},
		{http.MethodGet, "/enroll?token=t", "", ""},
		{http.MethodGet, "/verify", "", ""},
		{http.MethodPost, "/verify", "application/x-www-form-urlencoded", "action=cancel"},
		{http.MethodGet, "/recover?login_challenge=c1", "", ""},
		{http.MethodPost, "/api/v1/identity-check/continue", "application/json", `{"token":"jt-1"}`},
		{http.MethodPost, "/api/v1/recovery/begin", "application/json", `{"login_challenge":"c1","username":"alice"}`},
		{http.MethodGet, "/api/v1/approvals/apr-1", "", ""},
		{http.MethodGet, "/logout?logout_challenge=l1", "", ""},
		{http.MethodPost, "/api/v1/login/begin", "application/json", `{"login_challenge":"c1"}`},
		{http.MethodPost, "/api/v1/login/begin", "text/plain", `{}`},
		{http.MethodGet, "/api/v1/enrollments", "", ""},
		{http.MethodGet, "/api/openapi.yaml", "", ""},
		{http.MethodPost, "/idv/webhooks", "application/json", `{}`},
		{http.MethodGet, "/idv/webhooks", "", ""},
		{http.MethodGet, "/static/passkey.js", "", ""},
		{http.MethodGet, "/healthz", "", ""},
		{http.MethodGet, "/readyz", "", ""},
		{http.MethodGet, "/nowhere", "", ""},
	}
	want := map[string]string{
		"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
			"frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
	}
	for _, rq := range requests {
		w := serve(h, rq.method, rq.target, rq.contentType, rq.body)
		for name, value := range want {
			if got := w.Header().Get(name); got != value {
				t.Errorf("%s %s (status %d): %s = %q, want %q", rq.method, rq.target, w.Code, name, got, value)
			}
		}
		cache := w.Header().Get("Cache-Control")
		if strings.HasPrefix(rq.target, "/static/") != (cache != "no-store") {
			t.Errorf("%s %s: Cache-Control = %q, want no-store on everything but static files", rq.method, rq.target, cache)
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		capErr     error
		notReady   bool
		wantStatus int
		wantBody   map[string]string
	}{
		"ready": {wantStatus: 200, wantBody: map[string]string{"status": "ready"}},
		"plugin down": {capErr: authenticator.Errorf(authenticator.CodeUnavailable, "plugin exited"), wantStatus: 503,
			wantBody: map[string]string{"status": "unavailable", "reason": "authenticator plugin is not ready"}},
		"hydra not ready": {notReady: true, wantStatus: 503,
			wantBody: map[string]string{"status": "unavailable", "reason": "hydra admin API is not ready"}},
		"both": {capErr: errors.New("boom"), notReady: true, wantStatus: 503,
			wantBody: map[string]string{"status": "unavailable", "reason": "authenticator plugin is not ready; hydra admin API is not ready"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			auth := &fakeAuth{capabilities: func(context.Context) (authenticator.Capabilities, error) {
				return authenticator.Capabilities{RPID: "localhost"}, tc.capErr
			}}
			h, hy := newServer(t, auth)
			hy.set(func(f *fakeHydra) { f.notReady = tc.notReady })

			if w := serve(h, http.MethodGet, "/healthz", "", ""); w.Code != http.StatusOK || decodeBody[map[string]string](t, w)["status"] != "ok" {
				t.Errorf("healthz: status %d, body %s; want 200 ok", w.Code, w.Body)
			}
			w := serve(h, http.MethodGet, "/readyz", "", "")
			if w.Code != tc.wantStatus {
				t.Errorf("readyz status = %d, want %d", w.Code, tc.wantStatus)
			}
			got := decodeBody[map[string]string](t, w)
			if len(got) != len(tc.wantBody) || got["status"] != tc.wantBody["status"] || got["reason"] != tc.wantBody["reason"] {
				t.Errorf("readyz body = %v, want %v", got, tc.wantBody)
			}
		})
	}
}

// The OpenAPI document parses, describes exactly the JSON endpoints the
// server has, and every $ref in it resolves.
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	h, _ := newServer(t, &fakeAuth{})
	w := serve(h, http.MethodGet, "/api/openapi.yaml", "", "")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/yaml" {
		t.Fatalf("status %d, Content-Type %q; want 200 application/yaml", w.Code, w.Header().Get("Content-Type"))
	}
	var doc map[string]any
	if err := yaml.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", doc["openapi"])
	}
	paths, _ := doc["paths"].(map[string]any)
	var got []string
	for p := range paths {
		got = append(got, p)
	}
	slices.Sort(got)
	want := []string{"/api/v1/approvals/{id}", "/api/v1/enroll/begin", "/api/v1/enroll/finish", "/api/v1/enrollments",
		"/api/v1/identity-check/continue", "/api/v1/login/begin", "/api/v1/login/finish", "/api/v1/recovery/begin",
		"/healthz", "/idv/webhooks", "/readyz"}
	if !slices.Equal(got, want) {
		t.Errorf("documented paths = %v, want %v", got, want)
	}
	for _, ep := range jsonEndpoints {
		if op, _ := paths[ep.path].(map[string]any); op["post"] == nil {
			t.Errorf("%s: no post operation documented", ep.path)
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok && !resolves(doc, ref) {
				t.Errorf("$ref %q does not resolve", ref)
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
}

// resolves reports whether a local JSON pointer ref ("#/a/b") names a node of doc.
func resolves(doc map[string]any, ref string) bool {
	path, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return false
	}
	var node any = doc
	for _, key := range strings.Split(path, "/") {
		m, ok := node.(map[string]any)
		if !ok {
			return false
		}
		if node, ok = m[key]; !ok {
			return false
		}
	}
	return true
}

func TestStaticAssetsAndUnknownPaths(t *testing.T) {
	t.Parallel()
	h, _ := newServer(t, &fakeAuth{})
	tests := map[string]struct {
		target, wantType string
		wantStatus       int
		wantBody         []string
	}{
		"script": {target: "/static/passkey.js", wantStatus: 200, wantType: "text/javascript; charset=utf-8", wantBody: []string{
			"window.PublicKeyCredential", "parseRequestOptionsFromJSON", "parseCreationOptionsFromJSON", "toJSON",
			"Sign-in was cancelled or timed out. Try again.", "InvalidStateError", "location.assign",
			"Biometric reference: pending — identity check not set up yet", "This browser has no passkey support",
			"api/v1/identity-check/continue", "api/v1/recovery/begin", "api/v1/enroll/finish", "maxDelay"}},
		"styles":      {target: "/static/style.css", wantStatus: 200, wantType: "text/css; charset=utf-8", wantBody: []string{":focus-visible"}},
		"no asset":    {target: "/static/missing.js", wantStatus: 404, wantType: "text/plain; charset=utf-8"},
		"no listing":  {target: "/static/", wantStatus: 404, wantType: "text/plain; charset=utf-8"},
		"no page":     {target: "/admin", wantStatus: 404, wantType: "text/html; charset=utf-8", wantBody: []string{`id="error-message"`, "There is no page at this address."}},
		"no endpoint": {target: "/api/v2/login", wantStatus: 404, wantType: "application/json", wantBody: []string{`"error":"not_found"`}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := serve(h, http.MethodGet, tc.target, "", "")
			if w.Code != tc.wantStatus || w.Header().Get("Content-Type") != tc.wantType {
				t.Errorf("status %d, Content-Type %q; want %d, %q", w.Code, w.Header().Get("Content-Type"), tc.wantStatus, tc.wantType)
			}
			for _, s := range tc.wantBody {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("body lacks %q", s)
				}
			}
		})
	}
}

// In sandbox mode every page says so (issue 3: a visible SANDBOX marker).
func TestPagesCarryTheSandboxBanner(t *testing.T) {
	t.Parallel()
	for _, sandbox := range []bool{false, true} {
		t.Run(fmt.Sprint("sandbox=", sandbox), func(t *testing.T) {
			t.Parallel()
			h, _ := newServer(t, &fakeAuth{}, func(c *hydra.Config) { c.Sandbox = sandbox })
			for _, path := range []string{"/login", "/verify", "/enroll"} {
				w := serve(h, http.MethodGet, path, "", "")
				if got := strings.Contains(w.Body.String(), `id="sandbox-banner"`); got != sandbox {
					t.Errorf("GET %s (status %d): banner shown %v, want %v", path, w.Code, got, sandbox)
				}
			}
		})
	}
}
