package e2e_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/internal/devstack"
)

// Texts of the dashboard's pages, as adminui writes them.
const (
	msgFormRefused     = "This form has expired or did not come from the dashboard. Go back, reload the page and try again."
	msgSupportNoRevoke = "Your role (support) does not allow this action: revoke passkey. Nothing was changed."
	msgReferenceOnFile = "on file with the identity-verification provider"
)

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

// TestBrowserDashboard is the dashboard part of issue 4's "Done when", on
// the stack `make run` starts, each step a subtest on the same stack (a
// failed step ends the test):
//
//  1. the fraud and the support demo operators enroll from their links
//     (passkey + sandbox pass), each in a browser context of its own, and a
//     customer signs up at the bank, enrolls and signs in once;
//  2. the fraud operator signs in to the dashboard through Hydra with the
//     passkey: the overview names the operator's sub, the role and the
//     sandbox;
//  3. a search by the customer id's prefix finds the customer, whose page
//     shows the passkey, the reference status and the sign-in event;
//  4. the support operator's user page offers no action, and a forged
//     revoke with the page's CSRF token is refused with 403; a revoke
//     without the CSRF token is refused with 403 for the fraud operator
//     too; the passkey stays active and the audit log has no revoke;
//  5. the fraud operator revokes the passkey (reason, confirmation): the
//     page says so and shows it revoked;
//  6. the customer's next sign-in with it fails, saying the passkey is no
//     longer valid;
//  7. the audit log, its chain intact, lists the one revoke by the fraud
//     operator's sub, and both operators' reads of the customer's record.
//
// Screenshots: dashboard-user.png (the user page as fraud),
// dashboard-audit.png; openAccount takes enroll.png too.
func TestBrowserDashboard(t *testing.T) {
	b := startBrowserTest(t)
	var (
		fraud, support *operator
		customer       *tab
		customerID     string // the customer's external id: the bank's sub
		credID         string // the customer's passkey, base64url
	)
	const reason = "Customer reported the phone stolen"

	if !t.Run("enroll operators and customer", func(t *testing.T) {
		b := b.in(t)
		fraud = b.enrollOperator("fraud")
		support = b.enrollOperator("support")
		customer = b.newDevice()
		if got := customer.openAccount("kim-" + secret()[:8]); got != msgEnrolled {
			t.Errorf("customer's enrollment result: got %q, want %q", got, msgEnrolled)
		}
		credID = base64.RawURLEncoding.EncodeToString(customer.credentials()[0].CredentialID)
		customer.returnToBank()
		customerID = customer.signIn().sub
	}) {
		return
	}

	if !t.Run("fraud operator signs in", func(t *testing.T) {
		fraud.sub = fraud.in(t).signInDashboard()
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
		facts := get(o.tab, "read the facts", chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll("dl.facts dd"), (dd) => dd.textContent.trim())`))
		if len(facts) < 6 || facts[0] != "enrolled" || !strings.HasPrefix(facts[5], msgReferenceOnFile) {
			t.Errorf("user facts: got %q, want status enrolled and the reference %q", facts, msgReferenceOnFile)
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
		f.do("open the audit log's revokes",
			chromedp.Navigate(f.stack.DashboardURL+"/audit?action=credential.revoke"),
			chromedp.WaitVisible(chromedp.ID("chain")))
		if n := get(f.tab, "count the revokes", chromedp.Evaluate[int](`document.querySelectorAll("main table tbody tr").length`)); n != 0 {
			t.Errorf("audit log after the refused revokes: got %d credential.revoke records, want none", n)
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
		c.do("sign in at the bank again",
			chromedp.Navigate(c.stack.BankURL+"/login"),
			chromedp.WaitVisible(chromedp.ID("passkey-signin")),
			scriptReady(),
		)
		signIn := c.location()
		if !strings.HasPrefix(signIn.String(), c.stack.ProviderURL+"/login?") {
			c.fatalf("customer's sign-in: got %s, want the provider's sign-in page", signIn)
		}
		c.do("sign in with the revoked passkey",
			chromedp.Click(chromedp.ID("passkey-signin")),
			chromedp.WaitVisible(chromedp.CSS("#status.error")),
			chromedp.WaitEnabled(chromedp.ID("passkey-signin")),
		)
		if got := c.text("status"); got != msgPasskeyRevoked {
			t.Errorf("#status with the revoked passkey: got %q, want %q", got, msgPasskeyRevoked)
		}
		if got := c.location(); got.String() != signIn.String() {
			t.Errorf("after the revoked passkey: got %s, want to stay on %s", got, signIn)
		}
	}) {
		return
	}

	t.Run("audit lists the revoke", func(t *testing.T) {
		o := fraud.in(t)
		o.do("open the audit log",
			chromedp.Navigate(o.stack.DashboardURL+"/audit"),
			chromedp.WaitVisible(chromedp.ID("chain")),
		)
		if got := o.text("chain"); !strings.HasPrefix(got, "Chain intact") {
			t.Errorf("#chain: got %q, want the chain intact", got)
		}
		// #, at, actor, action, target, detail, hash. Records name the
		// customer by their audit pseudonym, never by the external id (ADR
		// 0010): the revoke's detail gives it.
		rows := o.dashboardRows()
		var revokes [][]string
		for _, r := range rows {
			if len(r) > 5 && r[3] == "credential.revoke" {
				revokes = append(revokes, r)
			}
			if len(r) > 5 && (strings.Contains(r[4], customerID) || strings.Contains(r[5], customerID)) {
				t.Errorf("audit record %q: got the customer's external id, want their pseudonym only", r)
			}
		}
		var pseudonym string
		if len(revokes) == 1 {
			if m := regexp.MustCompile(`user: (p-[0-9a-f]{32})`).FindStringSubmatch(revokes[0][5]); m != nil {
				pseudonym = m[1]
			}
		}
		if len(revokes) != 1 || revokes[0][2] != o.sub || revokes[0][4] != credID ||
			!strings.Contains(revokes[0][5], "reason: "+reason) || pseudonym == "" {
			t.Errorf("audit credential.revoke records: got %q, want one by %s on %s with the reason and the customer's pseudonym", revokes, o.sub, credID)
		}
		readers := map[string]bool{}
		for _, r := range rows {
			if len(r) > 4 && r[3] == "user.read" && r[4] == pseudonym {
				readers[r[2]] = true
			}
		}
		// Every read of the user's record is audited with the operator's sub.
		for _, sub := range []string{fraud.sub, support.sub} {
			if !readers[sub] {
				t.Errorf("audit user.read records of %s (%s): got readers %v, want %s among them", customerID, pseudonym, readers, sub)
			}
		}
		o.screenshot("dashboard-audit.png")
	})
}
