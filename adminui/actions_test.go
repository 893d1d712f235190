package adminui

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// operator signs in with role and sub and returns the session cookie and
// its CSRF token.
func (h *harness) operator(role Role, sub string) (*http.Cookie, string) {
	h.t.Helper()
	c := h.session(map[string]any{"roles": []string{"dash-" + string(role)}, "sub": sub})
	sess, err := h.srv.seal.parseSession(c.Value, testNow)
	if err != nil {
		h.t.Fatalf("parse session: %v", err)
	}
	return c, sess.CSRF
}

// actionForm is a confirmed action form.
func actionForm(csrf, action, cred, reason string) url.Values {
	f := url.Values{"csrf": {csrf}, "action": {action}, "reason": {reason}, "confirm": {"yes"}}
	if cred != "" {
		f.Set("credential", cred)
	}
	return f
}

func TestActionsByRole(t *testing.T) {
	t.Parallel()
	const cred = "AQID" // credential {1, 2, 3}
	type want struct {
		method string
		flash  string
	}
	acts := map[string]want{
		actSuspendUser:      {"SuspendUser", "User suspended. User status: suspended."},
		actUnsuspendUser:    {"UnsuspendUser", "User unsuspended. User status: enrolled."},
		actReverifyUser:     {"RequireReverification", "Re-verification required. User status: biometric_pending."},
		actRevokeCredential: {"RevokeCredential", "Passkey revoked. Passkey AQID status: revoked."},
		actSuspendCred:      {"SuspendCredential", "Passkey suspended. Passkey AQID status: suspended."},
		actUnsuspendCred:    {"UnsuspendCredential", "Passkey unsuspended. Passkey AQID status: active."},
	}
	for _, role := range []Role{RoleSupport, RoleFraud, RoleAdmin} {
		for name, w := range acts {
			t.Run(string(role)+"/"+name, func(t *testing.T) {
				t.Parallel()
				h := newHarness(t, nil)
				c, csrf := h.operator(role, "op-"+string(role))
				credField := ""
				if strings.HasSuffix(name, "-credential") {
					credField = cred
				}
				resp := h.do(http.MethodPost, "/users/alice/act", []*http.Cookie{c}, actionForm(csrf, name, credField, "ticket 42"))
				body := readBody(t, resp)
				calls := h.admin.actionCalls()
				if role == RoleSupport {
					if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "does not allow this action") {
						t.Errorf("status %d, want 403 with a clear message:\n%s", resp.StatusCode, body)
					}
					// Only the refusal is recorded (audited), nothing acted on.
					want := []actionCall{{Method: "RecordOperatorAction:" + authenticator.AuditAccessRefused, User: "alice", Operator: "op-support"}}
					if diff := cmp.Diff(want, calls); diff != "" {
						t.Errorf("Admin calls (-want +got):\n%s", diff)
					}
					if recs := h.admin.operatorRecords(); len(recs) != 1 || recs[0].Detail["attempted"] != name || recs[0].Detail["why"] != "role" {
						t.Errorf("refusal records %+v, want one naming %s and why=role", recs, name)
					}
					return
				}
				if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/users/alice" {
					t.Fatalf("status %d → %q, want 303 → /users/alice:\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
				}
				wantCall := actionCall{Method: w.method, Reason: "ticket 42", Operator: "op-" + string(role)}
				if credField != "" {
					wantCall.Credential = []byte{1, 2, 3}
				} else {
					wantCall.User = "alice"
				}
				if diff := cmp.Diff([]actionCall{wantCall}, calls); diff != "" {
					t.Errorf("Admin calls (-want +got):\n%s", diff)
				}
				fc := cookieNamed(resp, "adminui_flash")
				if fc == nil || !fc.HttpOnly {
					t.Fatalf("flash cookie %+v, want a sealed HttpOnly cookie", fc)
				}
				page := h.do(http.MethodGet, "/users/alice", []*http.Cookie{c, fc}, nil)
				pb := readBody(t, page)
				if !strings.Contains(pb, `id="flash" role="status">`+w.flash+`</p>`) {
					t.Errorf("user page lacks flash %q:\n%s", w.flash, pb)
				}
				if cl := cookieNamed(page, "adminui_flash"); cl == nil || cl.MaxAge >= 0 {
					t.Errorf("flash cookie not cleared after display: %+v", cl)
				}
			})
		}
	}
}

func TestActionFormsByRole(t *testing.T) {
	t.Parallel()
	for role, wantForms := range map[Role][]string{
		RoleSupport: nil,
		// alice is enrolled; passkey AQID active, BAUG revoked.
		RoleFraud: {actSuspendUser, actReverifyUser, actRevokeCredential, actSuspendCred},
		RoleAdmin: {actSuspendUser, actReverifyUser, actEraseUser, actRevokeCredential, actSuspendCred},
	} {
		t.Run(string(role), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, nil)
			c, _ := h.operator(role, "op")
			body := readBody(t, h.do(http.MethodGet, "/users/alice", []*http.Cookie{c}, nil))
			var got []string
			for _, a := range actions {
				if strings.Contains(body, `name="action" value="`+a.Name+`"`) {
					got = append(got, a.Name)
				}
			}
			if diff := cmp.Diff(wantForms, got); diff != "" {
				t.Errorf("action forms (-want +got):\n%s", diff)
			}
		})
	}
}

func TestActionRefused(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		form       func(csrf string) url.Values
		wantStatus int
		wantText   string
		audited    bool   // an access.refused record (why=csrf) is the only Admin call
		attempted  string // its detail "attempted"; default revoke-credential
	}{
		"no csrf": {form: func(string) url.Values {
			f := actionForm("", actRevokeCredential, "AQID", "r")
			f.Del("csrf")
			return f
		}, wantStatus: http.StatusForbidden, wantText: "did not come from the dashboard", audited: true},
		"wrong csrf": {form: func(string) url.Values {
			return actionForm("forged-token-forged-token", actRevokeCredential, "AQID", "r")
		},
			wantStatus: http.StatusForbidden, wantText: "did not come from the dashboard", audited: true},
		"wrong csrf, made-up action": {form: func(string) url.Values {
			return actionForm("forged-token-forged-token", "<script>x</script>\n", "", "r")
		},
			wantStatus: http.StatusForbidden, wantText: "did not come from the dashboard", audited: true, attempted: "(unknown action)"},
		"passkey of another user": {form: func(csrf string) url.Values { return actionForm(csrf, actRevokeCredential, "BwgJ", "r") },
			wantStatus: http.StatusNotFound, wantText: "This user has no such passkey. Nothing was changed."},
		"no reason": {form: func(csrf string) url.Values { return actionForm(csrf, actRevokeCredential, "AQID", "  ") },
			wantStatus: http.StatusBadRequest, wantText: "A reason is required"},
		"long reason": {form: func(csrf string) url.Values { return actionForm(csrf, actSuspendUser, "", strings.Repeat("x", 513)) },
			wantStatus: http.StatusBadRequest, wantText: "A reason is required"},
		"unknown action": {form: func(csrf string) url.Values { return actionForm(csrf, "explode-user", "", "r") },
			wantStatus: http.StatusBadRequest, wantText: "no such action"},
		"bad credential": {form: func(csrf string) url.Values { return actionForm(csrf, actRevokeCredential, "!!", "r") },
			wantStatus: http.StatusBadRequest, wantText: "passkey id is not valid"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, nil)
			c, csrf := h.operator(RoleFraud, "op-fraud")
			resp := h.do(http.MethodPost, "/users/alice/act", []*http.Cookie{c}, tc.form(csrf))
			body := readBody(t, resp)
			if resp.StatusCode != tc.wantStatus || !strings.Contains(body, tc.wantText) {
				t.Errorf("status %d, want %d with %q:\n%s", resp.StatusCode, tc.wantStatus, tc.wantText, body)
			}
			var want []actionCall
			if tc.audited {
				want = []actionCall{{Method: "RecordOperatorAction:" + authenticator.AuditAccessRefused, User: "alice", Operator: "op-fraud"}}
				attempted := tc.attempted
				if attempted == "" {
					attempted = actRevokeCredential
				}
				if recs := h.admin.operatorRecords(); len(recs) != 1 || recs[0].Detail["why"] != "csrf" || recs[0].Detail["attempted"] != attempted {
					t.Errorf("refusal records %+v, want one with why=csrf", recs)
				}
			}
			if diff := cmp.Diff(want, h.admin.actionCalls()); diff != "" {
				t.Errorf("Admin calls (-want +got):\n%s", diff)
			}
			checkHeaders(t, resp)
		})
	}
	t.Run("no session", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		resp := h.do(http.MethodPost, "/users/alice/act", nil, actionForm("x", actSuspendUser, "", "r"))
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
			t.Errorf("status %d → %q, want 303 → /login", resp.StatusCode, resp.Header.Get("Location"))
		}
		if calls := h.admin.actionCalls(); len(calls) != 0 {
			t.Errorf("Admin called %+v", calls)
		}
	})
}

func TestActionConfirmation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	c, csrf := h.operator(RoleFraud, "op-fraud")
	f := actionForm(csrf, actRevokeCredential, "AQID", `<script>alert("r")</script>`)
	f.Del("confirm")
	resp := h.do(http.MethodPost, "/users/alice/act", []*http.Cookie{c}, f)
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d:\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{
		`Confirm: Revoke passkey for passkey AQID of user alice?`,
		`&lt;script&gt;alert(&#34;r&#34;)&lt;/script&gt;`,
		`name="confirm" value="yes"`, `name="csrf" value="` + csrf + `"`,
		`name="credential" value="AQID"`, `action="/users/alice/act"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("confirmation page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<script>") {
		t.Errorf("reason not escaped:\n%s", body)
	}
	if calls := h.admin.actionCalls(); len(calls) != 0 {
		t.Errorf("Admin called before confirmation: %+v", calls)
	}
}

func TestActionErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		err        error
		wantStatus int
		wantText   string
	}{
		"conflict":  {err: authenticator.UserError(authenticator.CodeConflict, "the user is not suspended", nil), wantStatus: http.StatusConflict, wantText: "the user is not suspended"},
		"not found": {err: authenticator.UserError(authenticator.CodeNotFound, "credential not found", nil), wantStatus: http.StatusNotFound, wantText: "credential not found"},
		"invalid":   {err: authenticator.UserError(authenticator.CodeInvalidArgument, "reason must be text", nil), wantStatus: http.StatusBadRequest, wantText: "reason must be text"},
		"internal":  {err: os.ErrPermission, wantStatus: http.StatusInternalServerError, wantText: authenticator.ErrInternal.Message},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, nil)
			h.admin.actionErr = tc.err
			c, csrf := h.operator(RoleFraud, "op-fraud")
			resp := h.do(http.MethodPost, "/users/alice/act", []*http.Cookie{c}, actionForm(csrf, actUnsuspendUser, "", "r"))
			body := readBody(t, resp)
			if resp.StatusCode != tc.wantStatus || !strings.Contains(body, tc.wantText) || !strings.Contains(body, `<a href="/users/alice" id="back">`) {
				t.Errorf("status %d, want %d with %q and a link back:\n%s", resp.StatusCode, tc.wantStatus, tc.wantText, body)
			}
			if strings.Contains(body, "permission denied") {
				t.Errorf("internal error text shown:\n%s", body)
			}
			if cookieNamed(resp, "adminui_flash") != nil {
				t.Error("flash set on a failed action")
			}
		})
	}
}

func TestFlashEscapedAndSealed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	c, _ := h.operator(RoleFraud, "op-fraud")
	rec := newRecorderCookie(t, h, `<b>"bold"</b> & more`)
	body := readBody(t, h.do(http.MethodGet, "/users/alice", []*http.Cookie{c, rec}, nil))
	if !strings.Contains(body, `&lt;b&gt;&#34;bold&#34;&lt;/b&gt; &amp; more`) || strings.Contains(body, "<b>") {
		t.Errorf("flash not escaped:\n%s", body)
	}
	forged := &http.Cookie{Name: "adminui_flash", Value: flip(rec.Value)}
	body = readBody(t, h.do(http.MethodGet, "/users/alice", []*http.Cookie{c, forged}, nil))
	if strings.Contains(body, `id="flash"`) {
		t.Errorf("tampered flash shown:\n%s", body)
	}
}

// newRecorderCookie seals message as h's flash cookie.
func newRecorderCookie(t *testing.T, h *harness, message string) *http.Cookie {
	t.Helper()
	v, err := h.srv.seal.seal(purposeFlash, flash{Message: message, Expires: testNow.Add(flashTTL).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	return &http.Cookie{Name: "adminui_flash", Value: v}
}

func TestAuditExport(t *testing.T) {
	t.Parallel()
	t.Run("admin", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		// More than one ListAudit page.
		var want []authenticator.AuditRecord
		for i := int64(1); i <= exportPage+3; i++ {
			want = append(want, authenticator.AuditRecord{Seq: i, At: testNow, Actor: "op", Action: authenticator.AuditCredentialRevoke,
				Target: "x", Detail: map[string]string{"reason": "<i>stolen</i> & lost"}, PrevHash: make([]byte, 32), Hash: make([]byte, 32)})
		}
		h.admin.audit = want
		c, _ := h.operator(RoleAdmin, "op-admin")
		resp := h.do(http.MethodGet, "/audit/export", []*http.Cookie{c}, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, readBody(t, resp))
		}
		if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="audit-`) {
			t.Errorf("Content-Disposition = %q", cd)
		}
		checkHeaders(t, resp)
		sc := bufio.NewScanner(resp.Body)
		var n int
		for sc.Scan() {
			line := sc.Bytes()
			wantLine, err := json.Marshal(want[n])
			if err != nil {
				t.Fatal(err)
			}
			// The CLI's encoder does not escape HTML.
			wantText := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(wantLine))
			if string(line) != wantText {
				t.Fatalf("line %d = %s, want %s", n+1, line, wantText)
			}
			var back authenticator.AuditRecord
			if err := json.Unmarshal(line, &back); err != nil || back.Seq != want[n].Seq {
				t.Fatalf("line %d reads back as %+v, %v", n+1, back, err)
			}
			n++
		}
		if n != len(want) {
			t.Errorf("%d lines, want %d", n, len(want))
		}
	})
	for _, role := range []Role{RoleSupport, RoleFraud} {
		t.Run(string(role), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, nil)
			c, _ := h.operator(role, "op")
			resp := h.do(http.MethodGet, "/audit/export", []*http.Cookie{c}, nil)
			body := readBody(t, resp)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "does not allow exporting") {
				t.Errorf("status %d, want 403:\n%s", resp.StatusCode, body)
			}
			if resp.Header.Get("Content-Disposition") != "" {
				t.Error("refused export sent as a download")
			}
		})
	}
}

func TestExportLinkOnlyForAdmin(t *testing.T) {
	t.Parallel()
	for role, want := range map[Role]bool{RoleSupport: false, RoleFraud: false, RoleAdmin: true} {
		t.Run(string(role), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, nil)
			c, _ := h.operator(role, "op")
			body := readBody(t, h.do(http.MethodGet, "/audit", []*http.Cookie{c}, nil))
			if got := strings.Contains(body, `href="/audit/export"`); got != want {
				t.Errorf("export link shown: got %v, want %v", got, want)
			}
		})
	}
}

func TestUserDetailGoldenAsFraud(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	c, _ := h.operator(RoleFraud, "op-fraud-7")
	body := readBody(t, h.do(http.MethodGet, "/users/alice", []*http.Cookie{c}, nil))
	checkGolden(t, "user_detail_fraud.golden.html", body)
}
