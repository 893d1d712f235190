package adminui

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// fakeSessions is the identity server's sessions for the dashboard.
type fakeSessions struct {
	mu        sync.Mutex
	sessions  []ClientSession
	listErr   error
	revokeErr error
	revoked   []string // every RevokeSessions subject
}

func (f *fakeSessions) ConsentSessions(_ context.Context, subject string) ([]ClientSession, error) {
	if subject != "alice" {
		return nil, nil
	}
	return f.sessions, f.listErr
}

func (f *fakeSessions) RevokeSessions(_ context.Context, subject string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revoked = append(f.revoked, subject)
	return f.revokeErr
}

func (f *fakeSessions) revokedSubjects() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.revoked...)
}

// withSessions is a harness mutation giving the dashboard fs.
func withSessions(fs *fakeSessions) func(*Config) {
	return func(c *Config) { c.Sessions = fs }
}

func aliceSessions() *fakeSessions {
	return &fakeSessions{sessions: []ClientSession{{ClientID: "bank", ClientName: `Bank <script>x</script>`, Scopes: []string{"openid", "profile"},
		GrantedAt: testNow.Add(-time.Hour), LoginSessionID: "sid-1", ACR: "urn:biometric-passkey:acr:step-up"}}}
}

func TestUserPageSessions(t *testing.T) {
	t.Parallel()
	t.Run("listed", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, withSessions(aliceSessions()))
		c, _ := h.operator(RoleSupport, "op")
		body := readBody(t, h.do(http.MethodGet, "/users/alice", []*http.Cookie{c}, nil))
		for _, want := range []string{`id="sessions"`, `Bank &lt;script&gt;x&lt;/script&gt; <code>bank</code>`, `<code>openid</code> <code>profile</code>`,
			`<code>sid-1</code>`, `2026-11-25 08:30:00Z`} {
			if !strings.Contains(body, want) {
				t.Errorf("user page lacks %q:\n%s", want, body)
			}
		}
		if strings.Contains(body, "<script>x") {
			t.Error("client name not escaped")
		}
	})
	t.Run("identity server down", func(t *testing.T) {
		t.Parallel()
		fs := aliceSessions()
		fs.listErr = errors.New("connection refused")
		h := newHarness(t, withSessions(fs))
		c, _ := h.operator(RoleSupport, "op")
		resp := h.do(http.MethodGet, "/users/alice", []*http.Cookie{c}, nil)
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="sessions-error">The identity server did not answer`) {
			t.Errorf("status %d, want 200 with the sessions error:\n%s", resp.StatusCode, body)
		}
		if strings.Contains(body, "connection refused") {
			t.Error("internal error shown")
		}
	})
	t.Run("none", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, withSessions(&fakeSessions{}))
		c, _ := h.operator(RoleSupport, "op")
		if body := readBody(t, h.do(http.MethodGet, "/users/alice", []*http.Cookie{c}, nil)); !strings.Contains(body, "No active sessions") {
			t.Errorf("user page without sessions:\n%s", body)
		}
	})
	t.Run("no identity server", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		c, _ := h.operator(RoleFraud, "op")
		body := readBody(t, h.do(http.MethodGet, "/users/alice", []*http.Cookie{c}, nil))
		if strings.Contains(body, "Active sessions") || strings.Contains(body, actRevokeSessions) {
			t.Errorf("sessions shown without Config.Sessions:\n%s", body)
		}
	})
}

func TestRevokeSessions(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		role       Role
		revokeErr  error
		recordErr  error
		wantStatus int
		wantText   string // in the error page, or the flash
		wantRevoke bool
		wantResult string // the sessions.revoke record's result; "" when none
	}{
		"fraud": {role: RoleFraud, wantStatus: http.StatusSeeOther, wantText: "Sessions revoked", wantRevoke: true, wantResult: "revoked"},
		"admin": {role: RoleAdmin, wantStatus: http.StatusSeeOther, wantText: "Sessions revoked", wantRevoke: true, wantResult: "revoked"},
		"identity server fails": {role: RoleFraud, revokeErr: errors.New("hydra: 500"), wantStatus: http.StatusBadGateway,
			wantText: "did not revoke the sessions", wantRevoke: true, wantResult: "failed"},
		"audit fails": {role: RoleFraud, recordErr: authenticator.UserError(authenticator.CodeUnavailable, "store down", nil),
			wantStatus: http.StatusInternalServerError, wantText: "the audit record could not be written", wantRevoke: true, wantResult: "revoked"},
		"support": {role: RoleSupport, wantStatus: http.StatusForbidden, wantText: "does not allow this action: revoke sessions"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fs := aliceSessions()
			fs.revokeErr = tc.revokeErr
			h := newHarness(t, withSessions(fs))
			h.admin.actionErr = tc.recordErr
			c, csrf := h.operator(tc.role, "op-1")
			resp := h.do(http.MethodPost, "/users/alice/act", []*http.Cookie{c}, actionForm(csrf, actRevokeSessions, "", "account takeover"))
			body := readBody(t, resp)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d:\n%s", resp.StatusCode, tc.wantStatus, body)
			}
			if resp.StatusCode != http.StatusSeeOther && !strings.Contains(body, tc.wantText) {
				t.Errorf("error page lacks %q:\n%s", tc.wantText, body)
			}
			if resp.StatusCode == http.StatusSeeOther {
				page := readBody(t, h.do(http.MethodGet, "/users/alice", []*http.Cookie{c, cookieNamed(resp, "adminui_flash")}, nil))
				if !strings.Contains(page, tc.wantText) {
					t.Errorf("flash lacks %q:\n%s", tc.wantText, page)
				}
			}
			var wantRevoked []string
			if tc.wantRevoke {
				wantRevoked = []string{"alice"}
			}
			if diff := cmp.Diff(wantRevoked, fs.revokedSubjects()); diff != "" {
				t.Errorf("RevokeSessions subjects (-want +got):\n%s", diff)
			}
			var results []string
			for _, r := range h.admin.operatorRecords() {
				if r.Action == authenticator.AuditSessionsRevoke {
					if r.ExternalID != "alice" || r.Operator != "op-1" || r.Reason != "account takeover" {
						t.Errorf("sessions.revoke record %+v, want alice by op-1 with the reason", r)
					}
					results = append(results, r.Detail["result"])
				}
			}
			var wantResults []string
			if tc.wantResult != "" {
				wantResults = []string{tc.wantResult}
			}
			if diff := cmp.Diff(wantResults, results); diff != "" {
				t.Errorf("sessions.revoke results (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("without an identity server", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		c, csrf := h.operator(RoleFraud, "op")
		resp := h.do(http.MethodPost, "/users/alice/act", []*http.Cookie{c}, actionForm(csrf, actRevokeSessions, "", "r"))
		if body := readBody(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "no such action") {
			t.Errorf("status %d, want 400 no such action:\n%s", resp.StatusCode, body)
		}
	})
}

func TestEraseUser(t *testing.T) {
	t.Parallel()
	for _, role := range []Role{RoleFraud, RoleAdmin} {
		t.Run(string(role), func(t *testing.T) {
			t.Parallel()
			fs := aliceSessions()
			h := newHarness(t, withSessions(fs))
			c, csrf := h.operator(role, "op-"+string(role))
			resp := h.do(http.MethodPost, "/users/alice/act", []*http.Cookie{c}, actionForm(csrf, actEraseUser, "", "GDPR request 7"))
			body := readBody(t, resp)
			if role == RoleFraud {
				if resp.StatusCode != http.StatusForbidden || len(fs.revokedSubjects()) != 0 {
					t.Errorf("fraud's erase: status %d, revoked %v; want 403 and nothing done:\n%s", resp.StatusCode, fs.revokedSubjects(), body)
				}
				for _, call := range h.admin.actionCalls() {
					if call.Method == "EraseUser" {
						t.Errorf("EraseUser called for the fraud role")
					}
				}
				return
			}
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/users" {
				t.Fatalf("status %d → %q, want 303 → /users:\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
			want := []actionCall{{Method: "EraseUser", User: "alice", Reason: "GDPR request 7", Operator: "op-admin"}}
			if diff := cmp.Diff(want, h.admin.actionCalls()); diff != "" {
				t.Errorf("Admin calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"alice"}, fs.revokedSubjects()); diff != "" {
				t.Errorf("sessions revoked after the erasure (-want +got):\n%s", diff)
			}
			page := readBody(t, h.do(http.MethodGet, "/users", []*http.Cookie{c, cookieNamed(resp, "adminui_flash")}, nil))
			if !strings.Contains(page, "User alice erased: 2 passkeys, 1 biometric reference, 6 events deleted. The audit log keeps the pseudonym p-00112233445566778899aabbccddeeff.") {
				t.Errorf("users page lacks the erasure's flash:\n%s", page)
			}
		})
	}
}

func TestConfigView(t *testing.T) {
	t.Parallel()
	settings := []Setting{{Key: "host.public_url", Value: "https://login.example.com"}, {Key: "adminui.client_secret", Value: "[redacted]"},
		{Key: "x.hostile", Value: `<img src=x onerror=alert(1)>`}}
	for role, wantStatus := range map[Role]int{RoleSupport: http.StatusForbidden, RoleFraud: http.StatusForbidden, RoleAdmin: http.StatusOK} {
		t.Run(string(role), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(c *Config) { c.Settings = settings })
			c, _ := h.operator(role, "op")
			resp := h.do(http.MethodGet, "/config", []*http.Cookie{c}, nil)
			body := readBody(t, resp)
			if resp.StatusCode != wantStatus {
				t.Fatalf("status %d, want %d:\n%s", resp.StatusCode, wantStatus, body)
			}
			nav := strings.Contains(body, `<a href="/config">`)
			if nav != (role == RoleAdmin) {
				t.Errorf("configuration link shown = %v for %s", nav, role)
			}
			if wantStatus == http.StatusForbidden {
				recs := h.admin.operatorRecords()
				if len(recs) != 1 || recs[0].Action != authenticator.AuditAccessRefused || recs[0].Detail["attempted"] != "viewing the configuration" {
					t.Errorf("refusal records %+v, want one access.refused", recs)
				}
				return
			}
			for _, want := range []string{`<code>host.public_url</code></td><td><code>https://login.example.com</code>`,
				`<code>[redacted]</code>`, `&lt;img src=x onerror=alert(1)&gt;`} {
				if !strings.Contains(body, want) {
					t.Errorf("configuration page lacks %q:\n%s", want, body)
				}
			}
		})
	}
}

func TestDeadLetters(t *testing.T) {
	t.Parallel()
	letters := []authenticator.Delivery{{ID: 7, EventID: 41, Endpoint: "https://rp.example/hook", Attempts: 12, LastError: `HTTP 500 <b>oops</b>`,
		Status: authenticator.DeliveryDead, CreatedAt: testNow.Add(-48 * time.Hour), UpdatedAt: testNow.Add(-time.Hour),
		Event: authenticator.Event{ID: 41, Type: authenticator.EventCredentialRevoked, UserExternalID: "alice"}}}
	t.Run("list", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		h.admin.deadLetters = letters
		c, _ := h.operator(RoleAdmin, "op")
		body := readBody(t, h.do(http.MethodGet, "/events/dead", []*http.Cookie{c}, nil))
		for _, want := range []string{`id="deadletters"`, `<strong>credential.revoked</strong>`, `<a href="/users/alice">alice</a>`,
			`HTTP 500 &lt;b&gt;oops&lt;/b&gt;`, `action="/events/dead/7/redeliver"`, `<td>12</td>`} {
			if !strings.Contains(body, want) {
				t.Errorf("dead letters page lacks %q:\n%s", want, body)
			}
		}
	})
	t.Run("empty", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		c, _ := h.operator(RoleAdmin, "op")
		if body := readBody(t, h.do(http.MethodGet, "/events/dead", []*http.Cookie{c}, nil)); !strings.Contains(body, `id="no-deadletters"`) {
			t.Errorf("empty dead letters page:\n%s", body)
		}
	})
	t.Run("bad page link", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		c, _ := h.operator(RoleAdmin, "op")
		if resp := h.do(http.MethodGet, "/events/dead?after=-1", []*http.Cookie{c}, nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want 400", resp.StatusCode)
		}
	})
	redeliver := map[string]struct {
		role       Role
		path       string
		form       func(csrf string) url.Values
		wantStatus int
		wantCalls  []actionCall
	}{
		"admin": {RoleAdmin, "/events/dead/7/redeliver", func(csrf string) url.Values { return url.Values{"csrf": {csrf}, "reason": {"endpoint fixed"}} },
			http.StatusSeeOther, []actionCall{{Method: "RedeliverEvent:7", Reason: "endpoint fixed", Operator: "op"}}},
		"no reason": {RoleAdmin, "/events/dead/7/redeliver", func(csrf string) url.Values { return url.Values{"csrf": {csrf}} },
			http.StatusBadRequest, nil},
		"bad id": {RoleAdmin, "/events/dead/x/redeliver", func(csrf string) url.Values { return url.Values{"csrf": {csrf}, "reason": {"r"}} },
			http.StatusNotFound, nil},
		"no csrf": {RoleAdmin, "/events/dead/7/redeliver", func(string) url.Values { return url.Values{"reason": {"r"}} },
			http.StatusForbidden, []actionCall{{Method: "RecordOperatorAction:" + authenticator.AuditAccessRefused, Operator: "op"}}},
		"fraud": {RoleFraud, "/events/dead/7/redeliver", func(csrf string) url.Values { return url.Values{"csrf": {csrf}, "reason": {"r"}} },
			http.StatusForbidden, []actionCall{{Method: "RecordOperatorAction:" + authenticator.AuditAccessRefused, Operator: "op"}}},
	}
	for name, tc := range redeliver {
		t.Run("redeliver/"+name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, nil)
			h.admin.deadLetters = letters
			c, csrf := h.operator(tc.role, "op")
			resp := h.do(http.MethodPost, tc.path, []*http.Cookie{c}, tc.form(csrf))
			body := readBody(t, resp)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d:\n%s", resp.StatusCode, tc.wantStatus, body)
			}
			if diff := cmp.Diff(tc.wantCalls, h.admin.actionCalls()); diff != "" {
				t.Errorf("Admin calls (-want +got):\n%s", diff)
			}
			if resp.StatusCode == http.StatusSeeOther {
				page := readBody(t, h.do(http.MethodGet, "/events/dead", []*http.Cookie{c, cookieNamed(resp, "adminui_flash")}, nil))
				if !strings.Contains(page, "Delivery 7 of event 47 to https://rp.example/hook is pending again.") {
					t.Errorf("dead letters page lacks the flash:\n%s", page)
				}
			}
		})
	}
}

func TestAuditExportIsAudited(t *testing.T) {
	t.Parallel()
	t.Run("recorded first", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		c, _ := h.operator(RoleAdmin, "op-admin")
		if resp := h.do(http.MethodGet, "/audit/export", []*http.Cookie{c}, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		recs := h.admin.operatorRecords()
		if len(recs) != 1 || recs[0].Action != authenticator.AuditExport || recs[0].Operator != "op-admin" {
			t.Errorf("records %+v, want one audit.export by op-admin", recs)
		}
	})
	t.Run("not recorded, not exported", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		h.admin.actionErr = authenticator.UserError(authenticator.CodeUnavailable, "the store is unavailable", nil)
		c, _ := h.operator(RoleAdmin, "op-admin")
		resp := h.do(http.MethodGet, "/audit/export", []*http.Cookie{c}, nil)
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Content-Disposition") != "" || strings.Contains(body, `"seq"`) {
			t.Errorf("status %d, disposition %q; want 503 and no records:\n%s", resp.StatusCode, resp.Header.Get("Content-Disposition"), body)
		}
	})
}

func TestAuditSubjectFilter(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	c, _ := h.operator(RoleSupport, "op")
	body := readBody(t, h.do(http.MethodGet, "/audit?subject="+testAliceSubject, []*http.Cookie{c}, nil))
	// Records 1 (target) and 2 (detail user) are alice's; 3 is another user's.
	for seq, want := range map[string]bool{"<tr><td>1</td>": true, "<tr><td>2</td>": true, "<tr><td>3</td>": false} {
		if strings.Contains(body, seq) != want {
			t.Errorf("subject filter: record %q shown = %v, want %v", seq, !want, want)
		}
	}
}

func TestVersionFooter(t *testing.T) {
	t.Parallel()
	const v = "biometric-passkey-provider v1.2.3 (plugin protocol 1, schema 7)"
	h := newHarness(t, func(c *Config) { c.Version = v })
	c, _ := h.operator(RoleSupport, "op")
	for _, path := range []string{"/", "/users", "/audit"} {
		if body := readBody(t, h.do(http.MethodGet, path, []*http.Cookie{c}, nil)); !strings.Contains(body, `<footer class="version" id="version">`+v+`</footer>`) {
			t.Errorf("GET %s lacks the version footer:\n%s", path, body)
		}
	}
}

func TestHiddenDetailKey(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]bool{
		"reference_id": true, "sealed_ref": true, "webhook_secret": true, "sdk_token": true, "biometric_template": true, "ref_id": true,
		"references": false, "revoked_references": false, "reason": false, "user": false, "credentials": false,
	} {
		if got := hiddenDetailKey(key); got != want {
			t.Errorf("hiddenDetailKey(%q) = %v, want %v", key, got, want)
		}
	}
}

// TestAuditVerifiesOnTheFirstPage: the chain is hashed end to end once, on
// the first page; a later page links back instead of hashing it again.
func TestAuditVerifiesOnTheFirstPage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	c, _ := h.operator(RoleSupport, "op")
	count := func() int {
		h.admin.mu.Lock()
		defer h.admin.mu.Unlock()
		return h.admin.verifies
	}
	if body := readBody(t, h.do(http.MethodGet, "/audit", []*http.Cookie{c}, nil)); !strings.Contains(body, "Chain intact: 3 records") || count() != 1 {
		t.Errorf("first page: VerifyAudit calls %d, want 1, and the result shown:\n%s", count(), body)
	}
	body := readBody(t, h.do(http.MethodGet, "/audit?after=1", []*http.Cookie{c}, nil))
	if !strings.Contains(body, `The chain is verified on the <a href="/audit">first page</a>.`) || count() != 1 {
		t.Errorf("a later page: VerifyAudit calls %d, want still 1, and a link to the first page:\n%s", count(), body)
	}
	if !strings.Contains(body, "<tr><td>2</td>") || strings.Contains(body, "<tr><td>1</td>") {
		t.Errorf("a later page: want the records after 1:\n%s", body)
	}
}
