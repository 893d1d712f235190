package e2e_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// paymentDetails is an RFC 9396 payment_initiation request, as an RP
// sends it (not in canonical form: members in the RP's order).
const paymentDetails = `[{"type":"payment_initiation","actions":["initiate"],"locations":["https://bank.example/payments"],` +
	`"instructedAmount":{"currency":"EUR","amount":"123.50"},"creditorName":"Merchant A",` +
	`"creditorAccount":{"iban":"DE02100100109307118603"},"remittanceInformationUnstructured":"Invoice 4711"}]`

func details(t *testing.T, raw string) acr.AuthorizationDetails {
	t.Helper()
	d, err := acr.ParseAuthorizationDetails(raw)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func b64Hash(d acr.AuthorizationDetails) string {
	h := d.Hash()
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// testStepUp: acr_values=step-up without details. The passkey is verified,
// the login waits on the step-up check, the vendor approves by webhook, and
// the RP's tokens say step-up with face.
func testStepUp(t *testing.T, s *stack) {
	a := s.enrolled("j-stepup")
	b := s.newBrowser()
	before := time.Now().Add(-time.Second).Unix()
	r, ans := s.stepUp(b, a)
	s.wantPending(b, ans, "step_up")
	s.goldenJSON("api_login_finish_identity_check", s.last, "capture_url")

	// The progress page (no JavaScript needed to read it) shows the
	// journey and links to the vendor's capture.
	resp, err := b.c.Get(ans.RedirectTo)
	if err != nil {
		t.Fatal(err)
	}
	page := readAll(t, resp)
	for _, text := range []string{"Confirm it’s you", `href="` + ans.IdentityCheck.CaptureURL + `"`} {
		if !strings.Contains(page, text) {
			t.Errorf("the progress page does not show %q", text)
		}
	}
	// Until the vendor answers, the journey waits.
	if p, code := s.continueJourney(b, nil); code != http.StatusOK || p.Status != "pending" || p.RedirectTo != "" {
		t.Fatalf("continue before the outcome: got %d %s, want pending", code, s.last)
	}
	p := s.decide(b, ans.IdentityCheck, "approved", nil)
	if p.Journey != "step_up" || p.Status != "passed" || p.Error != "" || !strings.HasPrefix(p.RedirectTo, s.hydra.Issuer()) {
		t.Fatalf("continue after approval: got %s, want passed with redirect_to Hydra", s.last)
	}
	c := s.redeem(r, s.follow(b, p.RedirectTo).callback)
	for _, m := range []string{"face", "hwk", "mfa", "user"} {
		if !slices.Contains(c.AMR, m) {
			t.Errorf("amr %v lacks %q", c.AMR, m)
		}
	}
	if c.Subject != "j-stepup" || c.ACR != acr.StepUpACR || c.AuthTime < before {
		t.Errorf("ID token: got sub %q acr %q auth_time %d, want j-stepup, %s, after %d", c.Subject, c.ACR, c.AuthTime, acr.StepUpACR, before)
	}
	goldenClaims(t, "id_token_step_up", c.All)
	s.checkAccessToken(c, acr.StepUpACR, c.AuthTime)

	// Hydra skips the next login of this browser; it reports what the
	// step-up achieved, with its auth_time, and needs no new check.
	runs := s.idv.startedRuns()
	r2 := s.authorize(acrValues(acr.StepUpACR))
	at := s.follow(b, r2.url)
	if at.callback == nil {
		t.Fatalf("the login after a step-up was not skipped: %v", at.hops)
	}
	skipped := s.redeem(r2, at.callback)
	if skipped.ACR != acr.StepUpACR || !slices.Equal(skipped.AMR, c.AMR) || skipped.AuthTime != c.AuthTime || skipped.SID != c.SID {
		t.Errorf("skipped login: got acr %q amr %v auth_time %d sid %q, want the step-up's %q %v %d %q",
			skipped.ACR, skipped.AMR, skipped.AuthTime, skipped.SID, c.ACR, c.AMR, c.AuthTime, c.SID)
	}
	if n := s.idv.startedRuns(); n != runs {
		t.Errorf("runs started by a skipped login: %d, want none", n-runs)
	}
}

// testStepUpWithDetails: a payment approval at step-up, as a native app
// would run it (return_token). The page shows the payment, the challenge
// commits to the canonical details, the tokens carry them, and the stored
// approval verifies again through the API and the CLI.
func testStepUpWithDetails(t *testing.T, s *stack) {
	a := s.enrolled("j-pay")
	want := details(t, paymentDetails)
	b := s.newBrowser()
	r := s.authorize(acrValues(acr.StepUpACR), oauth2.SetAuthURLParam("prompt", "login"),
		oauth2.SetAuthURLParam("authorization_details", paymentDetails))
	challenge := s.loginPage(b, r)

	resp, err := b.c.Get(s.providerURL + "/login?login_challenge=" + challenge)
	if err != nil {
		t.Fatal(err)
	}
	page := readAll(t, resp)
	for _, text := range []string{"123.50", "Merchant A", "DE02100100109307118603", "Invoice 4711"} {
		if !strings.Contains(page, text) {
			t.Errorf("the login page does not show %q", text)
		}
	}

	var signed []byte // the challenge the authenticator signed
	ans, code := s.passkey(b, challenge, a, true, func(pk map[string]any) {
		c, _ := pk["challenge"].(string)
		if signed, err = base64.RawURLEncoding.DecodeString(c); err != nil {
			t.Fatalf("challenge %q: %v", c, err)
		}
	})
	wantHash := want.Hash()
	if len(signed) != acr.ChallengeRandomLen+sha256.Size || string(signed[acr.ChallengeRandomLen:]) != string(wantHash[:]) || !acr.ChallengeCommitsTo(signed, want) {
		t.Errorf("challenge %x: want 32 random bytes and the SHA-256 of the canonical details %x", signed, wantHash)
	}
	ic := ans.IdentityCheck
	if code != http.StatusOK || ic == nil || ic.Journey != "step_up" || ic.Token == "" || ic.SDKToken == "" {
		t.Fatalf("login finish with return_token: got %d %s, want a step_up check with token and sdk_token", code, s.last)
	}

	p := s.decide(b, ic, "approved", map[string]any{"token": ic.Token})
	if p.Status != "passed" || p.RedirectTo == "" {
		t.Fatalf("continue (token in the body): got %s, want passed with redirect_to", s.last)
	}
	c := s.redeem(r, s.follow(b, p.RedirectTo).callback)
	approvalID := s.checkApprovalClaims(c, want, acr.StepUpACR)
	// The journey token is spent: a native app's replay gets 410.
	if p, code := s.continueJourney(s.newBrowser(), map[string]any{"token": ic.Token}); code != http.StatusGone || p.RedirectTo != "" {
		t.Errorf("continue with a spent token: got %d %s, want 410 and no redirect_to", code, s.last)
	}
	goldenClaims(t, "id_token_step_up_details", normalizeAlso(c.All, "approval_id").(map[string]any))

	code, body := s.getApproval(s.approvals, approvalID)
	var ap struct {
		Valid    bool            `json:"valid"`
		Sub      string          `json:"sub"`
		ClientID string          `json:"client_id"`
		ACR      string          `json:"acr"`
		Details  json.RawMessage `json:"authorization_details"`
		Hash     string          `json:"authorization_details_hash"`
	}
	if err := json.Unmarshal(body, &ap); err != nil || code != http.StatusOK {
		t.Fatalf("GET approval: %d %s (%v)", code, body, err)
	}
	if !ap.Valid || ap.Sub != "j-pay" || ap.ClientID != rpClientID || ap.ACR != acr.StepUpACR || string(ap.Details) != string(want.Canonical()) || ap.Hash != b64Hash(want) {
		t.Errorf("GET approval: got %s, want valid, j-pay, %s, step-up, the canonical details and their hash", body, rpClientID)
	}
	s.goldenJSON("api_approval", body, "created_at", "credential_id", "authenticator_data", "client_data_json", "signature")

	// Another client, with the scope, is told there is no such approval;
	// so is anyone asking for an unknown id; a token without the scope is
	// refused.
	other := s.enroll
	other.Scopes = []string{approvalScope}
	for _, tc := range []struct {
		name string
		cfg  clientcredentials.Config
		id   string
		want int
	}{
		{"another client", other, approvalID, http.StatusNotFound},
		{"unknown id", s.approvals, "no-such-approval", http.StatusNotFound},
		{"token without the approvals scope", s.enroll, approvalID, http.StatusForbidden},
	} {
		if code, body := s.getApproval(tc.cfg, tc.id); code != tc.want || strings.Contains(string(body), "DE02100100109307118603") {
			t.Errorf("GET approval, %s: got %d %s, want %d and no details", tc.name, code, body, tc.want)
		}
	}

	// The operator's CLI verifies it again from the store.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "biometric-passkey-plugin"), "--config", s.configPath, "verify-approval", approvalID)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var report struct {
		ApprovalID string `json:"approval_id"`
		Valid      bool   `json:"valid"`
		Hash       string `json:"hash"`
	}
	if err != nil || json.Unmarshal(out, &report) != nil || !report.Valid || report.ApprovalID != approvalID || report.Hash != b64Hash(want) {
		t.Errorf("verify-approval %s: err %v, stdout %s, stderr %s; want exit 0 and valid true", approvalID, err, out, stderr.String())
	}
	unknown := exec.CommandContext(ctx, filepath.Join(binDir, "biometric-passkey-plugin"), "--config", s.configPath, "verify-approval", "no-such-approval")
	if out, err := unknown.CombinedOutput(); err == nil {
		t.Errorf("verify-approval of an unknown id: exit 0 (%s), want a failure", out)
	}
}

// checkApprovalClaims checks that the ID token and the access token carry
// the approved details in canonical form, their hash and an approval id,
// at level wantACR, and returns the approval id.
func (s *stack) checkApprovalClaims(c claims, want acr.AuthorizationDetails, wantACR string) string {
	t := s.t
	t.Helper()
	if c.ACR != wantACR {
		t.Errorf("ID token acr: got %q, want %q", c.ACR, wantACR)
	}
	check := func(where string, m map[string]any) string {
		got, err := json.Marshal(m["authorization_details"])
		if err != nil || string(got) != string(want.Canonical()) {
			t.Errorf("%s authorization_details: got %s, want %s", where, got, want.Canonical())
		}
		if m["authorization_details_hash"] != b64Hash(want) {
			t.Errorf("%s authorization_details_hash: got %v, want %s", where, m["authorization_details_hash"], b64Hash(want))
		}
		id, _ := m["approval_id"].(string)
		if id == "" {
			t.Errorf("%s has no approval_id: %v", where, m)
		}
		return id
	}
	id := check("ID token", c.All)
	it, _ := s.introspect(c.AccessToken)
	if !it.Active || it.Ext["acr"] != wantACR || it.Ext["auth_time"] == nil {
		t.Errorf("introspection: active %t ext %v, want acr %s and auth_time", it.Active, it.Ext, wantACR)
	}
	if atID := check("access token (introspection ext)", it.Ext); atID != id {
		t.Errorf("access token approval_id %q, ID token's %q", atID, id)
	}
	return id
}

// testRoutineWithDetails: a transaction approved at routine level (no
// identity check) stores an approval as well.
func testRoutineWithDetails(t *testing.T, s *stack) {
	a := s.enrolled("j-routine-pay")
	raw := strings.Replace(paymentDetails, "123.50", "42.00", 1)
	want := details(t, raw)
	b := s.newBrowser()
	r := s.authorize(acrValues(acr.RoutineACR), oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("authorization_details", raw))
	ans, code := s.passkey(b, s.loginPage(b, r), a, false, nil)
	if code != http.StatusOK || ans.IdentityCheck != nil || ans.Error != "" {
		t.Fatalf("routine login with details: got %d %s, want accepted without an identity check", code, s.last)
	}
	c := s.redeem(r, s.follow(b, ans.RedirectTo).callback)
	id := s.checkApprovalClaims(c, want, acr.RoutineACR)
	code, body := s.getApproval(s.approvals, id)
	if code != http.StatusOK || !strings.Contains(string(body), `"valid":true`) || !strings.Contains(string(body), `"acr":"`+acr.RoutineACR+`"`) {
		t.Errorf("GET approval: got %d %s, want valid at routine", code, body)
	}
	if n := s.events("j-routine-pay", authenticator.EventApprovalRecorded); n != 1 {
		t.Errorf("approval.recorded events: got %d, want 1", n)
	}

	// A client with JWT access tokens gets the approval at their top level
	// (hydraproc's oauth2.allowed_top_level_claims); its approval is its
	// own, so the first client is told there is none.
	jc := s.jwtClient()
	state, verifier := secret(), oauth2.GenerateVerifier()
	jr := authRequest{url: jc.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), acrValues(acr.RoutineACR),
		oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("authorization_details", raw))}
	next, e, code := s.signIn(b, s.loginPage(b, jr), a, "")
	if code != http.StatusOK {
		t.Fatalf("JWT client sign-in: %d %+v", code, e)
	}
	cb := s.follow(b, next).callback
	tok, err := jc.Exchange(t.Context(), cb.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("JWT client: exchange: %v", err)
	}
	at := jwtPayload(t, tok.AccessToken)
	gotDetails, _ := json.Marshal(at["authorization_details"])
	jwtApproval, _ := at["approval_id"].(string)
	if string(gotDetails) != string(want.Canonical()) || at["authorization_details_hash"] != b64Hash(want) || jwtApproval == "" || at["acr"] != acr.RoutineACR {
		t.Errorf("JWT access token: got %v, want top-level acr, authorization_details, their hash and approval_id", at)
	}
	if code, body := s.getApproval(s.approvals, jwtApproval); code != http.StatusNotFound {
		t.Errorf("GET another client's approval: got %d %s, want 404", code, body)
	}
}

// testSkippedLoginWithDetails: a browser with a step-up session asks for
// a transaction (authorization_details, no prompt=login). The details must
// be shown and signed in a fresh ceremony: Hydra's skip must not complete
// the login (DESIGN.md §5: the page shows them, the challenge commits to
// their hash, the tokens carry what was approved).
func testSkippedLoginWithDetails(t *testing.T, s *stack) {
	a := s.enrolled("j-skip-pay")
	b := s.newBrowser()
	r, ans := s.stepUp(b, a)
	p := s.decide(b, ans.IdentityCheck, "approved", nil)
	if c := s.redeem(r, s.follow(b, p.RedirectTo).callback); c.ACR != acr.StepUpACR {
		t.Fatalf("step-up: acr %q", c.ACR)
	}

	r = s.authorize(acrValues(acr.StepUpACR), oauth2.SetAuthURLParam("authorization_details", paymentDetails))
	at := s.follow(b, r.url)
	if at.loginChallenge != "" {
		return // a fresh ceremony: the page shows the details
	}
	c := s.redeem(r, at.callback)
	t.Errorf("a login with authorization_details was completed by Hydra's skip, without the user seeing or signing them: "+
		"acr %q, authorization_details %v, approval_id %v; want the sign-in page (a fresh ceremony)", c.ACR, c.All["authorization_details"], c.All["approval_id"])
}

// testStepUpFailedChecks: a check the vendor ends declined, for review,
// abandoned or in error refuses the login, whether the result comes by
// webhook or by the plugin's poll of the vendor; the RP gets no tokens.
func testStepUpFailedChecks(t *testing.T, s *stack) {
	for _, tc := range []struct {
		status string
		polled bool // no webhook: continue finds the result by polling
	}{
		{"declined", false}, {"review", false}, {"abandoned", true}, {"error", true},
	} {
		t.Run(tc.status, func(t *testing.T) {
			s := s.with(t)
			user := "j-failed-" + tc.status
			a := s.enrolled(user)
			b := s.newBrowser()
			_, ans := s.stepUp(b, a)
			s.wantPending(b, ans, "step_up")
			var p progress
			if tc.polled {
				if err := s.idv.fake.Complete(s.idv.run(t, ans.IdentityCheck), tc.status); err != nil {
					t.Fatal(err)
				}
				p = s.awaitFinal(b, nil)
			} else {
				p = s.decide(b, ans.IdentityCheck, tc.status, nil)
			}
			if p.Status != "failed" || p.Reason != tc.status || p.Error != acr.ErrorUnmetRequirements || p.Message == "" {
				t.Fatalf("continue: got %s, want failed, reason %s, error %s", s.last, tc.status, acr.ErrorUnmetRequirements)
			}
			s.wantRefused(b, p.RedirectTo)
			if n := s.events(user, authenticator.EventStepUpPassed); n != 0 {
				t.Errorf("step_up.passed events: got %d, want 0", n)
			}
		})
	}
}

// testForgedWebhook: a notification that claims approval but is not signed
// with the webhook token is refused (400) and changes nothing.
func testForgedWebhook(t *testing.T, s *stack) {
	a := s.enrolled("j-forged")
	b := s.newBrowser()
	_, ans := s.stepUp(b, a)
	s.wantPending(b, ans, "step_up")
	run := s.idv.run(t, ans.IdentityCheck)

	// The body Onfido would send for an approved run (the run itself stays
	// awaiting input at the vendor).
	if err := s.idv.fake.SetStatus(run, "approved"); err != nil {
		t.Fatal(err)
	}
	h, body, err := s.idv.fake.Webhook(run)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.idv.fake.SetStatus(run, "awaiting_input"); err != nil {
		t.Fatal(err)
	}
	// A genuine notification that the capture started changes nothing.
	if code, answer := s.vendorWebhook(run); code != http.StatusOK {
		t.Errorf("workflow_task.started webhook: got %d %s, want 200", code, answer)
	}
	sig := h.Get("X-SHA2-Signature")
	flipped := sig[:len(sig)-1] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", sig[len(sig)-1])+1)%16])
	for name, header := range map[string]http.Header{
		"signature off by one digit": {"Content-Type": {"application/json"}, "X-Sha2-Signature": {flipped}},
		"no signature":               {"Content-Type": {"application/json"}},
		"signed with another key":    {"Content-Type": {"application/json"}, "X-Sha2-Signature": {strings.Repeat("ab", 32)}},
	} {
		code, answer := s.postWebhook(header, body)
		if code != http.StatusBadRequest || strings.Contains(string(answer), run) {
			t.Errorf("%s: got %d %s, want 400 with a generic error", name, code, answer)
		}
	}
	// A genuine, signed notification about a run this deployment never
	// started is ignored (200, so that the vendor stops retrying).
	foreign := s.idv.foreignRun(t)
	if err := s.idv.fake.Complete(foreign, "approved"); err != nil {
		t.Fatal(err)
	}
	if code, answer := s.vendorWebhook(foreign); code != http.StatusOK || !strings.Contains(string(answer), `"ignored"`) {
		t.Errorf("webhook for a run that is not ours: got %d %s, want 200 ignored", code, answer)
	}
	p, code := s.continueJourney(b, nil)
	if code != http.StatusOK || p.Status != "pending" || p.RedirectTo != "" {
		t.Errorf("continue after forged webhooks: got %d %s, want still pending", code, s.last)
	}
	if n := s.events("j-forged", authenticator.EventIDVCheckPassed); n != 1 { // the enrollment's only
		t.Errorf("idv_check.passed events: got %d, want 1 (the enrollment's)", n)
	}
	// The user gives up: refused, never elevated.
	p, _ = s.continueJourney(b, map[string]any{"cancel": true})
	s.wantRefused(b, p.RedirectTo)
}

// testReplayedWebhook: the vendor delivers the same notification again
// (it retries); the second and later deliveries are harmless.
func testReplayedWebhook(t *testing.T, s *stack) {
	const user = "j-replayed"
	a := s.enrolled(user)
	b := s.newBrowser()
	r, ans := s.stepUp(b, a)
	run := s.idv.run(t, ans.IdentityCheck)
	p := s.decide(b, ans.IdentityCheck, "approved", nil)
	if code, body := s.vendorWebhook(run); code != http.StatusOK || !strings.Contains(string(body), `"accepted"`) {
		t.Errorf("second delivery: got %d %s, want 200 accepted", code, body)
	}
	if p.Status != "passed" || p.RedirectTo == "" {
		t.Fatalf("continue: got %s, want passed", s.last)
	}
	c := s.redeem(r, s.follow(b, p.RedirectTo).callback)
	if c.ACR != acr.StepUpACR {
		t.Errorf("acr: got %q, want step-up", c.ACR)
	}
	if code, body := s.vendorWebhook(run); code != http.StatusOK {
		t.Errorf("delivery after the login: got %d %s, want 200", code, body)
	}
	// The journey is spent: continuing again finishes nothing.
	if p, code := s.continueJourney(b, nil); code < 400 || p.RedirectTo != "" {
		t.Errorf("continue again: got %d %s, want a 4xx and no redirect_to", code, s.last)
	}
	if n := s.events(user, authenticator.EventStepUpPassed); n != 1 {
		t.Errorf("step_up.passed events: got %d, want 1", n)
	}
}

// testCancelledCheck: the user cancels on the progress page; the RP gets
// unmet_authentication_requirements.
func testCancelledCheck(t *testing.T, s *stack) {
	a := s.enrolled("j-cancel")
	b := s.newBrowser()
	_, ans := s.stepUp(b, a)
	s.wantPending(b, ans, "step_up")
	p, code := s.continueJourney(b, map[string]any{"cancel": true})
	if code != http.StatusOK || p.Status != "failed" || p.Reason != authenticator.CheckReasonCancelled || p.Error != acr.ErrorUnmetRequirements {
		t.Fatalf("cancel: got %d %s, want failed, reason cancelled, error %s", code, s.last, acr.ErrorUnmetRequirements)
	}
	s.wantRefused(b, p.RedirectTo)
	// An approval arriving afterwards elevates nothing.
	run := s.idv.run(t, ans.IdentityCheck)
	if err := s.idv.fake.Complete(run, "approved"); err != nil {
		t.Fatal(err)
	}
	if code, body := s.vendorWebhook(run); code != http.StatusOK {
		t.Errorf("webhook after cancel: got %d %s, want 200", code, body)
	}
	if n := s.events("j-cancel", authenticator.EventStepUpPassed); n != 0 {
		t.Errorf("step_up.passed events: got %d, want 0", n)
	}

	// Cancelled after the vendor approved, before the page continued: the
	// user's last word stands.
	b = s.newBrowser()
	_, ans = s.stepUp(b, a)
	run = s.idv.run(t, ans.IdentityCheck)
	if err := s.idv.fake.Complete(run, "approved"); err != nil {
		t.Fatal(err)
	}
	if code, body := s.vendorWebhook(run); code != http.StatusOK {
		t.Fatalf("webhook: got %d %s", code, body)
	}
	p, code = s.continueJourney(b, map[string]any{"cancel": true})
	if code != http.StatusOK || p.Status != "failed" || p.Reason != authenticator.CheckReasonCancelled {
		t.Errorf("cancel after approval: got %d %s, want failed, reason cancelled", code, s.last)
	}
	s.wantRefused(b, p.RedirectTo)
}

// testStepUpWithoutReference: a user whose enrollment check never finished
// has no reference; step-up is refused at login finish with a clear
// message, and no check starts at the vendor.
func testStepUpWithoutReference(t *testing.T, s *stack) {
	_, a, _ := s.enrollPasskey("j-noref")
	runs := s.idv.startedRuns()
	b := s.newBrowser()
	_, ans := s.stepUp(b, a)
	if ans.Error != acr.ErrorUnmetRequirements || ans.IdentityCheck != nil || !strings.Contains(ans.Message, "identity has not been verified") {
		t.Errorf("step-up without a reference: got %s, want error %s, a message that the identity is not verified, no check", s.last, acr.ErrorUnmetRequirements)
	}
	s.wantRefused(b, ans.RedirectTo)
	if n := s.idv.startedRuns(); n != runs {
		t.Errorf("runs started at the vendor: got %d more, want none", n-runs)
	}
}

// testStepUpReplayedAssertion: the same login/finish posted twice; the
// second is refused and starts no second journey.
func testStepUpReplayedAssertion(t *testing.T, s *stack) {
	a := s.enrolled("j-replay-assert")
	b := s.newBrowser()
	r := s.authorize(acrValues(acr.StepUpACR), oauth2.SetAuthURLParam("prompt", "login"))
	var cer ceremony
	s.postJSON(b, "/api/v1/login/begin", "", map[string]string{"login_challenge": s.loginPage(b, r)}, &cer)
	assertion, err := a.Assert(cer.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"ceremony_id": cer.CeremonyID, "credential": rawJSON(assertion)}
	runs := s.idv.startedRuns()
	var first journeyAnswer
	if code := s.postJSON(b, "/api/v1/login/finish", "", body, &first); code != http.StatusOK || first.IdentityCheck == nil {
		t.Fatalf("first finish: got %d %s, want a pending check", code, s.last)
	}
	var replay journeyAnswer
	if code := s.postJSON(s.newBrowser(), "/api/v1/login/finish", "", body, &replay); code != http.StatusGone || replay.Error != string(authenticator.CodeChallengeUnknown) || replay.IdentityCheck != nil {
		t.Errorf("replay: got %d %s, want 410 %s and no check", code, s.last, authenticator.CodeChallengeUnknown)
	}
	if n := s.idv.startedRuns(); n != runs+1 {
		t.Errorf("runs started at the vendor: got %d, want 1", n-runs)
	}
}

// testStepUpAlteredDetails: a client that has the authenticator sign a
// challenge committing to other details (the amount changed) is refused
// at login finish; no check starts and nothing is approved.
func testStepUpAlteredDetails(t *testing.T, s *stack) {
	const user = "j-altered"
	a := s.enrolled(user)
	other := details(t, strings.Replace(paymentDetails, "123.50", "9999.00", 1))
	b := s.newBrowser()
	r := s.authorize(acrValues(acr.StepUpACR), oauth2.SetAuthURLParam("prompt", "login"),
		oauth2.SetAuthURLParam("authorization_details", paymentDetails))
	runs := s.idv.startedRuns()
	ans, code := s.passkey(b, s.loginPage(b, r), a, false, func(pk map[string]any) {
		c, _ := pk["challenge"].(string)
		raw, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil || len(raw) != acr.ChallengeRandomLen+sha256.Size {
			t.Fatalf("challenge %q: %v", c, err)
		}
		h := other.Hash()
		pk["challenge"] = base64.RawURLEncoding.EncodeToString(append(raw[:acr.ChallengeRandomLen:acr.ChallengeRandomLen], h[:]...))
	})
	t.Logf("finish with altered details: %d %s", code, s.last)
	if code < 400 || code >= 500 || ans.RedirectTo != "" || ans.IdentityCheck != nil {
		t.Errorf("finish with altered details: got %d %s, want a 4xx, no redirect and no check", code, s.last)
	}
	if n := s.idv.startedRuns(); n != runs {
		t.Errorf("runs started at the vendor: got %d more, want none", n-runs)
	}
	if n := s.events(user, authenticator.EventApprovalRecorded); n != 0 {
		t.Errorf("approval.recorded events: got %d, want 0", n)
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d: %v: %s", resp.Request.URL, resp.StatusCode, err, b)
	}
	return string(b)
}

// testStepUpRateLimited: identity checks are limited per user (5 an hour
// by default, the enrollment's included); beyond that a step-up is refused
// at login finish and no check starts.
func testStepUpRateLimited(t *testing.T, s *stack) {
	const user = "j-limited"
	a := s.enrolled(user) // the first check
	for i := 2; i <= authenticator.DefaultIDVAttemptsPerHour; i++ {
		b := s.newBrowser()
		_, ans := s.stepUp(b, a)
		s.wantPending(b, ans, "step_up")
		p, _ := s.continueJourney(b, map[string]any{"cancel": true})
		s.wantRefused(b, p.RedirectTo)
	}
	runs := s.idv.startedRuns()
	b := s.newBrowser()
	_, ans := s.stepUp(b, a)
	if ans.Error != acr.ErrorUnmetRequirements || ans.IdentityCheck != nil || ans.Message != authenticator.ErrRateLimited.Message {
		t.Errorf("step-up over the limit: got %s, want error %s with the rate-limit message and no check", s.last, acr.ErrorUnmetRequirements)
	}
	s.wantRefused(b, ans.RedirectTo)
	if n := s.idv.startedRuns(); n != runs {
		t.Errorf("runs started at the vendor: got %d more, want none", n-runs)
	}
}

// testStepUpOverRoutineSession: a browser signed in at routine asks for
// step-up without prompt=login. The session is not enough, so the user
// signs in again (a fresh Hydra session) and passes the check.
func testStepUpOverRoutineSession(t *testing.T, s *stack) {
	a := s.enrolled("j-upgrade")
	b := s.newBrowser()
	r := s.authorize(acrValues(acr.RoutineACR))
	next, e, code := s.signIn(b, s.loginPage(b, r), a, "")
	if code != http.StatusOK {
		t.Fatalf("routine sign-in: %d %+v", code, e)
	}
	routine := s.redeem(r, s.follow(b, next).callback)

	r = s.authorize(acrValues(acr.StepUpACR))
	ans, code := s.passkey(b, s.loginPage(b, r), a, false, nil)
	if code != http.StatusOK {
		t.Fatalf("step-up finish: %d %s", code, s.last)
	}
	s.wantPending(b, ans, "step_up")
	p := s.decide(b, ans.IdentityCheck, "approved", nil)
	c := s.redeem(r, s.follow(b, p.RedirectTo).callback)
	if c.ACR != acr.StepUpACR || !slices.Contains(c.AMR, "face") || c.SID == routine.SID || c.AuthTime < routine.AuthTime {
		t.Errorf("step-up over a routine session: got acr %q amr %v sid %q auth_time %d, want step-up with face, a new session (not %q), auth_time ≥ %d",
			c.ACR, c.AMR, c.SID, c.AuthTime, routine.SID, routine.AuthTime)
	}
}
