package e2e_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// testEnrollmentCompleted: the RP's link, a passkey, then the enrollment's
// identity check; the vendor approves and its webhook makes the user
// enrolled, and a later step-up matches against that reference.
func testEnrollmentCompleted(t *testing.T, s *stack) {
	returnURL := "http://localhost:1/welcome" // the origin of the RP's redirect URI
	b, a, ans := s.enrollPasskeyWith(map[string]any{"external_user_id": "j-enroll", "return_url": returnURL})
	s.wantPending(b, ans, "enrollment")
	s.wantUserStatus("j-enroll", authenticator.UserBiometricPending)

	// The webhook alone completes the enrollment: a user who never comes
	// back to the progress page is enrolled all the same.
	run := s.idv.run(t, ans.IdentityCheck)
	if err := s.idv.fake.Complete(run, "approved"); err != nil {
		t.Fatal(err)
	}
	if code, body := s.vendorWebhook(run); code != http.StatusOK || !strings.Contains(string(body), `"accepted"`) {
		t.Fatalf("webhook: got %d %s, want 200 accepted", code, body)
	}
	s.wantUserStatus("j-enroll", authenticator.UserEnrolled)
	p, code := s.continueJourney(b, nil)
	if code != http.StatusOK || p.Journey != "enrollment" || p.Status != "passed" || p.Reason != "" || p.RedirectTo != "" || p.Error != "" || p.ReturnURL != returnURL {
		t.Fatalf("continue after approval: got %d %s, want a passed enrollment, no login, return_url %s", code, s.last, returnURL)
	}
	if n := s.events("j-enroll", authenticator.EventReferenceCreated); n != 1 {
		t.Errorf("reference.created events: got %d, want 1", n)
	}
	if s.journeyCookie(b) != "" {
		t.Error("the journey cookie outlived the finished journey")
	}

	// The reference is usable: a step-up matches against it.
	b2 := s.newBrowser()
	r, ans := s.stepUp(b2, a)
	s.wantPending(b2, ans, "step_up")
	p = s.decide(b2, ans.IdentityCheck, "approved", nil)
	if p.Status != "passed" || p.RedirectTo == "" {
		t.Fatalf("step-up continue: got %s, want passed with redirect_to", s.last)
	}
	c := s.redeem(r, s.follow(b2, p.RedirectTo).callback)
	if c.Subject != "j-enroll" || c.ACR != acr.StepUpACR || !slices.Contains(c.AMR, "face") {
		t.Errorf("step-up after enrollment: got sub %q acr %q amr %v, want j-enroll, step-up, face", c.Subject, c.ACR, c.AMR)
	}
}

// testEnrollmentDeclinedThenResumed: a declined enrollment check leaves
// the user biometric_pending, so step-up is refused (no check started); a
// new link from the RP goes straight to the identity check, and approving
// it (found by polling, no webhook) completes the enrollment.
func testEnrollmentDeclinedThenResumed(t *testing.T, s *stack) {
	const user = "j-declined"
	b, a, ans := s.enrollPasskey(user)
	p := s.decide(b, ans.IdentityCheck, "declined", nil)
	if p.Status != "failed" || p.Reason != "declined" || p.Message == "" || p.RedirectTo != "" {
		t.Fatalf("continue after decline: got %s, want failed, reason declined, a message", s.last)
	}
	s.wantUserStatus(user, authenticator.UserBiometricPending)

	// Step-up is refused at login finish: no reference to match against.
	runs := s.idv.startedRuns()
	b2 := s.newBrowser()
	_, ans = s.stepUp(b2, a)
	if ans.Error != acr.ErrorUnmetRequirements || ans.IdentityCheck != nil {
		t.Errorf("step-up of a biometric_pending user: got %s, want error %s and no identity check", s.last, acr.ErrorUnmetRequirements)
	}
	s.wantRefused(b2, ans.RedirectTo)
	if n := s.idv.startedRuns(); n != runs {
		t.Errorf("runs started at the vendor: got %d more, want none", n-runs)
	}

	// A new link resumes at the identity check: 303 to the progress page,
	// the journey in the cookie.
	b3 := s.newBrowser()
	resp, err := b3.c.Get(s.createEnrollment(user))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if loc, _ := resp.Location(); resp.StatusCode != http.StatusSeeOther || loc == nil || loc.String() != s.providerURL+"/verify" {
		t.Fatalf("GET the new enrollment link: got %d %v, want 303 to %s/verify", resp.StatusCode, loc, s.providerURL)
	}
	if s.journeyCookie(b3) == "" {
		t.Fatal("no journey cookie after the resumed link")
	}
	// The link is spent: opened again (a reload, a link scanner) it starts
	// no second check.
	runs = s.idv.startedRuns()
	resp, err = s.newBrowser().c.Get(resp.Request.URL.String())
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || s.idv.startedRuns() != runs {
		t.Errorf("the resumed link opened again: got %d and %d new runs, want 400 and none", resp.StatusCode, s.idv.startedRuns()-runs)
	}
	p, code := s.continueJourney(b3, nil)
	if code != http.StatusOK || p.Status != "pending" || p.Journey != "enrollment" || p.IdentityCheck == nil {
		t.Fatalf("continue the resumed enrollment: got %d %s, want a pending enrollment check", code, s.last)
	}
	s.goldenJSON("api_identity_check_pending", s.last, "capture_url")
	if err := s.idv.fake.Complete(s.idv.run(t, p.IdentityCheck), "approved"); err != nil {
		t.Fatal(err)
	}
	if p = s.awaitFinal(b3, nil); p.Status != "passed" || p.Journey != "enrollment" {
		t.Fatalf("resumed enrollment: got %s, want passed", s.last)
	}
	s.wantUserStatus(user, authenticator.UserEnrolled)
}
