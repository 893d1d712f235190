package hydra_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/integration/hydra"
)

// observed is one Config.ObserveRequest call.
type observed struct {
	route, method string
	status        int
}

// TestObserveRequestReportsTheRouteNeverThePath: every request is reported
// once, under the pattern of the route that served it or "other", and
// nothing from the raw path (ids, tokens) reaches the hook.
func TestObserveRequestReportsTheRouteNeverThePath(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		method, target string
		want           observed
	}{
		"health":              {method: "GET", target: "/healthz", want: observed{"/healthz", "GET", 200}},
		"an approval by id":   {method: "GET", target: "/api/v1/approvals/SECRET-ID", want: observed{"/api/v1/approvals/{id}", "GET", 401}},
		"an API route":        {method: "GET", target: "/api/v1/login/begin", want: observed{"/api/v1/login/begin", "GET", 405}},
		"a static file":       {method: "GET", target: "/static/style.css", want: observed{"/static/", "GET", 200}},
		"an unknown page":     {method: "GET", target: "/SECRET-TOKEN/page", want: observed{hydra.RouteOther, "GET", 404}},
		"an unknown API path": {method: "POST", target: "/api/v1/SECRET-TOKEN", want: observed{hydra.RouteOther, "POST", 404}},
		"a page, wrong method": {method: "DELETE", target: "/login?login_challenge=SECRET-CHALLENGE",
			want: observed{hydra.RouteOther, "DELETE", 404}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var (
				mu  sync.Mutex
				got []observed
			)
			h, _ := newServer(t, &fakeAuth{}, func(c *hydra.Config) {
				c.ObserveRequest = func(route, method string, status int, _ time.Duration) {
					mu.Lock()
					defer mu.Unlock()
					got = append(got, observed{route, method, status})
				}
			})
			serve(h, tc.method, tc.target, "", "")
			mu.Lock()
			defer mu.Unlock()
			if len(got) != 1 || got[0] != tc.want {
				t.Fatalf("%s %s: got observations %+v, want [%+v]", tc.method, tc.target, got, tc.want)
			}
			if s := fmt.Sprint(got); strings.Contains(s, "SECRET") {
				t.Errorf("%s %s: the observation %s carries part of the raw URL", tc.method, tc.target, s)
			}
		})
	}
}

// TestObserveRequestIsOptional: without the hook the provider serves as before.
func TestObserveRequestIsOptional(t *testing.T) {
	t.Parallel()
	h, _ := newServer(t, &fakeAuth{})
	if w := serve(h, "GET", "/healthz", "", ""); w.Code != http.StatusOK {
		t.Errorf("GET /healthz without ObserveRequest: got %d, want 200", w.Code)
	}
}
