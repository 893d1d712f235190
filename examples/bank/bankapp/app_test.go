package bankapp

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestNewReportsEveryConfigProblem(t *testing.T) {
	t.Parallel()
	_, err := New(t.Context(), Config{PublicURL: "localhost:8080", Issuer: "http://localhost:4444?x=1", ACR: "a b"})
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("New: got %v, want an error wrapping ErrInvalidConfig", err)
	}
	for _, field := range []string{"PublicURL", "Issuer", "ProviderURL", "ClientID", "ClientSecret", "EnrollClientID", "EnrollClientSecret", "IntrospectionURL", "ACR"} {
		if !strings.Contains(err.Error(), field+":") {
			t.Errorf("New: got %q, want it to name %s", err, field)
		}
	}
}

func TestPages(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		path        string
		status      int
		contentType string
		want        []string
	}{
		"home": {
			path: "/", status: http.StatusOK, contentType: "text/html; charset=utf-8",
			want: []string{`id="open-account"`, `id="signin"`, `href="/static/style.css"`},
		},
		"sign-up form": {
			path: "/signup", status: http.StatusOK, contentType: "text/html; charset=utf-8",
			want: []string{`id="signup-form"`, `id="username"`, `id="fullname"`, `id="signup-submit"`, `name="csrf"`},
		},
		"stylesheet": {
			path: "/static/style.css", status: http.StatusOK, contentType: "text/css; charset=utf-8",
			want: []string{".card"},
		},
		"account without a session": {path: "/account", status: http.StatusSeeOther},
		"unknown page": {
			path: "/nowhere", status: http.StatusNotFound, contentType: "text/html; charset=utf-8",
			want: []string{"We couldn&#39;t find that page"},
		},
	}
	h := newHarness(t, harnessOpts{})
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res := h.do(t, newBrowser(t), http.MethodGet, tc.path, nil)
			wantStatus(t, res, tc.status)
			if got, want := res.Header.Get("Content-Security-Policy"), "default-src 'self'"; got != want {
				t.Errorf("Content-Security-Policy: got %q, want %q", got, want)
			}
			if got := res.Header.Get("Content-Type"); tc.contentType != "" && got != tc.contentType {
				t.Errorf("Content-Type: got %q, want %q", got, tc.contentType)
			}
			wantContains(t, res, tc.want...)
		})
	}
}
