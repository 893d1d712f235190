package e2e_test

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/internal/app"
	"github.com/biometric-passkey/biometric-passkey/internal/devstack"
)

// Texts of the dashboard's pages, as adminui writes them.
const (
	msgFormRefused     = "This form has expired or did not come from the dashboard. Go back, reload the page and try again."
	msgSupportNoRevoke = "Your role (support) does not allow this action: revoke passkey. Nothing was changed."
	msgReferenceOnFile = "on file with the identity-verification provider"
	msgSupportNoConfig = "Your role (support) does not allow viewing the configuration; the admin role does."
	msgSessionsRevoked = "Sessions revoked: the user signs in again everywhere, and tokens issued before no longer work."
	msgNoSessions      = "No active sessions at the identity server."
	msgEraseWarning    = "This cannot be undone. The user's passkeys, biometric references (also at the identity-verification provider), " +
		"identity checks, transaction approvals and events are deleted, and their sessions revoked; the audit log keeps only the user's pseudonym."
)

// msgPasskeyUnknown is what the provider's sign-in page says for a passkey
// it does not know (authenticator's verification_failed for a user handle
// with no user), as static/passkey.js writes it.
const msgPasskeyUnknown = "This passkey is not registered here."

// operator is a demo operator enrolled in a browser context of its own.
type operator struct {
	*tab
	role string
	sub  string // the sub the dashboard shows, once signed in
}

// enrollOperator opens the demo operator's one-time enrollment link in a
// new browser context, creates the passkey and passes the enrollment's
// identity check on the sandbox.
func (b *tab) enrollOperator(role string) *operator {
	b.t.Helper()
	var link string
	for _, op := range b.stack.Operators {
		if op.Role == role {
			link = op.EnrollmentURL
		}
	}
	if !strings.HasPrefix(link, b.stack.ProviderURL+"/enroll?") {
		b.t.Fatalf("demo operator %s: enrollment link %q, want one to %s/enroll?…", role, link, b.stack.ProviderURL)
	}
	d := b.newDevice()
	d.do("open the "+role+" operator's enrollment link",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("enroll-button")),
		scriptReady(),
		chromedp.Click(chromedp.ID("enroll-button")),
	)
	d.identityCheck(idvbridge.JourneyEnrollment, "pass", "")
	d.do("wait for the enrollment's result", chromedp.WaitVisible(chromedp.CSS(`#verify[data-pending="false"] #status.success`)))
	if got := d.text("status"); got != msgEnrolled {
		b.t.Errorf("%s operator's enrollment result: got %q, want %q", role, got, msgEnrolled)
	}
	if n := len(d.credentials()); n != 1 {
		b.t.Fatalf("%s operator's authenticator: got %d passkeys, want 1", role, n)
	}
	return &operator{tab: d, role: role}
}

// in returns the operator's tab for use by t.
func (o *operator) in(t *testing.T) *operator {
	c := *o
	c.tab = o.tab.in(t)
	return &c
}

// signInDashboard opens the dashboard, which sends the browser through
// Hydra to the provider's sign-in page; the operator's passkey signs in and
// the dashboard's overview names the operator and the role. It returns the
// operator's sub.
func (o *operator) signInDashboard() string {
	o.t.Helper()
	o.do("open the dashboard",
		chromedp.Navigate(o.stack.DashboardURL),
		chromedp.WaitVisible(chromedp.ID("passkey-signin")),
		scriptReady(),
	)
	if u := o.location(); !strings.HasPrefix(u.String(), o.stack.ProviderURL+"/login?login_challenge=") {
		o.fatalf("the dashboard without a session: got %s, want the provider's sign-in page", u)
	}
	o.do("sign in with the operator's passkey",
		chromedp.Click(chromedp.ID("passkey-signin")),
		chromedp.WaitVisible(chromedp.ID("operator")),
	)
	if u := o.location(); u.String() != o.stack.DashboardURL+"/" {
		o.fatalf("after the dashboard sign-in: got %s, want the overview %s/", u, o.stack.DashboardURL)
	}
	sub := strings.TrimSpace(get(o.tab, "read the operator's sub", chromedp.Text(chromedp.CSS("#operator strong:first-of-type"))))
	role := strings.TrimSpace(get(o.tab, "read the operator's role", chromedp.Text(chromedp.CSS("#operator strong:last-of-type"))))
	var external string
	for _, op := range devstack.DemoOperators {
		if op.Role == o.role {
			external = op.ExternalUserID
		}
	}
	if sub != external {
		o.t.Errorf("#operator sub: got %q, want %q", sub, external)
	}
	if role != o.role {
		o.t.Errorf("#operator role: got %q, want %q", role, o.role)
	}
	if got := o.text("sandbox-banner"); !strings.Contains(got, "SANDBOX") {
		o.t.Errorf("dashboard #sandbox-banner: got %q, want it to say SANDBOX", got)
	}
	return sub
}

// openUser opens the dashboard's page of the user.
func (o *operator) openUser(id string) {
	o.t.Helper()
	o.do("open the user page", chromedp.Navigate(o.stack.DashboardURL+"/users/"+id), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if got, want := strings.TrimSpace(get(o.tab, "read the heading", chromedp.Text(chromedp.CSS("main h1")))), "User "+id; got != want {
		o.fatalf("user page heading: got %q, want %q", got, want)
	}
}

// navigate runs actions that load a new page, and waits for it; it fails
// the test unless the page answered 200.
func (b *tab) navigate(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.stepContext()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		b.fatalf("%s: %v", what, err)
	}
	if resp.Status != http.StatusOK {
		b.fatalf("%s: got status %d, want 200", what, resp.Status)
	}
}

// dashboardRows returns the cells' text of every row of the page's table.
func (b *tab) dashboardRows() [][]string {
	b.t.Helper()
	return get(b, "read the table", chromedp.Evaluate[[][]string](
		`Array.from(document.querySelectorAll("main table tbody tr"), (tr) => Array.from(tr.cells, (c) => c.textContent.trim()))`))
}

// passkeyRow returns the user page's row of the passkey: name, id, AAGUID,
// kind, created, last used, status (and actions, for fraud and admin).
func (b *tab) passkeyRow(credID string) []string {
	b.t.Helper()
	for _, r := range b.dashboardRows() {
		if len(r) > 6 && r[1] == credID {
			return r
		}
	}
	b.fatalf("the user page lists no passkey %s", credID)
	return nil
}

// forgeAction submits a form to the user's action URL built in the page
// (with the page's CSRF token when withCSRF, as a script in a signed-in
// page could) and returns the response's status and the page's error text.
func (b *tab) forgeAction(userID string, fields map[string]string, withCSRF bool) (int64, string) {
	b.t.Helper()
	raw, err := json.Marshal(fields)
	if err != nil {
		b.t.Fatal(err)
	}
	csrf := ""
	if withCSRF {
		csrf = `const t = document.querySelector('input[name="csrf"]'); if (!t) throw new Error("no CSRF token on the page"); fields.csrf = t.value;`
	}
	script := `(() => {
		const fields = ` + string(raw) + `; ` + csrf + `
		const f = document.createElement("form");
		f.method = "post";
		f.action = "/users/` + userID + `/act";
		for (const [k, v] of Object.entries(fields)) {
			const i = document.createElement("input");
			i.type = "hidden"; i.name = k; i.value = v;
			f.appendChild(i);
		}
		document.body.appendChild(f);
		f.submit();
	})()`
	ctx, cancel := b.stepContext()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Evaluate[chromedp.Void](script))
	if err != nil {
		b.fatalf("forged POST to /users/%s/act: %v", userID, err)
	}
	return resp.Status, strings.TrimSpace(get(b, "read the error", chromedp.Text(chromedp.CSS("main p.error"))))
}

// load navigates to url and returns the page's status, whatever it is.
func (b *tab) load(what, url string) int64 {
	b.t.Helper()
	ctx, cancel := b.stepContext()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(url))
	if err != nil {
		b.fatalf("%s: %v", what, err)
	}
	return resp.Status
}

// errorText returns the dashboard's error page's message.
func (b *tab) errorText() string {
	b.t.Helper()
	return strings.TrimSpace(get(b, "read the error", chromedp.Text(chromedp.CSS("main p.error"))))
}

// userFacts returns the user page's facts, by their label.
func (b *tab) userFacts() map[string]string {
	b.t.Helper()
	pairs := get(b, "read the facts", chromedp.Evaluate[[][2]string](
		`Array.from(document.querySelectorAll("dl.facts dt"), (dt) => [dt.textContent.trim(), dt.nextElementSibling ? dt.nextElementSibling.textContent.trim() : ""])`))
	out := make(map[string]string, len(pairs))
	for _, p := range pairs {
		out[p[0]] = p[1]
	}
	return out
}

// sessionRow is a row of the user page's "Active sessions" table.
type sessionRow struct {
	Client string   `json:"client"` // the client id
	Level  string   `json:"level"`
	Cells  []string `json:"cells"`
}

// sessionsSection is the user page's "Active sessions" section.
type sessionsSection struct {
	Heading bool         `json:"heading"`
	Rows    []sessionRow `json:"rows"`
	Next    string       `json:"next"` // the paragraph after the heading, if there is one
}

// activeSessions returns the user page's "Active sessions" rows (none
// when the table is absent) and, without a table, the text that follows
// the section's heading.
func (b *tab) activeSessions() (rows []sessionRow, none string) {
	b.t.Helper()
	v := get(b, "read the active sessions", chromedp.Evaluate[sessionsSection](`(() => {
		const h = Array.from(document.querySelectorAll("main h2")).find((h) => h.textContent.trim() === "Active sessions");
		const rows = Array.from(document.querySelectorAll("#sessions tbody tr"), (tr) => ({
			client: (tr.cells[0].querySelector("code") || {textContent: ""}).textContent.trim(),
			level: tr.cells[2].textContent.trim(),
			cells: Array.from(tr.cells, (c) => c.textContent.trim()),
		}));
		const n = h && h.nextElementSibling;
		return {heading: !!h, rows, next: n && n.tagName === "P" ? n.textContent.trim() : ""};
	})()`))
	if !v.Heading {
		b.fatalf("the user page has no \"Active sessions\" section")
	}
	return v.Rows, v.Next
}

// auditRow is a row of the audit log page.
type auditRow struct {
	Seq                   string
	Actor, Action, Target string
	Detail                map[string]string
}

// auditRows opens the audit log page at query (such as
// "?action=access.refused") and returns its rows, the detail parsed.
func (b *tab) auditRows(query string) []auditRow {
	b.t.Helper()
	b.do("open the audit log "+query,
		chromedp.Navigate(b.stack.DashboardURL+"/audit"+query),
		chromedp.WaitVisible(chromedp.ID("chain")))
	raw := get(b, "read the audit records", chromedp.Evaluate[[][]string](
		`Array.from(document.querySelectorAll("main table tbody tr"), (tr) => Array.from(tr.cells, (c) => c.innerText.trim()))`))
	var out []auditRow
	for _, r := range raw {
		if len(r) != 7 { // #, at, actor, action, target, detail, hash
			b.fatalf("audit row %q: got %d cells, want 7", r, len(r))
		}
		row := auditRow{Seq: r[0], Actor: r[2], Action: r[3], Target: r[4], Detail: map[string]string{}}
		for line := range strings.SplitSeq(r[5], "\n") {
			if k, v, ok := strings.Cut(strings.TrimSpace(line), ": "); ok {
				row.Detail[k] = v
			}
		}
		out = append(out, row)
	}
	return out
}

// bankSignInStart opens the bank's /login in the customer's tab, which
// starts a new authorization request at Hydra, and waits until the browser
// settles on the provider's sign-in page or the bank's account page.
func (b *tab) bankSignInStart() *url.URL {
	b.t.Helper()
	b.do("start a sign-in at the bank",
		chromedp.Navigate(b.stack.BankURL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#passkey-signin, #acr")),
	)
	return b.location()
}

// fetchExport fetches GET /audit/export from the page, with its cookies.
const fetchExport = `fetch("/audit/export", {credentials: "same-origin"}).then(async (r) => ({
	status: r.status, type: r.headers.get("Content-Type"), disposition: r.headers.get("Content-Disposition"), body: await r.text(),
}))`

// exportResponse is what fetchExport got.
type exportResponse struct {
	Status      int    `json:"status"`
	ContentType string `json:"type"`
	Disposition string `json:"disposition"`
	Body        string `json:"body"`
}

// TestBrowserDashboard is the dashboard part of issue 4's "Done when", on
// the stack `make run` starts, each step a subtest on the same stack (a
// failed step ends the test):
//
//  1. the fraud, support and admin demo operators enroll from their links
//     (passkey + sandbox pass), each in a browser context of its own, and a
//     customer signs up at the bank, enrolls, signs in and steps up once
//     (a new payee: passkey and a passed identity check);
//  2. the fraud operator signs in to the dashboard through Hydra with the
//     passkey: the overview names the operator's sub, the role and the
//     sandbox;
//  3. a search by the customer id's prefix finds the customer who just
//     stepped up, whose page shows the passkey, the reference status, the
//     sign-in and step-up events, the step-up among the recent sign-ins
//     (level step-up, the bank's client, succeeded), the audit pseudonym
//     (linked to the audit log filtered by it) and, under "Active
//     sessions", the bank's client (its consent, granted at routine);
//  4. the support operator's user page offers no action, and a forged
//     revoke with the page's CSRF token is refused with 403; a revoke
//     without the CSRF token is refused with 403 for the fraud operator
//     too; the passkey stays active and the audit log has no revoke;
//  5. the support operator is refused the configuration view with 403,
//     and the audit log has the refusal (access.refused) by support's sub;
//  6. the fraud operator revokes the customer's sessions: first, as a
//     control, a new bank sign-in completes without the sign-in page (Hydra
//     skips the login: the passkey does not sign, auth_time is an earlier
//     sign-in's); then revoke (reason, confirmation): the page says so and
//     lists no session; the customer's next bank sign-in stops at the
//     provider's sign-in page;
//  7. the fraud operator revokes the passkey (reason, confirmation): the
//     page says so and shows it revoked;
//  8. the customer's next sign-in with it fails, saying the passkey is no
//     longer valid;
//  9. the audit log, its chain intact, lists the one revoke and the one
//     sessions revoke by the fraud operator's sub, naming the customer by
//     the pseudonym only, and both operators' reads of the customer's
//     record;
//  10. the admin operator signs in;
//  11. the admin's configuration view lists the settings with every secret
//     "[redacted]" and none of the generated configuration's secrets; the
//     dead letters page loads and has none;
//  12. the admin exports the audit log (JSON lines): the dashboard's CSP
//     refuses a fetch by its page; with the CSP lifted (DevTools) the
//     page's fetch gets the export: seqs 1…n without gaps, the chain verifies (authenticator.VerifyAuditChain),
//     the last record is the export itself by the admin's sub, and no line
//     names the customer's external id;
//  13. the admin erases the customer (reason, confirmation with its
//     warning): /users says so, naming the pseudonym; the user page is 404;
//     the audit log filtered by the pseudonym lists the erasure by the
//     admin's sub; the customer's passkey no longer signs in: the provider
//     does not know it.
//
// Screenshots: dashboard-overview.png, dashboard-user.png (the user page
// as fraud, with the active sessions), dashboard-audit.png, dashboard-config.png,
// dashboard-erase-confirm.png; openAccount takes enroll.png too.
func TestBrowserDashboard(t *testing.T) {
	b := startBrowserTest(t)
	var (
		fraud, support, admin *operator
		customer              *tab
		firstSignIn           accountPage // the customer's sign-in after enrollment
		customerID            string      // the customer's external id: the bank's sub
		pseudonym             string      // the customer's audit pseudonym, p-…
		credID                string      // the customer's passkey, base64url
	)
	const (
		reason         = "Customer reported the phone stolen"
		sessionsReason = "Customer reported a session they did not start"
		eraseReason    = "Customer asked to be forgotten (GDPR art. 17)"
	)

	if !t.Run("enroll operators and customer", func(t *testing.T) {
		b := b.in(t)
		fraud = b.enrollOperator("fraud")
		support = b.enrollOperator("support")
		admin = b.enrollOperator("admin")
		customer = b.newDevice()
		if got := customer.openAccount("kim-" + secret()[:8]); got != msgEnrolled {
			t.Errorf("customer's enrollment result: got %q, want %q", got, msgEnrolled)
		}
		credID = base64.RawURLEncoding.EncodeToString(customer.credentials()[0].CredentialID)
		customer.returnToBank()
		firstSignIn = customer.signIn()
		customerID = firstSignIn.sub
		// The customer steps up: a new payee needs a fresh passkey
		// assertion and a passed identity check.
		customer.startPayee(payeeName, payeeIBAN)
		customer.approvalPage("payee_creation")
		customer.approveWithPasskey()
		customer.identityCheck(idvbridge.JourneyStepUp, "pass", "")
		checkStepUpDone(t, customer.readDone("payees"), "Payee added")
	}) {
		return
	}

	if !t.Run("fraud operator signs in", func(t *testing.T) {
		o := fraud.in(t)
		fraud.sub = o.signInDashboard()
		// The overview charts today's sign-in and step-up of the customer.
		if n := get(o.tab, "count the charts", chromedp.Evaluate[int](`document.querySelectorAll("main svg").length`)); n == 0 {
			t.Errorf("overview: got no charts, want the daily activity charts")
		}
		o.screenshot("dashboard-overview.png")
	}) {
		return
	}

	if !t.Run("search and user page", func(t *testing.T) {
		o := fraud.in(t)
		prefix := customerID[:min(len(customerID), 12)]
		o.do("open the search",
			chromedp.Navigate(o.stack.DashboardURL+"/users"),
			chromedp.WaitVisible(chromedp.ID("q")),
			chromedp.SendKeys(chromedp.ID("q"), prefix),
		)
		// The search page lists every user before the search: wait for
		// the answer's page, not the table already shown.
		o.navigate("search by id prefix", chromedp.Click(chromedp.CSS("form.search button")))
		if u := o.location(); u.Query().Get("q") != prefix {
			o.fatalf("search: got %s, want /users?q=%s", u, prefix)
		}
		rows := o.dashboardRows()
		if len(rows) != 1 || rows[0][0] != customerID || rows[0][3] != "enrolled" {
			t.Fatalf("search %q: got rows %q, want the customer %s, enrolled", prefix, rows, customerID)
		}
		o.do("open the user page",
			chromedp.Click(chromedp.CSS(`main table a[href="/users/`+customerID+`"]`)),
			chromedp.WaitVisible(chromedp.CSS("ol.timeline")),
		)
		if u := o.location(); u.String() != o.stack.DashboardURL+"/users/"+customerID {
			o.fatalf("search result link: got %s, want the user page", u)
		}
		facts := o.userFacts()
		if facts["Status"] != "enrolled" || !strings.HasPrefix(facts["Biometric reference"], msgReferenceOnFile) {
			t.Errorf("user facts: got %q, want status enrolled and the reference %q", facts, msgReferenceOnFile)
		}
		pseudonym = o.text("audit-subject")
		if !regexp.MustCompile(`^p-[0-9a-f]{32}$`).MatchString(pseudonym) {
			o.fatalf("#audit-subject: got %q, want a pseudonym p- and 32 hex digits", pseudonym)
		}
		if got, want := o.attr("audit-subject", "href"), "/audit?subject="+pseudonym; got != want {
			t.Errorf("#audit-subject[href]: got %q, want %q", got, want)
		}
		row := o.passkeyRow(credID)
		if row[3] != "device-bound" || row[5] == "never" || row[6] != "active" {
			t.Errorf("passkey row: got %q, want device-bound, used, active", row)
		}
		events := get(o.tab, "read the events", chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll("ol.timeline li"), (li) => li.textContent.trim())`))
		if !slices.ContainsFunc(events, func(e string) bool {
			return strings.Contains(e, "authentication.succeeded") && strings.Contains(e, credID)
		}) {
			t.Errorf("events: got %q, want an authentication.succeeded with passkey %s", events, credID)
		}
		if !slices.ContainsFunc(events, func(e string) bool {
			return strings.Contains(e, "step_up.passed") && strings.Contains(e, credID)
		}) {
			t.Errorf("events: got %q, want a step_up.passed with passkey %s", events, credID)
		}
		// The user who just stepped up: the recent sign-ins show the
		// step-up session (journey, level, client, result) …
		// time, journey, level reached, client, result, passkey.
		if rows := o.dashboardRows(); !slices.ContainsFunc(rows, func(r []string) bool {
			return len(r) == 6 && r[1] == "step-up" && r[2] == "step-up" && r[3] == devstack.BankClientID && r[4] == "succeeded"
		}) {
			t.Errorf("recent sign-ins: got rows %q, want a succeeded step-up at the step-up level for %s", rows, devstack.BankClientID)
		}
		// … and Hydra's session with the bank: the consent, remembered since
		// the first sign-in (the step-up reused it), at the level it was
		// granted at.
		sessions, none := o.activeSessions()
		if !slices.ContainsFunc(sessions, func(r sessionRow) bool {
			return r.Client == devstack.BankClientID && r.Level == "routine"
		}) {
			t.Errorf("active sessions: got %+v (%q), want the one granted at routine for the client %q", sessions, none, devstack.BankClientID)
		}
		o.screenshot("dashboard-user.png")
	}) {
		return
	}

	if !t.Run("support cannot revoke", func(t *testing.T) {
		o := support.in(t)
		support.sub = o.signInDashboard()
		o.openUser(customerID)
		if n := get(o.tab, "count the action forms", chromedp.Evaluate[int](`document.querySelectorAll('form[action$="/act"]').length`)); n != 0 {
			t.Errorf("support's user page: got %d action forms, want none", n)
		}
		status, msg := o.forgeAction(customerID, map[string]string{
			"action": "revoke-credential", "credential": credID, "reason": "forged", "confirm": "yes",
		}, true)
		if status != http.StatusForbidden || msg != msgSupportNoRevoke {
			t.Errorf("support's forged revoke: got %d %q, want %d %q", status, msg, http.StatusForbidden, msgSupportNoRevoke)
		}

		f := fraud.in(t)
		f.openUser(customerID)
		status, msg = f.forgeAction(customerID, map[string]string{
			"action": "revoke-credential", "credential": credID, "reason": "no token", "confirm": "yes",
		}, false)
		if status != http.StatusForbidden || msg != msgFormRefused {
			t.Errorf("fraud's revoke without the CSRF token: got %d %q, want %d %q", status, msg, http.StatusForbidden, msgFormRefused)
		}
		f.openUser(customerID)
		if row := f.passkeyRow(credID); row[6] != "active" {
			t.Errorf("passkey after the refused revokes: got status %q, want active", row[6])
		}
		if recs := f.auditRows("?action=" + authenticator.AuditCredentialRevoke); len(recs) != 0 {
			t.Errorf("audit log after the refused revokes: got %d credential.revoke records (%+v), want none", len(recs), recs)
		}
	}) {
		return
	}

	if !t.Run("support is refused the configuration, audited", func(t *testing.T) {
		o := support.in(t)
		if status := o.load("open the configuration as support", o.stack.DashboardURL+"/config"); status != http.StatusForbidden {
			o.fatalf("support's /config: got status %d, want %d", status, http.StatusForbidden)
		}
		if got := o.errorText(); got != msgSupportNoConfig {
			t.Errorf("support's /config: got %q, want %q", got, msgSupportNoConfig)
		}
		if get(o.tab, "look for #settings", chromedp.Evaluate[bool](`document.getElementById("settings") !== null`)) {
			t.Errorf("support's /config: got the settings table, want none")
		}
		// The fraud team sees the attempt in the tamper-evident log.
		recs := fraud.in(t).auditRows("?action=" + authenticator.AuditAccessRefused + "&actor=" + support.sub)
		want := map[string]string{"attempted": "viewing the configuration", "why": authenticator.RefusedRole, "role": "support"}
		if !slices.ContainsFunc(recs, func(r auditRow) bool {
			return r.Actor == support.sub && r.Target == "" && maps.Equal(r.Detail, want)
		}) {
			t.Errorf("audit access.refused records by %s: got %+v, want one with no target and detail %v", support.sub, recs, want)
		}
	}) {
		return
	}

	if !t.Run("fraud revokes the customer's sessions", func(t *testing.T) {
		c := customer.in(t)
		// Control: the customer's session at Hydra is live, so a new sign-in
		// at the bank is a skipped login: no sign-in page, the passkey does
		// not sign, and the ID token's auth_time is an earlier sign-in's.
		count := c.signCount()
		before := time.Now()
		if u := c.bankSignInStart(); u.String() != c.stack.BankURL+"/account" {
			c.fatalf("the customer's sign-in with a live session: got %s, want the bank's account page without the provider's sign-in page", u)
		}
		skipped := c.readAccount()
		if skipped.sub != customerID || !ladderSatisfies(skipped.acr, acr.RoutineACR) ||
			skipped.authTime.Before(firstSignIn.authTime) || skipped.authTime.After(before) {
			t.Errorf("account page after the skipped login: got sub %q, acr %q, auth_time %s; want %q, at least %q, auth_time of an earlier sign-in (%s to %s)",
				skipped.sub, skipped.acr, skipped.authTime, customerID, acr.RoutineACR, firstSignIn.authTime, before)
		}
		if got := c.signCount(); got != count {
			t.Fatalf("passkey signature counter after the skipped login: got %v, want %v (unused)", got, count)
		}

		o := fraud.in(t)
		o.openUser(customerID)
		if rows, none := o.activeSessions(); !slices.ContainsFunc(rows, func(r sessionRow) bool { return r.Client == devstack.BankClientID }) {
			t.Errorf("active sessions before the revoke: got %+v (%q), want the client %q", rows, none, devstack.BankClientID)
		}
		form := `form.action:has(input[name="action"][value="revoke-sessions"])`
		o.do("revoke the sessions with a reason",
			chromedp.SendKeys(chromedp.CSS(form+` input[name="reason"]`), sessionsReason),
			chromedp.Click(chromedp.CSS(form+` button`)),
			chromedp.WaitVisible(chromedp.ID("confirm")),
		)
		if got, want := o.text("confirm"), "Confirm: Revoke sessions for "+customerID+"?"; got != want {
			t.Errorf("#confirm: got %q, want %q", got, want)
		}
		o.do("confirm", chromedp.Click(chromedp.CSS("main form button")), chromedp.WaitVisible(chromedp.ID("flash")))
		if got := o.text("flash"); got != msgSessionsRevoked {
			t.Errorf("#flash: got %q, want %q", got, msgSessionsRevoked)
		}
		if u := o.location(); u.String() != o.stack.DashboardURL+"/users/"+customerID {
			t.Errorf("after the sessions revoke: got %s, want the user page", u)
		}
		if rows, none := o.activeSessions(); len(rows) != 0 || none != msgNoSessions {
			t.Errorf("active sessions after the revoke: got %+v and %q, want none and %q", rows, none, msgNoSessions)
		}

		// The same request now finds no session at Hydra: the provider's
		// sign-in page, though the passkey and the user are still active.
		if u := c.bankSignInStart(); !strings.HasPrefix(u.String(), c.stack.ProviderURL+"/login?login_challenge=") {
			c.fatalf("the customer's sign-in after the revoke: got %s, want the provider's sign-in page", u)
		}
		if got := c.signCount(); got != count {
			t.Errorf("passkey signature counter on the sign-in page: got %v, want %v (unused)", got, count)
		}
	}) {
		return
	}

	if !t.Run("fraud revokes the passkey", func(t *testing.T) {
		o := fraud.in(t)
		o.openUser(customerID)
		form := `tr form.action:has(input[name="action"][value="revoke-credential"])`
		o.do("revoke with a reason",
			chromedp.SendKeys(chromedp.CSS(form+` input[name="reason"]`), reason),
			chromedp.Click(chromedp.CSS(form+` button`)),
			chromedp.WaitVisible(chromedp.ID("confirm")),
		)
		if got, want := o.text("confirm"), "Confirm: Revoke passkey for passkey "+credID+" of user "+customerID+"?"; got != want {
			t.Errorf("#confirm: got %q, want %q", got, want)
		}
		o.do("confirm", chromedp.Click(chromedp.CSS("main form button")), chromedp.WaitVisible(chromedp.ID("flash")))
		if got, want := o.text("flash"), "Passkey revoked. Passkey "+credID+" status: revoked."; got != want {
			t.Errorf("#flash: got %q, want %q", got, want)
		}
		if u := o.location(); u.String() != o.stack.DashboardURL+"/users/"+customerID {
			t.Errorf("after the revoke: got %s, want the user page", u)
		}
		if row := o.passkeyRow(credID); !strings.HasPrefix(row[6], "revoked") || !strings.Contains(row[6], reason) {
			t.Errorf("passkey status after the revoke: got %q, want revoked with the reason %q", row[6], reason)
		}
	}) {
		return
	}

	if !t.Run("revoked passkey no longer signs in", func(t *testing.T) {
		c := customer.in(t)
		c.refusedSignIn("the revoked passkey", msgPasskeyRevoked)
	}) {
		return
	}

	if !t.Run("audit lists the revoke", func(t *testing.T) {
		o := fraud.in(t)
		// Records name the customer by their audit pseudonym, never by the
		// external id (ADR 0010): the revoke's detail gives it.
		rows := o.auditRows("")
		if got := o.text("chain"); !strings.HasPrefix(got, "Chain intact") {
			t.Errorf("#chain: got %q, want the chain intact", got)
		}
		var revokes, sessionRevokes []auditRow
		for _, r := range rows {
			switch r.Action {
			case authenticator.AuditCredentialRevoke:
				revokes = append(revokes, r)
			case authenticator.AuditSessionsRevoke:
				sessionRevokes = append(sessionRevokes, r)
			}
			if strings.Contains(r.Target, customerID) || slices.ContainsFunc(slices.Collect(maps.Values(r.Detail)), func(v string) bool {
				return strings.Contains(v, customerID)
			}) {
				t.Errorf("audit record %+v: got the customer's external id, want their pseudonym only", r)
			}
		}
		if len(revokes) != 1 || revokes[0].Actor != o.sub || revokes[0].Target != credID ||
			revokes[0].Detail["reason"] != reason || revokes[0].Detail["user"] != pseudonym {
			t.Errorf("audit credential.revoke records: got %+v, want one by %s on %s with the reason %q and the customer's pseudonym %s",
				revokes, o.sub, credID, reason, pseudonym)
		}
		wantDetail := map[string]string{"reason": sessionsReason, "result": authenticator.SessionsRevoked}
		if len(sessionRevokes) != 1 || sessionRevokes[0].Actor != o.sub || sessionRevokes[0].Target != pseudonym ||
			!maps.Equal(sessionRevokes[0].Detail, wantDetail) {
			t.Errorf("audit sessions.revoke records: got %+v, want one by %s on %s with detail %v", sessionRevokes, o.sub, pseudonym, wantDetail)
		}
		readers := map[string]bool{}
		for _, r := range rows {
			if r.Action == authenticator.AuditUserRead && r.Target == pseudonym {
				readers[r.Actor] = true
			}
		}
		// Every read of the user's record is audited with the operator's sub.
		for _, sub := range []string{fraud.sub, support.sub} {
			if !readers[sub] {
				t.Errorf("audit user.read records of %s (%s): got readers %v, want %s among them", customerID, pseudonym, readers, sub)
			}
		}
		o.screenshot("dashboard-audit.png")
	}) {
		return
	}

	if !t.Run("admin operator signs in", func(t *testing.T) {
		admin.sub = admin.in(t).signInDashboard()
	}) {
		return
	}

	if !t.Run("admin views the configuration and dead letters", func(t *testing.T) {
		o := admin.in(t)
		o.navigate("open the configuration", chromedp.Navigate(o.stack.DashboardURL+"/config"))
		o.do("wait for the settings", chromedp.WaitVisible(chromedp.ID("settings")))
		settings := map[string]string{}
		for _, r := range get(o.tab, "read the settings", chromedp.Evaluate[[][]string](
			`Array.from(document.querySelectorAll("#settings tbody tr"), (tr) => Array.from(tr.cells, (c) => c.textContent.trim()))`)) {
			if len(r) != 2 {
				o.fatalf("settings row %q: got %d cells, want 2", r, len(r))
			}
			settings[r[0]] = r[1]
		}
		if got := settings["host.public_url"]; got != o.stack.ProviderURL {
			t.Errorf("setting host.public_url: got %q, want %q", got, o.stack.ProviderURL)
		}
		// The secrets make run generated for this stack: each is listed,
		// redacted, and its value is nowhere in the page.
		cfg, err := app.Load(o.stack.ConfigPath, nil)
		if err != nil {
			t.Fatalf("load the stack's configuration: %v", err)
		}
		// (internal/app's TestSettingsRedactAndFlatten holds that every
		// Secret is redacted; this checks the running page.)
		secrets := map[string]string{
			"adminui.client_secret":                    cfg.AdminUI.ClientSecret.Reveal(),
			"adminui.session_key":                      cfg.AdminUI.SessionKey.Reveal(),
			"authenticator.idv.reference_key":          cfg.Authenticator.IDV.ReferenceKey.Reveal(),
			"authenticator.idv.sandbox.webhook_secret": cfg.Authenticator.IDV.Sandbox.WebhookSecret.Reveal(),
		}
		for key, value := range secrets {
			if len(value) < 16 {
				t.Fatalf("the stack's configuration %s: %s is %q, want a generated secret", o.stack.ConfigPath, key, value)
			}
		}
		html := get(o.tab, "read the page", chromedp.Evaluate[string](`document.documentElement.outerHTML`))
		for key, value := range secrets {
			if got := settings[key]; got != "[redacted]" {
				t.Errorf("setting %s: got %q, want [redacted]", key, got)
			}
			if strings.Contains(html, value) {
				t.Errorf("the configuration page: got the value of %s in it, want it redacted", key)
			}
		}
		o.screenshot("dashboard-config.png")

		o.navigate("open the dead letters", chromedp.Navigate(o.stack.DashboardURL+"/events/dead"))
		// make run configures no webhook endpoint: nothing is ever dead.
		o.do("wait for the dead letters page", chromedp.WaitVisible(chromedp.ID("no-deadletters")))
	}) {
		return
	}

	if !t.Run("admin exports the audit log", func(t *testing.T) {
		o := admin.in(t)
		// The dashboard's CSP (default-src 'none') lets no script of its
		// pages connect anywhere: the page's fetch is refused...
		o.do("open the audit log", chromedp.Navigate(o.stack.DashboardURL+"/audit"), chromedp.WaitVisible(chromedp.ID("export")))
		ctx, cancel := o.stepContext()
		_, err := chromedp.Run(ctx, chromedp.Evaluate[exportResponse](fetchExport, chromedp.EvalAwaitPromise))
		cancel()
		if err == nil || !strings.Contains(err.Error(), "Failed to fetch") {
			t.Errorf("fetch of /audit/export under the dashboard's CSP: got error %v, want the browser's \"Failed to fetch\"", err)
		}
		// ...so the test lifts it for this tab (DevTools), as the brief's
		// stand-in for the #export link's download.
		call(o.tab, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true})
		o.do("reload the audit log without its CSP", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("export")))
		res := get(o.tab, "fetch the export", chromedp.Evaluate[exportResponse](fetchExport, chromedp.EvalAwaitPromise))
		call(o.tab, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: false})
		if res.Status != http.StatusOK || !strings.HasPrefix(res.ContentType, "application/jsonl") || !strings.HasPrefix(res.Disposition, "attachment;") {
			o.fatalf("GET /audit/export: got %d, %q, %q, want 200, application/jsonl, an attachment", res.Status, res.ContentType, res.Disposition)
		}
		lines := strings.Split(strings.TrimSuffix(res.Body, "\n"), "\n")
		records := make([]authenticator.AuditRecord, len(lines))
		for i, line := range lines {
			if err := json.Unmarshal([]byte(line), &records[i]); err != nil {
				t.Fatalf("export line %d %q: %v", i+1, line, err)
			}
			if records[i].Seq != int64(i+1) {
				t.Fatalf("export line %d: got seq %d, want %d (seqs from 1 without gaps)", i+1, records[i].Seq, i+1)
			}
			if strings.Contains(line, customerID) {
				t.Errorf("export line %d %s: got the customer's external id %s, want their pseudonym only", i+1, line, customerID)
			}
		}
		v, err := authenticator.VerifyAuditChain(records)
		if err != nil || !v.Intact() || v.Records != len(records) {
			t.Errorf("VerifyAuditChain of the export: got %+v, %v, want intact over %d records", v, err, len(records))
		}
		if !strings.Contains(res.Body, pseudonym) {
			t.Errorf("the export: got no record naming the customer's pseudonym %s, want their reads and revokes", pseudonym)
		}
		// Audited before a record was read: the export holds its own
		// record, the last, since nothing else happened meanwhile.
		last := records[len(records)-1]
		if last.Action != authenticator.AuditExport || last.Actor != admin.sub || last.Target != "" ||
			!maps.Equal(last.Detail, map[string]string{"format": "jsonl", "via": "dashboard"}) {
			t.Errorf("the export's last record: got %s %s on %q with %v, want %s by %s, no target, format jsonl via dashboard",
				last.Action, last.Actor, last.Target, last.Detail, authenticator.AuditExport, admin.sub)
		}
	}) {
		return
	}

	t.Run("admin erases the customer", func(t *testing.T) {
		o := admin.in(t)
		o.openUser(customerID)
		form := `form.action:has(input[name="action"][value="erase-user"])`
		o.do("erase with a reason",
			chromedp.SendKeys(chromedp.CSS(form+` input[name="reason"]`), eraseReason),
			chromedp.Click(chromedp.CSS(form+` button`)),
			chromedp.WaitVisible(chromedp.ID("confirm")),
			chromedp.WaitVisible(chromedp.ID("warning")),
		)
		if got, want := o.text("confirm"), "Confirm: Erase user for "+customerID+"?"; got != want {
			t.Errorf("#confirm: got %q, want %q", got, want)
		}
		if got := o.text("warning"); got != msgEraseWarning {
			t.Errorf("#warning: got %q, want %q", got, msgEraseWarning)
		}
		o.screenshot("dashboard-erase-confirm.png")
		o.do("confirm", chromedp.Click(chromedp.CSS("main form button")), chromedp.WaitVisible(chromedp.ID("flash")))
		if u := o.location(); u.String() != o.stack.DashboardURL+"/users" {
			t.Errorf("after the erasure: got %s, want %s/users", u, o.stack.DashboardURL)
		}
		// One passkey (revoked, still the user's), the enrollment's reference.
		flash := regexp.MustCompile(`^User ` + regexp.QuoteMeta(customerID) + ` erased: 1 passkey, 1 biometric reference, [0-9]+ events deleted\. ` +
			`The audit log keeps the pseudonym ` + regexp.QuoteMeta(pseudonym) + `\.$`)
		if got := o.text("flash"); !flash.MatchString(got) {
			t.Errorf("#flash: got %q, want it to match %s", got, flash)
		}
		if rows := o.dashboardRows(); slices.ContainsFunc(rows, func(r []string) bool { return len(r) > 0 && r[0] == customerID }) {
			t.Errorf("/users after the erasure: got %q, want no %s", rows, customerID)
		}
		if status := o.load("open the erased user's page", o.stack.DashboardURL+"/users/"+customerID); status != http.StatusNotFound {
			o.fatalf("the erased user's page: got status %d, want %d", status, http.StatusNotFound)
		}
		// The page withholds every detail whose key names a reference
		// (adminui's hiddenDetailKey), the erasure's "references" count too.
		recs := o.auditRows("?subject=" + pseudonym)
		if !slices.ContainsFunc(recs, func(r auditRow) bool {
			return r.Action == authenticator.AuditUserErase && r.Actor == admin.sub && r.Target == pseudonym &&
				r.Detail["reason"] == eraseReason && r.Detail["credentials"] == "1"
		}) {
			t.Errorf("audit records of %s: got %+v, want a user.erase by %s with the reason and 1 credential", pseudonym, recs, admin.sub)
		}

		customer.in(t).refusedSignIn("the erased user's passkey", msgPasskeyUnknown)
	})
}

// refusedSignIn starts a sign-in at the bank, which must stop at the
// provider's sign-in page, uses the tab's passkey there and checks that the
// provider refuses it with msg, leaving the browser on the page.
func (b *tab) refusedSignIn(passkey, msg string) {
	b.t.Helper()
	signIn := b.bankSignInStart()
	if !strings.HasPrefix(signIn.String(), b.stack.ProviderURL+"/login?") {
		b.fatalf("customer's sign-in: got %s, want the provider's sign-in page", signIn)
	}
	b.do("sign in with "+passkey,
		scriptReady(),
		chromedp.Click(chromedp.ID("passkey-signin")),
		chromedp.WaitVisible(chromedp.CSS("#status.error")),
		chromedp.WaitEnabled(chromedp.ID("passkey-signin")),
	)
	if got := b.text("status"); got != msg {
		b.t.Errorf("#status with %s: got %q, want %q", passkey, got, msg)
	}
	if got := b.location(); got.String() != signIn.String() {
		b.t.Errorf("after %s: got %s, want to stay on %s", passkey, got, signIn)
	}
}
