package e2e_test

import (
	"encoding/base64"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
)

// Helpers for the bank's transfers and payees (examples/bank/bankapp) and
// the step-ups they start, for the browser tests.

// Texts of the bank's and the provider's pages after a step-up, as the bank,
// the plugin (authenticator.FailureMessage) and static/passkey.js write them.
const (
	msgTransferNotMade   = "The transfer was not made"
	msgStepUpUnmet       = "Your sign-in couldn't reach the level this needs: your passkey together with a live face check. Nothing was changed."
	msgCheckDeclined     = "We could not confirm that it is you. Nothing was approved."
	msgCheckCancelled    = "You cancelled the identity check. Nothing was approved."
	msgPasskeyRevoked    = "This passkey is no longer valid."
	msgRecoveryCheckPass = "It is you: now create a new passkey on this device to replace the one you lost."
)

// A payee of the tests: the IBAN is ISO 13616's example, valid checksum.
const (
	payeeName = "Greta Gardener"
	payeeIBAN = "DE89370400440532013000"
)

// signIn follows the bank's #signin link and signs in with the tab's
// passkey at the routine level, then checks and returns the account page.
func (b *tab) signIn() accountPage {
	b.t.Helper()
	b.signInPage()
	started := time.Now()
	b.do("sign in with a passkey", chromedp.Click(chromedp.ID("passkey-signin")))
	p := b.readAccount()
	checkRoutine(b.t, p, started)
	return p
}

// balanceCents reads the balance on the bank's account page, in cents.
func (b *tab) balanceCents() int64 {
	b.t.Helper()
	b.do("open the account page",
		chromedp.Navigate(b.stack.BankURL+"/account"),
		chromedp.WaitVisible(chromedp.ID("balance")),
	)
	return b.euroCents("balance")
}

// euroCents reads an amount like "€1,234.50" from the element with the id.
func (b *tab) euroCents(id string) int64 {
	b.t.Helper()
	raw := b.text(id)
	c, ok := parseEuroCents(raw)
	if !ok {
		b.fatalf("#%s: got %q, want an amount in euros like €1,234.50", id, raw)
	}
	return c
}

var euroAmount = regexp.MustCompile(`^€([0-9]{1,3}(?:,[0-9]{3})*)\.([0-9]{2})$`)

// parseEuroCents parses the bank's way of writing an amount.
func parseEuroCents(s string) (int64, bool) {
	m := euroAmount.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	whole, err1 := strconv.ParseInt(strings.ReplaceAll(m[1], ",", ""), 10, 64)
	cents, err2 := strconv.ParseInt(m[2], 10, 64)
	return whole*100 + cents, err1 == nil && err2 == nil
}

// startPayee fills in the bank's "Add a payee" form and sends it.
func (b *tab) startPayee(name, iban string) {
	b.t.Helper()
	b.do("add a payee",
		chromedp.Navigate(b.stack.BankURL+"/payees/new"),
		chromedp.WaitVisible(chromedp.ID("payee-form")),
		chromedp.SendKeys(chromedp.ID("payee-name"), name),
		chromedp.SendKeys(chromedp.ID("iban"), iban),
		chromedp.Click(chromedp.ID("payee-submit")),
	)
}

// startTransfer fills in the bank's "New transfer" form for its first
// payee and sends it.
func (b *tab) startTransfer(amount, reference string) {
	b.t.Helper()
	b.do("start a transfer of "+amount,
		chromedp.Navigate(b.stack.BankURL+"/transfers/new"),
		chromedp.WaitVisible(chromedp.ID("transfer-form")),
		chromedp.SendKeys(chromedp.ID("amount"), amount),
		chromedp.SendKeys(chromedp.ID("reference"), reference),
		chromedp.Click(chromedp.ID("transfer-submit")),
	)
}

// approvalPage waits for the provider's sign-in page that a step-up sends
// the browser to, checks that it shows one authorization detail of
// detailType before the passkey button, and returns that detail's text.
func (b *tab) approvalPage(detailType string) string {
	b.t.Helper()
	b.do("wait for the approval's sign-in page",
		chromedp.WaitVisible(chromedp.ID("authorization-details")),
		chromedp.WaitVisible(chromedp.ID("detail-0")),
		chromedp.WaitVisible(chromedp.ID("passkey-signin")),
		scriptReady(),
	)
	if u := b.location(); !strings.HasPrefix(u.String(), b.stack.ProviderURL+"/login?") {
		b.fatalf("step-up: got %s, want the provider's sign-in page", u)
	}
	if got := b.attr("detail-0", "data-type"); got != detailType {
		b.t.Errorf("#detail-0[data-type]: got %q, want %q", got, detailType)
	}
	if n := get(b, "count the details", chromedp.Evaluate[int](`document.querySelectorAll("#authorization-details .detail").length`)); n != 1 {
		b.t.Errorf("details shown: got %d, want 1", n)
	}
	// What is approved comes before the button that approves it.
	before := get(b, "compare the details' and the button's places", chromedp.Evaluate[bool](
		`!!(document.getElementById("authorization-details").compareDocumentPosition(document.getElementById("passkey-signin")) & Node.DOCUMENT_POSITION_FOLLOWING)`))
	if !before {
		b.t.Errorf("#authorization-details: got after #passkey-signin, want before it")
	}
	return get(b, "read #detail-0", chromedp.Evaluate[string](`document.getElementById("detail-0").innerText`))
}

// checkTransferDetails checks the sign-in page's summary of a
// payment_initiation: amount, creditor, IBAN and reference, in view
// without opening "All details".
func (b *tab) checkTransferDetails(amount, creditor, iban, reference string) {
	b.t.Helper()
	b.approvalPage("payment_initiation")
	summary := strings.TrimSpace(get(b, "read .detail-summary", chromedp.Text(chromedp.CSS("#detail-0 .detail-summary"))))
	if want := "Pay €" + amount + " to " + creditor + " (" + iban + ")"; summary != want {
		b.t.Errorf(".detail-summary: got %q, want %q", summary, want)
	}
	ref := strings.TrimSpace(get(b, "read .detail-reference", chromedp.Text(chromedp.CSS("#detail-0 .detail-reference"))))
	if want := "Reference: " + reference; ref != want {
		b.t.Errorf(".detail-reference: got %q, want %q", ref, want)
	}
	// make run's identity checks are the sandbox's: the provider's pages say so.
	if got := b.text("sandbox-banner"); !strings.Contains(got, "SANDBOX") {
		b.t.Errorf("provider page #sandbox-banner: got %q, want it to say SANDBOX", got)
	}
}

// approveWithPasskey uses the tab's passkey on the approval's sign-in page
// and checks that it signed: its counter went up.
func (b *tab) approveWithPasskey() {
	b.t.Helper()
	before := b.signCount()
	b.do("approve with the passkey", chromedp.Click(chromedp.ID("passkey-signin")))
	b.waitVerifyPending(idvbridge.JourneyStepUp)
	if after := b.signCount(); after <= before {
		b.t.Errorf("passkey signature counter: got %v after the approval, want more than %v", after, before)
	}
}

// donePage is what the bank's confirmation of a transfer or payee shows.
type donePage struct {
	path, heading, acr, level, approvalID, detailsHash string
}

// readDone waits for the bank's confirmation page and reads it.
func (b *tab) readDone(kind string) donePage {
	b.t.Helper()
	b.do("wait for the confirmation", chromedp.WaitVisible(chromedp.ID("done-heading")), chromedp.WaitVisible(chromedp.ID("done-acr")))
	u := b.location()
	if u.Scheme+"://"+u.Host != b.stack.BankURL || !strings.HasPrefix(u.Path, "/"+kind+"/") {
		b.fatalf("confirmation: got %s, want %s/%s/…", u, b.stack.BankURL, kind)
	}
	d := donePage{
		path: u.Path, heading: b.text("done-heading"), acr: b.text("done-acr"),
		level: b.text("done-acr-level"), approvalID: b.text("done-approval-id"),
	}
	if get(b, "look for #done-details-hash", chromedp.Evaluate[bool](`document.getElementById("done-details-hash") !== null`)) {
		d.detailsHash = b.text("done-details-hash")
	}
	return d
}

// checkStepUpDone checks a confirmation made on a step-up approval: acr
// step-up, an approval id, and the SHA-256 hash of the approved details.
func checkStepUpDone(t *testing.T, d donePage, heading string) {
	t.Helper()
	if d.heading != heading {
		t.Errorf("#done-heading: got %q, want %q", d.heading, heading)
	}
	if d.acr != acr.StepUpACR || d.level != "step-up" {
		t.Errorf("#done-acr: got %q (%q), want %q (step-up)", d.acr, d.level, acr.StepUpACR)
	}
	if d.approvalID == "" || d.approvalID == "none" {
		t.Errorf("#done-approval-id: got %q, want the approval's id", d.approvalID)
	}
	if h, err := base64.RawURLEncoding.DecodeString(d.detailsHash); err != nil || len(h) != 32 {
		t.Errorf("#done-details-hash: got %q, want base64url of a SHA-256 hash", d.detailsHash)
	}
}

// historySince returns the addresses the tab showed after the first n
// entries of its history, and the history's length.
func (b *tab) historySince(n int) ([]*url.URL, int) {
	b.t.Helper()
	h := get(b, "read the history", chromedp.NavigationEntries())
	var out []*url.URL
	for i, e := range h.Entries {
		if i < n {
			continue
		}
		u, err := url.Parse(e.URL)
		if err != nil {
			b.fatalf("history entry %q: %v", e.URL, err)
		}
		out = append(out, u)
	}
	return out, len(h.Entries)
}

// refusal waits for the bank's page that says a step-up's order was not
// carried out and returns its heading, text and detail.
func (b *tab) refusal() (heading, text, detail string) {
	b.t.Helper()
	b.do("wait for the bank's answer", chromedp.WaitVisible(chromedp.ID("message-heading")), chromedp.WaitVisible(chromedp.ID("message-detail")))
	if u := b.location(); u.Scheme+"://"+u.Host+u.Path != b.stack.BankURL+"/callback" {
		b.fatalf("after the refused step-up: got %s, want the bank's %s/callback", u, b.stack.BankURL)
	}
	return b.text("message-heading"), b.text("message-text"), b.text("message-detail")
}
