package bankapp

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSignupRejectsInvalidForm(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		username, fullName string
		wantText           string
	}{
		"username too short":    {"ab", "Alice Example", "Choose a username of 3 to 32 characters"},
		"username too long":     {strings.Repeat("a", 33), "Alice Example", "Choose a username of 3 to 32 characters"},
		"username upper case":   {"Alice", "Alice Example", "Choose a username of 3 to 32 characters"},
		"username with a space": {"al ice", "Alice Example", "Choose a username of 3 to 32 characters"},
		"username with a slash": {"al/ice", "Alice Example", "Choose a username of 3 to 32 characters"},
		"missing full name":     {"alice", "  ", "Please tell us your full name."},
		"full name too long":    {"alice", strings.Repeat("x", 65), "up to 64 characters"},
		"full name line break":  {"alice", "Alice\nExample", "up to 64 characters"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{})
			res := h.post(t, "/signup", url.Values{
				"csrf":     {h.csrf(t, "/signup")},
				"username": {tc.username},
				"fullname": {tc.fullName},
			})
			wantStatus(t, res, http.StatusBadRequest)
			wantContains(t, res, `id="signup-errors"`, `id="signup-form"`)
			wantText(t, res, tc.wantText)
			if got := len(h.enroll.calls()); got != 0 {
				t.Errorf("enrollment API calls: got %d, want 0", got)
			}
		})
	}
}

func TestSignupRequiresCSRFToken(t *testing.T) {
	t.Parallel()
	tests := map[string]func(t *testing.T, h *harness) url.Values{
		"missing token": func(t *testing.T, h *harness) url.Values {
			h.csrf(t, "/signup") // the browser has the cookie, the form lacks the token
			return url.Values{}
		},
		"wrong token": func(t *testing.T, h *harness) url.Values {
			h.csrf(t, "/signup")
			return url.Values{"csrf": {"forged"}}
		},
		"token without its cookie": func(t *testing.T, h *harness) url.Values {
			token := h.csrf(t, "/signup")
			h.client = newBrowser(t)
			return url.Values{"csrf": {token}}
		},
	}
	for name, form := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, harnessOpts{})
			f := form(t, h)
			f.Set("username", "alice")
			f.Set("fullname", "Alice Example")
			res := h.post(t, "/signup", f)
			wantStatus(t, res, http.StatusForbidden)
			wantText(t, res, "This form has expired")
			if got := len(h.enroll.calls()); got != 0 {
				t.Errorf("enrollment API calls: got %d, want 0", got)
			}
		})
	}
}

var customerID = regexp.MustCompile(`^cust-[0-9a-f]{32}$`)

func TestSignupCallsEnrollmentAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	res := h.post(t, "/signup", url.Values{
		"csrf":     {h.csrf(t, "/signup")},
		"username": {"alice.ex-1_"},
		"fullname": {" Alice Example "},
	})
	wantStatus(t, res, http.StatusSeeOther)
	if got, want := res.Header.Get("Location"), "https://passkey.example/enroll/abc123"; got != want {
		t.Errorf("Location: got %q, want %q", got, want)
	}

	calls := h.enroll.calls()
	if len(calls) != 1 {
		t.Fatalf("enrollment API calls: got %d, want 1", len(calls))
	}
	got := calls[0]
	id, _ := got.Body["external_user_id"].(string)
	if !customerID.MatchString(id) {
		t.Errorf("external_user_id: got %q, want cust-<32 hex digits>", id)
	}
	want := enrollCall{
		Method:        http.MethodPost,
		Path:          "/api/v1/enrollments",
		Authorization: "Bearer " + testEnrollToken,
		ContentType:   "application/json",
		Body: map[string]any{
			"external_user_id": id,
			"username":         "alice.ex-1_",
			"display_name":     "Alice Example",
			"return_url":       h.bank + "/enrolled",
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("enrollment API request (-want +got):\n%s", diff)
	}
	acct, ok := h.app.accounts.get(id)
	if !ok || acct.Username != "alice.ex-1_" || acct.FullName != "Alice Example" {
		t.Errorf("local account %q: got %+v, %t; want alice.ex-1_ / Alice Example", id, acct, ok)
	}

	res = h.get(t, "/enrolled")
	wantStatus(t, res, http.StatusOK)
	wantContains(t, res, `id="signin"`)
	wantText(t, res, "Your passkey is set up — sign in now")
}

func TestSignupShowsEnrollmentAPIError(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.enroll.answer(http.StatusConflict, `{"error":"user_exists","message":"This person already has a passkey. Try signing in."}`)
	form := url.Values{"csrf": {h.csrf(t, "/signup")}, "username": {"alice"}, "fullname": {"Alice Example"}}
	res := h.post(t, "/signup", form)
	wantStatus(t, res, http.StatusBadRequest)
	wantContains(t, res, `value="alice"`)
	wantText(t, res, "This person already has a passkey. Try signing in.")

	// The account was forgotten, so the same username works once the
	// provider agrees.
	h.enroll.answer(0, "")
	res = h.post(t, "/signup", form)
	wantStatus(t, res, http.StatusSeeOther)
}

func TestSignupHidesEnrollmentFailureDetail(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.enroll.answer(http.StatusInternalServerError, "panic: database on fire")
	res := h.post(t, "/signup", url.Values{"csrf": {h.csrf(t, "/signup")}, "username": {"alice"}, "fullname": {"Alice Example"}})
	wantStatus(t, res, http.StatusBadGateway)
	wantText(t, res, "We couldn't set up your passkey right now")
	if strings.Contains(res.Body, "database on fire") {
		t.Errorf("body shows the provider's internal detail:\n%s", res.Body)
	}
}

func TestSignupRefusesTakenUsername(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	form := url.Values{"csrf": {h.csrf(t, "/signup")}, "username": {"alice"}, "fullname": {"Alice Example"}}
	wantStatus(t, h.post(t, "/signup", form), http.StatusSeeOther)
	res := h.post(t, "/signup", form)
	wantStatus(t, res, http.StatusConflict)
	wantText(t, res, "That username is taken.")
	if got := len(h.enroll.calls()); got != 1 {
		t.Errorf("enrollment API calls: got %d, want 1", got)
	}
}
