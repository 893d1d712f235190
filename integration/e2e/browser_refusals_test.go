package e2e_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/biometric-passkey/biometric-passkey/idvbridge"
)

// TestBrowserStepUpRefusals covers the step-ups that must not go through,
// as subtests on one stack and one signed-in customer:
//
//   - adding a payee always steps up, and the sign-in page shows the payee
//     (payee_creation: name and IBAN) before the passkey is used;
//   - a transfer above 100 EUR (100.01, just over the routine limit)
//     whose sandbox check is declined: the
//     progress page says so, follows the refused login back to the bank on
//     its own, and the bank shows "The transfer was not made" with the
//     provider's reason; the balance and the transfer list are unchanged;
//   - Cancel on the progress page during a transfer's step-up: the bank
//     shows the refusal, with the reason, and nothing changed.
func TestBrowserStepUpRefusals(t *testing.T) {
	b := startBrowserTest(t)
	if got := b.openAccount("kim-" + secret()[:8]); got != msgEnrolled {
		t.Fatalf("enrollment result: got %q, want %q", got, msgEnrolled)
	}
	b.returnToBank()
	b.signIn()
	balance := b.balanceCents()

	if !t.Run("add payee shows payee details", func(t *testing.T) {
		b := b.in(t)
		b.startPayee(payeeName, "DE89 3704 0044 0532 0130 00") // spaces, as people type them
		shown := b.approvalPage("payee_creation")
		for _, want := range []string{payeeName, payeeIBAN} {
			if !strings.Contains(shown, want) {
				t.Errorf("#detail-0: got %q, want it to show %q", shown, want)
			}
		}
		b.approveWithPasskey()
		b.identityCheck(idvbridge.JourneyStepUp, "pass", "")
		d := b.readDone("payees")
		checkStepUpDone(t, d, "Payee added")
		if got := b.text("done-payee"); got != payeeName {
			t.Errorf("#done-payee: got %q, want %q", got, payeeName)
		}
	}) {
		return
	}

	// refused checks the bank's page after a refused transfer step-up, and
	// that the account did not change.
	refused := func(t *testing.T, b *tab, reason string) {
		t.Helper()
		heading, text, detail := b.refusal()
		if heading != msgTransferNotMade || text != msgStepUpUnmet {
			t.Errorf("the bank's answer: got %q: %q, want %q: %q", heading, text, msgTransferNotMade, msgStepUpUnmet)
		}
		if !strings.Contains(detail, reason) {
			t.Errorf("#message-detail: got %q, want the provider's reason %q", detail, reason)
		}
		if got := b.balanceCents(); got != balance {
			t.Errorf("#balance after the refusal: got %d cents, want %d (unchanged)", got, balance)
		}
		if got := b.text("transfers"); got != "No transfers yet." {
			t.Errorf("#transfers after the refusal: got %q, want no transfers", got)
		}
	}

	t.Run("declined identity check", func(t *testing.T) {
		b := b.in(t)
		b.startTransfer("100.01", "Declined")
		b.checkTransferDetails("100.01", payeeName, payeeIBAN, "Declined")
		b.approveWithPasskey()
		b.identityCheck(idvbridge.JourneyStepUp, "declined", "")
		// The page says why, then goes back to the bank by itself.
		b.do("wait for the refusal", chromedp.WaitVisible(chromedp.CSS("#status.error")), chromedp.WaitVisible(chromedp.ID("continue-link")))
		if got := b.text("status"); got != msgCheckDeclined {
			t.Errorf("#status after a declined check: got %q, want %q", got, msgCheckDeclined)
		}
		if got := b.attr("verify", "data-refused"); got != "true" {
			t.Errorf("#verify[data-refused]: got %q, want true", got)
		}
		refused(t, b, msgCheckDeclined)
	})

	t.Run("cancel on the progress page", func(t *testing.T) {
		b := b.in(t)
		b.startTransfer("300.00", "Cancelled")
		b.checkTransferDetails("300.00", payeeName, payeeIBAN, "Cancelled")
		b.approveWithPasskey()
		b.do("cancel the identity check",
			chromedp.Click(chromedp.ID("verify-cancel")),
			chromedp.WaitVisible(chromedp.ID("continue-link")),
		)
		if got := b.text("status"); got != msgCheckCancelled {
			t.Errorf("#status after Cancel: got %q, want %q", got, msgCheckCancelled)
		}
		b.do("return to the bank", chromedp.Click(chromedp.ID("continue-link")))
		refused(t, b, msgCheckCancelled)
	})
}
