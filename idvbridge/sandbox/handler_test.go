package sandbox_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/idvbridge/sandbox"
)

const capturePath = "/sandbox/idv/capture/"

// serve sends r to the provider's handler and returns the response and its
// body.
func serve(t *testing.T, p *sandbox.Provider, r *http.Request) (*http.Response, string) {
	t.Helper()
	w := httptest.NewRecorder()
	p.Handler().ServeHTTP(w, r)
	res := w.Result()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return res, string(b)
}

func get(t *testing.T, p *sandbox.Provider, path string) (*http.Response, string) {
	t.Helper()
	return serve(t, p, httptest.NewRequest(http.MethodGet, "http://localhost:8081"+path, nil))
}

func post(t *testing.T, p *sandbox.Provider, runID string, form url.Values) (*http.Response, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://localhost:8081"+capturePath+runID, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", "http://localhost:8081")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	return serve(t, p, r)
}

// flipFirst returns tok with its first character changed.
func flipFirst(tok string) string {
	if tok[0] == 'A' {
		return "B" + tok[1:]
	}
	return "A" + tok[1:]
}

// pageOf returns the capture page of a run.
func pageOf(t *testing.T, p *sandbox.Provider, runID string) string {
	t.Helper()
	_, body := get(t, p, capturePath+runID)
	return body
}

// inlineRE finds what a strict CSP would block: script and style elements,
// style attributes and event-handler attributes.
var inlineRE = regexp.MustCompile(`(?i)<script|<style|\sstyle\s*=|\son[a-z]+\s*=|javascript:`)

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrfOf returns the form token on a run's capture page.
func csrfOf(t *testing.T, p *sandbox.Provider, runID string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(pageOf(t, p, runID))
	if m == nil {
		t.Fatal("capture page has no csrf field")
	}
	return m[1]
}

// checkSandboxPage checks what every page must have.
func checkSandboxPage(t *testing.T, res *http.Response, body string) {
	t.Helper()
	if !strings.Contains(body, `id="sandbox-banner"`) || !strings.Contains(body, ">SANDBOX<") {
		t.Errorf("page has no SANDBOX banner:\n%s", body)
	}
	if got := res.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q, want text/html; charset=utf-8", got)
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy = %q, want it to contain %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") || strings.Contains(csp, "script-src") {
		t.Errorf("Content-Security-Policy = %q, want no script and nothing unsafe", csp)
	}
	if bad := inlineRE.FindString(body); bad != "" {
		t.Errorf("page contains %q, want no inline script or style:\n%s", bad, body)
	}
	if got := res.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy = %q, want no-referrer", got)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
}

func TestCapturePage(t *testing.T) {
	t.Parallel()
	p, _ := newProvider(t, nil)
	enr := start(t, p, enrollReq("alice"))
	ref := enroll(t, p, "alice")
	tests := map[string]struct {
		req  idvbridge.StartRequest
		want []string
	}{
		"Enrollment": {enrollReq("bob"), []string{
			"Verify your identity",
			"We&#39;ll take a short video selfie and compare it with your ID document.",
			"photo ID",
		}},
		"StepUp": {stepUpReq(idvbridge.JourneyStepUp, "alice", ref), []string{
			"Confirm it&#39;s you",
			"Look at the camera — we compare you with the person who enrolled.",
		}},
		"Recovery": {stepUpReq(idvbridge.JourneyRecovery, "alice", ref), []string{
			"Recover your account",
			"Look at the camera — we compare you with the person who enrolled.",
		}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := start(t, p, tt.req)
			if !strings.HasPrefix(c.CaptureURL, testBaseURL+"/capture/") {
				t.Fatalf("CaptureURL = %q, want it under %s", c.CaptureURL, testBaseURL)
			}
			u, _ := url.Parse(c.CaptureURL)
			res, body := get(t, p, u.Path)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET capture page: status %d, want 200:\n%s", res.StatusCode, body)
			}
			checkSandboxPage(t, res, body)
			want := append(tt.want,
				"compares nothing",
				`action="/sandbox/idv/capture/`+c.RunID+`"`,
				`href="/sandbox/idv/static/sandbox.css"`,
				`type="hidden" name="csrf" value="`,
				"rp.example",
			)
			for _, id := range []string{"outcome-pass", "outcome-declined", "outcome-review", "outcome-abandoned", "outcome-error", "outcome-expire"} {
				want = append(want, `id="`+id+`"`)
			}
			for _, label := range []string{"Pass", "Declined", "Needs review", "Abandon", "Error", "Let it expire"} {
				want = append(want, `<span class="choice-label">`+label+`</span>`)
			}
			for _, s := range want {
				if !strings.Contains(body, s) {
					t.Errorf("capture page lacks %q", s)
				}
			}
			if strings.Contains(body, `id="reference-warning"`) {
				t.Errorf("capture page warns about the reference, want no warning for an enrolled one")
			}
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://rp.example") {
				t.Errorf("Content-Security-Policy = %q, want form-action to allow the return origin", csp)
			}
		})
	}
	t.Run("TokensDiffer", func(t *testing.T) {
		t.Parallel()
		other := start(t, p, enrollReq("carl"))
		if a, b := csrfOf(t, p, enr.RunID), csrfOf(t, p, other.RunID); a == b || len(a) < 43 {
			t.Errorf("form tokens %q and %q, want distinct 256-bit tokens per run", a, b)
		}
	})
}

func TestCapturePageWarnsAboutAnUnenrolledReference(t *testing.T) {
	t.Parallel()
	p, _ := newProvider(t, nil)
	ref := enroll(t, p, "alice")
	c := start(t, p, stepUpReq(idvbridge.JourneyStepUp, "mallory", ref))
	if body := pageOf(t, p, c.RunID); !strings.Contains(body, `id="reference-warning"`) || !strings.Contains(body, "Pass will be reported as Declined") {
		t.Errorf("capture page for another user's reference has no warning:\n%s", body)
	}
}

func TestSubmitCompletesAndRedirects(t *testing.T) {
	t.Parallel()
	for _, choice := range sandbox.Choices() {
		t.Run(string(choice), func(t *testing.T) {
			t.Parallel()
			p, _ := newProvider(t, nil)
			c := start(t, p, enrollReq("dora"))
			res, body := post(t, p, c.RunID, url.Values{"csrf": {csrfOf(t, p, c.RunID)}, "outcome": {string(choice)}})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("POST status = %d, want 303:\n%s", res.StatusCode, body)
			}
			if got := res.Header.Get("Location"); got != testReturn {
				t.Errorf("Location = %q, want the return URL verbatim, %q", got, testReturn)
			}
			got := fetch(t, p, c.RunID)
			status, reason, _ := choice.Want()
			if got.Status != status || got.Reason != reason {
				t.Errorf("after POST %s: status, reason = %q, %q, want %q, %q", choice, got.Status, got.Reason, status, reason)
			}
		})
	}
}

func TestSubmitWithoutReturnURL(t *testing.T) {
	t.Parallel()
	p, _ := newProvider(t, nil)
	req := enrollReq("eve")
	req.ReturnURL = ""
	c := start(t, p, req)
	res, body := post(t, p, c.RunID, url.Values{"csrf": {csrfOf(t, p, c.RunID)}, "outcome": {"declined"}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST status = %d, want 200:\n%s", res.StatusCode, body)
	}
	checkSandboxPage(t, res, body)
	if !strings.Contains(body, `<strong id="finished-result">Declined</strong>`) || !strings.Contains(body, "close this window") {
		t.Errorf("finished page does not show the result:\n%s", body)
	}
}

func TestSubmitRefused(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		form   func(token string) url.Values
		edit   func(r *http.Request)
		status int
	}{
		"MissingToken":   {func(string) url.Values { return url.Values{"outcome": {"pass"}} }, nil, http.StatusForbidden},
		"EmptyToken":     {func(string) url.Values { return url.Values{"csrf": {""}, "outcome": {"pass"}} }, nil, http.StatusForbidden},
		"WrongToken":     {func(tok string) url.Values { return url.Values{"csrf": {flipFirst(tok)}, "outcome": {"pass"}} }, nil, http.StatusForbidden},
		"OtherRunsToken": {func(string) url.Values { return nil }, nil, http.StatusForbidden},
		"TokenInQuery": {func(string) url.Values { return url.Values{"outcome": {"pass"}} }, func(r *http.Request) {
			r.URL.RawQuery = "csrf=" + r.Header.Get("X-Test-Token")
		}, http.StatusForbidden},
		"CrossSite": {func(tok string) url.Values { return url.Values{"csrf": {tok}, "outcome": {"pass"}} }, func(r *http.Request) {
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			r.Header.Set("Origin", "https://evil.example")
		}, http.StatusForbidden},
		"UnknownOutcome": {func(tok string) url.Values { return url.Values{"csrf": {tok}, "outcome": {"maybe"}} }, nil, http.StatusBadRequest},
		"NoOutcome":      {func(tok string) url.Values { return url.Values{"csrf": {tok}} }, nil, http.StatusBadRequest},
		"Oversized": {func(tok string) url.Values {
			return url.Values{"csrf": {tok}, "outcome": {"pass"}, "pad": {strings.Repeat("x", 8<<10)}}
		}, nil, http.StatusBadRequest},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p, _ := newProvider(t, nil)
			c := start(t, p, enrollReq("finn"))
			other := start(t, p, enrollReq("gwen"))
			tok := csrfOf(t, p, c.RunID)
			form := tt.form(tok)
			if form == nil {
				form = url.Values{"csrf": {csrfOf(t, p, other.RunID)}, "outcome": {"pass"}}
			}
			r := httptest.NewRequest(http.MethodPost, "http://localhost:8081"+capturePath+c.RunID, strings.NewReader(form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("X-Test-Token", tok)
			if tt.edit != nil {
				tt.edit(r)
			}
			res, body := serve(t, p, r)
			if res.StatusCode != tt.status {
				t.Errorf("POST status = %d, want %d:\n%s", res.StatusCode, tt.status, body)
			}
			checkSandboxPage(t, res, body)
			if got := fetch(t, p, c.RunID); got.Status != idvbridge.StatusPending {
				t.Errorf("after a refused POST: status = %q, want %q (nothing changes)", got.Status, idvbridge.StatusPending)
			}
			if got := fetch(t, p, other.RunID); got.Status != idvbridge.StatusPending {
				t.Errorf("after a refused POST: other run's status = %q, want %q", got.Status, idvbridge.StatusPending)
			}
		})
	}
}

func TestSubmitTwice(t *testing.T) {
	t.Parallel()
	p, _ := newProvider(t, nil)
	c := start(t, p, enrollReq("hugo"))
	tok := csrfOf(t, p, c.RunID)
	if res, _ := post(t, p, c.RunID, url.Values{"csrf": {tok}, "outcome": {"review"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("first POST status = %d, want 303", res.StatusCode)
	}
	res, body := post(t, p, c.RunID, url.Values{"csrf": {tok}, "outcome": {"pass"}})
	if res.StatusCode != http.StatusConflict {
		t.Errorf("second POST status = %d, want 409", res.StatusCode)
	}
	checkSandboxPage(t, res, body)
	if got := fetch(t, p, c.RunID); got.Reason != idvbridge.ReasonReview {
		t.Errorf("after a second POST: reason = %q, want %q (unchanged)", got.Reason, idvbridge.ReasonReview)
	}
	// The page of a finished run shows its result and no form.
	res, body = get(t, p, capturePath+c.RunID)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Needs review") || strings.Contains(body, "<form") {
		t.Errorf("GET finished run: status %d, want 200 with the result and no form:\n%s", res.StatusCode, body)
	}
	if !strings.Contains(body, `href="https://rp.example/idv/return?state=abc"`) {
		t.Errorf("finished page has no link back to the return URL:\n%s", body)
	}
}

func TestUnknownAndExpiredRuns(t *testing.T) {
	t.Parallel()
	p, clk := newProvider(t, nil)
	c := start(t, p, enrollReq("iris"))
	tok := csrfOf(t, p, c.RunID)
	const unknown = "0b9c8f3e-1d2a-4c5b-8e7f-6a5b4c3d2e1f"

	res, body := get(t, p, capturePath+unknown)
	if res.StatusCode != http.StatusNotFound || !strings.Contains(body, "couldn&#39;t find this check") {
		t.Errorf("GET unknown run: status %d, want 404 with a clear message:\n%s", res.StatusCode, body)
	}
	checkSandboxPage(t, res, body)
	res, body = post(t, p, unknown, url.Values{"csrf": {tok}, "outcome": {"pass"}})
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("POST unknown run: status %d, want 404", res.StatusCode)
	}
	checkSandboxPage(t, res, body)

	clk.Advance(10 * time.Minute)
	res, body = get(t, p, capturePath+c.RunID)
	if res.StatusCode != http.StatusGone || !strings.Contains(body, "This check has expired") || strings.Contains(body, "<form") {
		t.Errorf("GET expired run: status %d, want 410 with a clear message and no form:\n%s", res.StatusCode, body)
	}
	checkSandboxPage(t, res, body)
	res, body = post(t, p, c.RunID, url.Values{"csrf": {tok}, "outcome": {"pass"}})
	if res.StatusCode != http.StatusGone {
		t.Errorf("POST expired run: status %d, want 410", res.StatusCode)
	}
	checkSandboxPage(t, res, body)
	if got := fetch(t, p, c.RunID); got.Reason != idvbridge.ReasonExpired {
		t.Errorf("after POST on an expired run: reason = %q, want %q", got.Reason, idvbridge.ReasonExpired)
	}
}

func TestOtherRoutes(t *testing.T) {
	t.Parallel()
	p, _ := newProvider(t, nil)
	res, body := get(t, p, "/sandbox/idv/static/sandbox.css")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") || !strings.Contains(body, ".sandbox-banner") {
		t.Errorf("GET stylesheet: status %d, type %q, want 200 text/css with the banner's style", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, path := range []string{"/sandbox/idv/", "/sandbox/idv/nope", "/sandbox/idv/capture/"} {
		res, body := get(t, p, path)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, res.StatusCode)
		}
		checkSandboxPage(t, res, body)
	}
}
