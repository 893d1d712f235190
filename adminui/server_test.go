package adminui

import (
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

func TestNewReportsEveryProblem(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		mutate func(*Config)
		want   []string // substrings of the error; nil means valid
	}{
		"valid":      {mutate: func(*Config) {}},
		"https prod": {mutate: func(c *Config) { c.PublicURL = "https://ops.example.com/"; c.Issuer = "https://id.example.com" }},
		"everything missing": {mutate: func(c *Config) { *c = Config{} }, want: []string{
			"PublicURL: is required", "Issuer: is required", "ClientID is required", "ClientSecret is required",
			"RoleMap is empty", "SessionKey must be 32 bytes, got 0"}},
		"http off loopback": {mutate: func(c *Config) { c.PublicURL = "http://ops.example.com" }, want: []string{"must use https"}},
		"path":              {mutate: func(c *Config) { c.PublicURL = "https://ops.example.com/admin" }, want: []string{"must have no path"}},
		"issuer query":      {mutate: func(c *Config) { c.Issuer = "https://id.example.com?x=1" }, want: []string{"Issuer", "no user, query or fragment"}},
		"bad role":          {mutate: func(c *Config) { c.RoleMap = map[string]Role{"g": "root", "": RoleAdmin} }, want: []string{`RoleMap["g"] = "root" is not a role`, "empty claim value"}},
		"short key":         {mutate: func(c *Config) { c.SessionKey = []byte("short") }, want: []string{"got 5"}},
		"ttl too long":      {mutate: func(c *Config) { c.SessionTTL = 25 * time.Hour }, want: []string{"SessionTTL 25h0m0s"}},
		"ttl negative":      {mutate: func(c *Config) { c.SessionTTL = -time.Second }, want: []string{"SessionTTL -1s"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(nil)
			tc.mutate(&cfg)
			_, err := New(cfg, &fakeAdmin{})
			if tc.want == nil {
				if err != nil {
					t.Fatalf("New: %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("New: nil error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("New error %q lacks %q", err, w)
				}
			}
		})
	}
	t.Run("nil admin", func(t *testing.T) {
		t.Parallel()
		if _, err := New(testConfig(nil), nil); err == nil || !strings.Contains(err.Error(), "Admin service is nil") {
			t.Errorf("New(nil admin) = %v", err)
		}
	})
}

func TestSignInRendersOperator(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		roles    any
		wantRole Role
	}{
		"array support":   {roles: []string{"other", "dash-support"}, wantRole: RoleSupport},
		"strongest wins":  {roles: []string{"dash-support", "dash-admin", "dash-fraud"}, wantRole: RoleAdmin},
		"string claim":    {roles: "dash-fraud", wantRole: RoleFraud},
		"string in array": {roles: []any{"dash-fraud", 7}, wantRole: RoleFraud},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(c *Config) { c.Sandbox = true })
			c := h.session(map[string]any{"roles": tc.roles, "sub": "op-<alice>"})
			if !c.HttpOnly || c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
				t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/ (not Secure over http)", c)
			}
			if got, want := c.Expires.UTC(), testNow.Add(DefaultSessionTTL); !got.Equal(want) {
				t.Errorf("session expires %v, want %v", got, want)
			}
			resp := h.do(http.MethodGet, "/", []*http.Cookie{c}, nil)
			body := readBody(t, resp)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /: status %d: %s", resp.StatusCode, body)
			}
			for _, want := range []string{"op-&lt;alice&gt;", "role <strong>" + string(tc.wantRole) + "</strong>", "SANDBOX", "Activity per day", "<th>3</th>"} {
				if !strings.Contains(body, want) {
					t.Errorf("overview lacks %q:\n%s", want, body)
				}
			}
		})
	}
}

func TestSignInRefused(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		over       map[string]any
		tamper     func(q url.Values, login *http.Cookie) []*http.Cookie
		wantStatus int
		wantText   string
	}{
		"wrong state": {tamper: func(q url.Values, login *http.Cookie) []*http.Cookie {
			q.Set("state", "forged")
			return []*http.Cookie{login}
		}, wantStatus: http.StatusBadRequest, wantText: "does not match"},
		"no login cookie": {tamper: func(url.Values, *http.Cookie) []*http.Cookie { return nil },
			wantStatus: http.StatusBadRequest, wantText: "not started here"},
		"tampered login cookie": {tamper: func(_ url.Values, login *http.Cookie) []*http.Cookie {
			c := *login
			c.Value = flip(c.Value)
			return []*http.Cookie{&c}
		}, wantStatus: http.StatusBadRequest, wantText: "not started here"},
		"missing nonce":  {over: map[string]any{"nonce": nil}, wantStatus: http.StatusBadRequest, wantText: "not issued for this sign-in"},
		"wrong nonce":    {over: map[string]any{"nonce": "other"}, wantStatus: http.StatusBadRequest, wantText: "not issued for this sign-in"},
		"wrong audience": {over: map[string]any{"aud": "someone-else"}, wantStatus: http.StatusBadRequest, wantText: "did not verify"},
		"expired token":  {over: map[string]any{"exp": testNow.Add(-time.Minute).Unix()}, wantStatus: http.StatusBadRequest, wantText: "did not verify"},
		"provider error": {tamper: func(q url.Values, login *http.Cookie) []*http.Cookie {
			q.Del("code")
			q.Set("error", "access_denied")
			return []*http.Cookie{login}
		}, wantStatus: http.StatusForbidden, wantText: "did not sign you in (access_denied)"},
		"no mapped role": {over: map[string]any{"roles": []string{"staff"}}, wantStatus: http.StatusForbidden, wantText: "has no dashboard role"},
		"no role claim":  {over: map[string]any{"roles": nil}, wantStatus: http.StatusForbidden, wantText: "has no dashboard role"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, nil)
			resp := h.do(http.MethodGet, "/login", nil, nil)
			login := cookieNamed(resp, "adminui_login")
			q := h.idp.issue(t, resp.Header.Get("Location"), tc.over)
			cookies := []*http.Cookie{login}
			if tc.tamper != nil {
				cookies = tc.tamper(q, login)
			}
			resp = h.do(http.MethodGet, "/callback?"+q.Encode(), cookies, nil)
			body := readBody(t, resp)
			if resp.StatusCode != tc.wantStatus || !strings.Contains(body, tc.wantText) {
				t.Errorf("callback: status %d, want %d with %q:\n%s", resp.StatusCode, tc.wantStatus, tc.wantText, body)
			}
			if c := cookieNamed(resp, "adminui_session"); c != nil && c.Value != "" {
				t.Errorf("callback set a session cookie %v on a refused sign-in", c)
			}
			if got := resp.Header.Get("Content-Security-Policy"); got != cspHeader {
				t.Errorf("CSP = %q", got)
			}
		})
	}
}

// flip changes one character of a cookie value.
func flip(v string) string {
	b := []byte(v)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestSessionRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	good := h.session(nil)
	later := newHarness(t, func(c *Config) { c.Now = func() time.Time { return testNow.Add(DefaultSessionTTL + time.Second) } })
	otherKey := newHarness(t, func(c *Config) { c.SessionKey = []byte("ffffffffffffffffffffffffffffffff") })
	tampered := *good
	tampered.Value = flip(good.Value)
	tests := map[string]struct {
		h      *harness
		cookie *http.Cookie
	}{
		"no cookie": {h: h},
		"tampered":  {h: h, cookie: &tampered},
		"expired":   {h: later, cookie: good},
		"other key": {h: otherKey, cookie: good},
		"garbage":   {h: h, cookie: &http.Cookie{Name: "adminui_session", Value: "%%%"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var cookies []*http.Cookie
			if tc.cookie != nil {
				cookies = []*http.Cookie{tc.cookie}
			}
			for _, path := range []string{"/", "/users", "/users/alice", "/audit"} {
				resp := tc.h.do(http.MethodGet, path, cookies, nil)
				body := readBody(t, resp)
				if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" || strings.Contains(body, "alice") {
					t.Errorf("GET %s: status %d, Location %q, want 303 to /login and no data", path, resp.StatusCode, resp.Header.Get("Location"))
				}
			}
			if len(tc.h.admin.reads) != 0 {
				t.Errorf("ReadUser called without a session: %v", tc.h.admin.reads)
			}
		})
	}
}

// csrfOf extracts the logout form's token from a page.
var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func TestLogoutNeedsCSRF(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	c := h.session(nil)
	page := readBody(t, h.do(http.MethodGet, "/", []*http.Cookie{c}, nil))
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF field on the page:\n%s", page)
	}
	tests := map[string]struct {
		form       url.Values
		wantStatus int
		wantClear  bool
	}{
		"no token":    {form: url.Values{}, wantStatus: http.StatusForbidden},
		"wrong token": {form: url.Values{"csrf": {"forged-token-forged-token"}}, wantStatus: http.StatusForbidden},
		"token":       {form: url.Values{"csrf": {m[1]}}, wantStatus: http.StatusOK, wantClear: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			resp := h.do(http.MethodPost, "/logout", []*http.Cookie{c}, tc.form)
			cleared := cookieNamed(resp, "adminui_session")
			if resp.StatusCode != tc.wantStatus || (cleared != nil && cleared.MaxAge < 0) != tc.wantClear {
				t.Errorf("POST /logout: status %d, cleared cookie %v; want %d, clear %v", resp.StatusCode, cleared, tc.wantStatus, tc.wantClear)
			}
		})
	}
	if resp := h.do(http.MethodGet, "/logout", []*http.Cookie{c}, nil); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /logout: status %d, want 405", resp.StatusCode)
	}
}

func TestPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	c := h.session(map[string]any{"sub": "op-fraud-7", "roles": "dash-fraud"})
	forbidden := regexp.MustCompile(`(?i)reference_id|ref-SECRET|sealed|public-key-bytes|<script>|<b>"work"|<img|<i>stolen`)
	tests := map[string]struct {
		path       string
		wantStatus int
		want       []string
	}{
		"overview":     {path: "/", wantStatus: 200, want: []string{"badge-enrolled", "Total"}},
		"search all":   {path: "/users", wantStatus: 200, want: []string{`href="/users/alan"`, `href="/users/alice"`, `href="/users/bob"`}},
		"search al":    {path: "/users?q=al", wantStatus: 200, want: []string{`href="/users/alan"`, `href="/users/alice"`, "badge-biometric_pending", "&lt;script&gt;"}},
		"search none":  {path: "/users?q=zed", wantStatus: 200, want: []string{"No users match"}},
		"search bad":   {path: "/users?q=%3Cx%3E", wantStatus: 200, want: []string{"No user can match", "&lt;x&gt;"}},
		"user":         {path: "/users/alice", wantStatus: 200, want: []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Alice", "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4", "synced (backed up)", "device-bound", "none (not attested)", "on file with the identity-verification provider", "bank&lt;img src=x onerror=alert(1)&gt;", "provider: sandbox", "step_up.passed"}},
		"user missing": {path: "/users/nobody", wantStatus: 404, want: []string{"There is no user with this id. An erased user is gone from here"}},
		"user invalid": {path: "/users/%3Cx%3E", wantStatus: 404, want: []string{"no user with this id"}},
		"audit":        {path: "/audit", wantStatus: 200, want: []string{"Chain intact: 3 records, head <code>abcd</code>", "op-carol", "&lt;i&gt;stolen&lt;/i&gt;"}},
		"audit filter": {path: "/audit?actor=op-b", wantStatus: 200, want: []string{"op-bob", `value="op-b"`}},
		"audit bad":    {path: "/audit?after=x", wantStatus: 400, want: []string{"not valid"}},
		"not found":    {path: "/nope", wantStatus: 404, want: []string{"no page at this address"}},
		"static":       {path: "/static/admin.css", wantStatus: 200, want: []string{".badge"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			resp := h.do(http.MethodGet, tc.path, []*http.Cookie{c}, nil)
			body := readBody(t, resp)
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("GET %s: status %d, want %d:\n%s", tc.path, resp.StatusCode, tc.wantStatus, body)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("GET %s lacks %q:\n%s", tc.path, w, body)
				}
			}
			if m := forbidden.FindString(body); m != "" {
				t.Errorf("GET %s renders %q", tc.path, m)
			}
			checkHeaders(t, resp)
			if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") && !strings.Contains(body, "op-fraud-7") && tc.path != "/nope" {
				t.Errorf("GET %s does not show the operator", tc.path)
			}
		})
	}
	t.Run("audit filter excludes", func(t *testing.T) {
		t.Parallel()
		body := readBody(t, h.do(http.MethodGet, "/audit?action=credential.", []*http.Cookie{c}, nil))
		if strings.Contains(body, "op-bob") || !strings.Contains(body, "op-carol") {
			t.Errorf("action filter: %s", body)
		}
	})
}

func TestBrokenChainShownInRed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.admin.verify = authenticator.AuditVerification{Records: 2, FirstBad: 2, Problem: "hash does not match"}
	body := readBody(t, h.do(http.MethodGet, "/audit", []*http.Cookie{h.session(nil)}, nil))
	if !strings.Contains(body, `class="chain chain-bad" id="chain">Chain broken at record 2: hash does not match`) {
		t.Errorf("broken chain not shown:\n%s", body)
	}
}

func checkHeaders(t *testing.T, resp *http.Response) {
	t.Helper()
	want := map[string]string{"Content-Security-Policy": cspHeader, "X-Content-Type-Options": "nosniff",
		"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestEveryResponseHasCSP(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	for _, rq := range []struct{ method, path string }{{"GET", "/login"}, {"GET", "/callback"}, {"POST", "/logout"}, {"GET", "/"}, {"GET", "/nope"}, {"PUT", "/users"}, {"GET", "/static/admin.css"}} {
		checkHeaders(t, h.do(rq.method, rq.path, nil, nil))
	}
}

func TestUserDetailReadsAsOperator(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	c := h.session(map[string]any{"sub": "op-support-3"})
	resp := h.do(http.MethodGet, "/users/alice", []*http.Cookie{c}, nil)
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	want := []authenticator.ReadUserRequest{{ExternalID: "alice", Operator: "op-support-3"}}
	if diff := cmp.Diff(want, h.admin.reads); diff != "" {
		t.Errorf("ReadUser calls (-want +got):\n%s", diff)
	}
	checkGolden(t, "user_detail.golden.html", body)
}

// checkGolden compares a page with testdata/name, rewriting the file first
// with -update. The CSRF token is random, so it is normalised.
func checkGolden(t *testing.T, name, body string) {
	t.Helper()
	got := csrfField.ReplaceAllString(body, `name="csrf" value="CSRF"`)
	golden := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./adminui -run %s -update)", err, t.Name())
	}
	if diff := cmp.Diff(string(b), got); diff != "" {
		t.Errorf("page differs from %s (-want +got):\n%s", golden, diff)
	}
}

func TestSecureCookiesOverHTTPS(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.PublicURL = "https://ops.example.com" })
	resp := h.do(http.MethodGet, "/login", nil, nil)
	c := cookieNamed(resp, "__Host-adminui_login")
	if c == nil || !c.Secure || !c.HttpOnly || c.Path != "/" || c.Domain != "" {
		t.Errorf("login cookie over https = %+v, want __Host- prefixed, Secure, HttpOnly, Path=/", c)
	}
	if got := resp.Header.Get("Strict-Transport-Security"); got == "" {
		t.Error("no Strict-Transport-Security over https")
	}
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, url.QueryEscape("https://ops.example.com/callback")) {
		t.Errorf("redirect %q lacks the https callback", loc)
	}
}

func TestSlowSignInRefused(t *testing.T) {
	t.Parallel()
	var late atomic.Bool
	h := newHarness(t, func(c *Config) {
		c.Now = func() time.Time {
			if late.Load() {
				return testNow.Add(loginTTL + time.Second)
			}
			return testNow
		}
	})
	resp := h.do(http.MethodGet, "/login", nil, nil)
	login := cookieNamed(resp, "adminui_login")
	q := h.idp.issue(t, resp.Header.Get("Location"), map[string]any{"exp": testNow.Add(2 * time.Hour).Unix()})
	late.Store(true)
	resp = h.do(http.MethodGet, "/callback?"+q.Encode(), []*http.Cookie{login}, nil)
	if body := readBody(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "took too long") {
		t.Errorf("callback after %v: status %d:\n%s", loginTTL, resp.StatusCode, body)
	}
	if c := cookieNamed(resp, "adminui_session"); c != nil && c.Value != "" {
		t.Errorf("session cookie set: %v", c)
	}
}
