package e2e_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/biometric-passkey/biometric-passkey/acr"
	"github.com/biometric-passkey/biometric-passkey/idvbridge"
	"github.com/biometric-passkey/biometric-passkey/internal/devstack"
	"github.com/biometric-passkey/biometric-passkey/internal/hydraproc"
	"github.com/biometric-passkey/biometric-passkey/internal/testenv"
)

// browserTestTimeout bounds each browser test, from starting the stack to
// its last page; a step that would run past it fails with what the browser
// showed.
const browserTestTimeout = 60 * time.Second

// envScreenshots names a directory that receives a copy of every screenshot
// the browser tests take (`BP_SCREENSHOTS=docs/screenshots` refreshes the
// documentation's).
const envScreenshots = "BP_SCREENSHOTS"

// Texts of the pages the tests check, as static/passkey.js, the plugin
// and the bank write them.
const (
	msgEnrolled        = "Your identity is verified and your account is ready: you can now sign in with your passkey."
	msgBankEnrolled    = "Your passkey is set up — sign in now"
	msgSignInCancelled = "Sign-in was cancelled or timed out. Try again."
	msgNoPasskeys      = "This browser has no passkey support. Open this page in an up-to-date browser such as Chrome, Edge, Firefox or Safari."
)

// tab is one headless Chromium tab with a DevTools virtual
// authenticator, driving a stack that devstack started. A tab made by
// newDevice is another browser context of the same Chromium: a device of its
// own, with its own cookies and authenticator.
type tab struct {
	t        *testing.T      // the running test or subtest; see in
	root     *testing.T      // the test that owns the stack and the browser
	ctx      context.Context // the tab; lives until the test's cleanup
	deadline time.Time       // every step must end by then
	stack    *devstack.Stack
	authID   webauthn.AuthenticatorID
}

// in returns the tab for use by t, a subtest of the tab's test: failures
// are then reported, and end, where they happen.
func (b *tab) in(t *testing.T) *tab {
	c := *b
	c.t = t
	return &c
}

// startBrowserTest starts the stack `make run` starts (real Hydra, the
// provider with the plugin binary, the bank, the sandbox identity-verification
// provider served by the plugin; challenges in real Redis) on free ports,
// and a headless Chromium with a platform authenticator (see
// addAuthenticator). Everything is stopped when the test ends.
func startBrowserTest(t *testing.T) *tab {
	t.Helper()
	deadline := time.Now().Add(browserTestTimeout)
	chromium, err := testenv.Chromium()
	testenv.Require(t, "Chromium", err)
	hydraBin, err := hydraproc.Binary()
	testenv.Require(t, "hydra binary (make hydra)", err)
	redisAddr := testenv.RedisAddr(t)

	startCtx, cancelStart := context.WithDeadline(t.Context(), deadline)
	defer cancelStart()
	s, err := devstack.Start(startCtx, devstack.Options{
		BinDir: binDir, HydraBin: hydraBin, Dir: t.TempDir(), Logs: t.Output(), RedisAddr: redisAddr,
	})
	if err != nil {
		t.Fatalf("start the stack: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop the stack: %v", err)
		}
	})
	if s.SandboxURL == "" {
		t.Fatalf("the stack has no sandbox identity-verification provider, want the one make run starts")
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1024, 768),
		// A closed network: no background traffic to wait for or log.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	// The browser outlives the deadline on purpose, so a step that times
	// out can still report what the page shows; cleanup ends it and waits
	// for its processes.
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		// Close Chromium gracefully, so it ends its helper processes
		// itself, then make sure it is gone.
		closeCtx, cancelClose := context.WithTimeout(ctx, 10*time.Second)
		defer cancelClose()
		if err := chromedp.Cancel(closeCtx); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("close Chromium: %v", err)
		}
		cancelTab()
		cancelAlloc()
	})
	b := &tab{t: t, root: t, ctx: ctx, deadline: deadline, stack: s}
	// The first run starts the browser for the lifetime of its context, so
	// it takes the tab's context, not a step's; a timer bounds it instead.
	if err := b.open(cancelTab); err != nil {
		t.Fatalf("start Chromium (%s): %v", chromium, err)
	}
	b.addAuthenticator()
	return b
}

// newDevice opens a tab in a new browser context of the same Chromium,
// with an authenticator of its own: another device, with no passkey and
// no cookies. It is closed when the tab's test ends.
func (b *tab) newDevice() *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	// Registered after the browser's cleanup, so it runs before it.
	b.root.Cleanup(cancel)
	d := &tab{t: b.t, root: b.root, ctx: ctx, deadline: b.deadline, stack: b.stack}
	if err := d.open(cancel); err != nil {
		b.t.Fatalf("open a new browser context: %v", err)
	}
	d.addAuthenticator()
	return d
}

// open makes the tab's target: the first run on a context creates it for
// the lifetime of the context, so it takes the tab's context, bounded by
// the deadline with a timer that calls cancel.
func (b *tab) open(cancel context.CancelFunc) error {
	stuck := time.AfterFunc(time.Until(b.deadline), cancel)
	err := chromedp.Do(b.ctx)
	if !stuck.Stop() {
		err = fmt.Errorf("not ready by the test's deadline: %w", err)
	}
	return err
}

// addAuthenticator gives the tab a platform authenticator: CTAP2.1,
// internal transport, resident keys, user verification that succeeds,
// automatic presence, device-bound credentials (BE=false).
func (b *tab) addAuthenticator() {
	b.t.Helper()
	call(b, webauthn.Enable, webauthn.EnableParams{})
	va := call(b, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol:                    webauthn.AuthenticatorProtocolCtap2,
			Ctap2version:                webauthn.Ctap2versionCtap21,
			Transport:                   webauthn.AuthenticatorTransportInternal,
			HasResidentKey:              true,
			HasUserVerification:         true,
			IsUserVerified:              true,
			AutomaticPresenceSimulation: true, // no omitempty: false would be sent, and presence would never resolve
			DefaultBackupEligibility:    false,
			DefaultBackupState:          false,
		},
	})
	b.authID = va.AuthenticatorID
}

// stepContext bounds one step by the test's deadline.
func (b *tab) stepContext() (context.Context, context.CancelFunc) {
	return context.WithDeadline(b.ctx, b.deadline)
}

// do runs actions in the tab and fails the test, saying what the page
// shows, when one fails or the test's deadline passes.
func (b *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.stepContext()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fatalf("%s: %v", what, err)
	}
}

// get runs one action that returns a value, like do.
func get[T any](b *tab, what string, action chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := b.stepContext()
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		b.fatalf("%s: %v", what, err)
	}
	return v
}

// fatalf fails the test with the page's address and text appended, read
// with a few seconds of grace even when the deadline has passed.
func (b *tab) fatalf(format string, args ...any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`location.href + "\n" + (document.body ? document.body.innerText : "(no body)")`))
	if err != nil {
		shown = "(cannot read the page: " + err.Error() + ")"
	}
	if len(shown) > 2000 {
		shown = shown[:2000] + "…"
	}
	args = append(args, shown)
	b.t.Fatalf(format+"\npage: %s", args...)
}

// location returns the tab's address.
func (b *tab) location() *url.URL {
	b.t.Helper()
	raw := get(b, "read the location", chromedp.Location())
	u, err := url.Parse(raw)
	if err != nil {
		b.fatalf("location %q: %v", raw, err)
	}
	return u
}

// text returns the visible text of the element with the id.
func (b *tab) text(id string) string {
	b.t.Helper()
	return strings.TrimSpace(get(b, "read #"+id, chromedp.Text(chromedp.ID(id))))
}

// disabled reports whether the form control with the id is disabled.
func (b *tab) disabled(id string) bool {
	b.t.Helper()
	return get(b, "read #"+id+".disabled", chromedp.JavascriptAttribute[bool](chromedp.ID(id), "disabled"))
}

// scriptReady waits until the page has loaded, and so has run its deferred
// passkey.js: until then a click on a passkey button does nothing. Use it
// once an element of the new page is visible, because a poll ends with the
// page it started on.
func scriptReady() chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`document.readyState === "complete"`,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(0))
}

// call sends a DevTools command to the tab, like do.
func call[P, R any](b *tab, cmd cdp.Command[P, R], params P) R {
	b.t.Helper()
	ctx, cancel := b.stepContext()
	defer cancel()
	res, err := chromedp.Call(ctx, cmd, params)
	if err != nil {
		b.t.Fatalf("%s: %v", cmd.Method, err)
	}
	return res
}

// setUserVerified makes the virtual authenticator's user verification (the
// biometric) succeed or fail.
func (b *tab) setUserVerified(ok bool) {
	b.t.Helper()
	call(b, webauthn.SetUserVerified, webauthn.SetUserVerifiedParams{AuthenticatorID: b.authID, IsUserVerified: ok})
}

// screenshot saves the whole page as name (a .png file) in a temporary
// directory, and in $BP_SCREENSHOTS when set, and checks that it is a
// non-empty PNG image.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	img := get(b, "screenshot "+name, chromedp.FullScreenshot(100)) // quality 100 means PNG
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		b.t.Fatalf("screenshot %s: got %d bytes that are not a PNG image (%v), want a PNG", name, len(img), err)
	}
	if cfg.Width == 0 || cfg.Height == 0 {
		b.t.Fatalf("screenshot %s: got a %d×%d PNG, want a non-empty one", name, cfg.Width, cfg.Height)
	}
	dirs := []string{b.t.TempDir()}
	if dir := os.Getenv(envScreenshots); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.t.Fatalf("%s: %v", envScreenshots, err)
		}
		dirs = append(dirs, dir)
	}
	for _, dir := range dirs {
		if err := os.WriteFile(filepath.Join(dir, name), img, 0o644); err != nil {
			b.t.Fatalf("save screenshot: %v", err)
		}
	}
}

// openAccount signs up at the bank with username, creates the passkey on
// the provider's enrollment page and passes the enrollment's identity check
// on the sandbox, and leaves the progress page showing the result and the
// link back to the bank. It returns the result's text. Screenshots:
// enroll.png, the finished enrollment.
func (b *tab) openAccount(username string) string {
	b.t.Helper()
	b.do("open the bank",
		chromedp.Navigate(b.stack.BankURL+"/"),
		chromedp.Click(chromedp.ID("open-account")),
		chromedp.WaitVisible(chromedp.ID("signup-form")),
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("fullname"), "Alex Example"),
		chromedp.Click(chromedp.ID("signup-submit")),
	)
	b.do("wait for the enrollment page", chromedp.WaitVisible(chromedp.ID("enroll-button")), scriptReady())
	if u := b.location(); !strings.HasPrefix(u.String(), b.stack.ProviderURL+"/enroll?") {
		b.fatalf("after sign-up: got %s, want the provider's enrollment page", u)
	}
	b.do("create the passkey", chromedp.Click(chromedp.ID("enroll-button")))
	b.identityCheck(idvbridge.JourneyEnrollment, "pass", "")
	b.do("wait for the enrollment's result", chromedp.WaitVisible(chromedp.CSS("#verify-result #return-link")))
	creds := b.credentials()
	if len(creds) != 1 || !creds[0].IsResidentCredential || creds[0].RpID != "localhost" {
		b.t.Fatalf("authenticator credentials: got %+v, want one discoverable credential for localhost", creds)
	}
	b.screenshot("enroll.png")
	return b.text("status")
}

// identityCheck waits on the progress page for a pending identity check of
// journey, goes to the sandbox's capture page (with its SANDBOX banner)
// and reports outcome there ("pass", "declined", …: the choice's id is
// #outcome-<outcome>), which sends the browser back to the progress page.
// Screenshots: verifyShot of the waiting progress page and, when
// verifyShot is set, sandbox.png of the capture page.
func (b *tab) identityCheck(journey idvbridge.Journey, outcome, verifyShot string) {
	b.t.Helper()
	b.waitVerifyPending(journey)
	if verifyShot != "" {
		b.screenshot(verifyShot)
	}
	b.do("go to the capture page",
		chromedp.Click(chromedp.ID("verify-start")),
		chromedp.WaitVisible(chromedp.ID("outcome-"+outcome)),
	)
	if u := b.location(); !strings.HasPrefix(u.String(), b.stack.SandboxURL+"/capture/") {
		b.fatalf("capture page: got %s, want the sandbox's %s/capture/…", u, b.stack.SandboxURL)
	}
	if got := b.text("sandbox-banner"); !strings.Contains(got, "SANDBOX") {
		b.t.Errorf("#sandbox-banner: got %q, want it to say SANDBOX", got)
	}
	// textContent: the page's style writes the label in capitals.
	label := strings.TrimSpace(get(b, "read #capture-journey", chromedp.TextContent(chromedp.ID("capture-journey"))))
	if got, want := label, captureJourneyLabels[journey]; got != want {
		b.t.Errorf("#capture-journey: got %q, want %q", got, want)
	}
	if verifyShot != "" {
		b.screenshot("sandbox.png")
	}
	b.do("report "+outcome, chromedp.Click(chromedp.ID("outcome-"+outcome)))
}

// captureJourneyLabels are the sandbox capture page's names of the journeys.
var captureJourneyLabels = map[idvbridge.Journey]string{
	idvbridge.JourneyEnrollment: "Enrollment",
	idvbridge.JourneyStepUp:     "Step-up",
	idvbridge.JourneyRecovery:   "Account recovery",
}

// waitVerifyPending waits for the progress page of journey with its check
// pending: the link to the capture page and the Cancel button.
func (b *tab) waitVerifyPending(journey idvbridge.Journey) {
	b.t.Helper()
	b.do("wait for the progress page",
		chromedp.WaitVisible(chromedp.ID("verify-start")),
		chromedp.WaitVisible(chromedp.ID("verify-cancel")),
	)
	if u := b.location(); u.String() != b.stack.ProviderURL+"/verify" {
		b.fatalf("progress page: got %s, want %s/verify", u, b.stack.ProviderURL)
	}
	if got := b.attr("verify", "data-journey"); got != string(journey) {
		b.t.Errorf("#verify[data-journey]: got %q, want %q", got, journey)
	}
	if got := b.attr("verify", "data-pending"); got != "true" {
		b.t.Errorf("#verify[data-pending]: got %q, want true", got)
	}
	href := b.attr("verify-start", "href")
	if !strings.HasPrefix(href, b.stack.SandboxURL+"/capture/") {
		b.t.Errorf("#verify-start[href]: got %q, want a capture page under %s", href, b.stack.SandboxURL)
	}
}

// attr returns the attribute of the element with the id, failing the test
// when the element or the attribute is missing.
func (b *tab) attr(id, name string) string {
	b.t.Helper()
	v := get(b, "read #"+id+"["+name+"]", chromedp.AttributeValue(chromedp.ID(id), name))
	if !v.Exists {
		b.fatalf("#%s has no %s attribute", id, name)
	}
	return v.Value
}

// credentials returns the passkeys in the tab's authenticator.
func (b *tab) credentials() []*webauthn.Credential {
	b.t.Helper()
	return call(b, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: b.authID}).Credentials
}

// signCount returns the signature counter of the tab's only passkey: it
// goes up each time the passkey signs.
func (b *tab) signCount() float64 {
	b.t.Helper()
	creds := b.credentials()
	if len(creds) != 1 {
		b.t.Fatalf("authenticator credentials: got %d, want 1", len(creds))
	}
	return creds[0].SignCount
}

// returnToBank follows the finished enrollment's link back to the bank,
// which says the passkey is set up.
func (b *tab) returnToBank() {
	b.t.Helper()
	b.do("return to the bank",
		chromedp.Click(chromedp.ID("return-link")),
		chromedp.WaitVisible(chromedp.ID("signin")),
	)
	if u := b.location(); u.String() != b.stack.BankURL+"/enrolled" {
		b.fatalf("return link: got %s, want %s/enrolled", u, b.stack.BankURL)
	}
	if got := strings.TrimSpace(get(b, "read the heading", chromedp.Text(chromedp.CSS("main h1")))); got != msgBankEnrolled {
		b.t.Errorf("the bank after enrollment: got %q, want %q", got, msgBankEnrolled)
	}
}

// signInPage follows a bank link with id #signin to the provider's sign-in
// page.
func (b *tab) signInPage() {
	b.t.Helper()
	b.do("go to the sign-in page",
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("passkey-signin")),
		scriptReady(),
	)
	if u := b.location(); !strings.HasPrefix(u.String(), b.stack.ProviderURL+"/login?") {
		b.fatalf("sign-in page: got %s, want the provider's", u)
	}
}

// accountPage is what the bank's account page shows about the sign-in.
type accountPage struct {
	acr      string
	amr      []string
	authTime time.Time
	sub      string
}

// readAccount waits for the bank's account page and reads its sign-in panel.
func (b *tab) readAccount() accountPage {
	b.t.Helper()
	b.do("wait for the account page", chromedp.WaitVisible(chromedp.ID("acr")))
	if u := b.location(); u.String() != b.stack.BankURL+"/account" {
		b.fatalf("after sign-in: got %s, want %s/account", u, b.stack.BankURL)
	}
	p := accountPage{
		acr: b.text("acr"),
		amr: get(b, "read #amr", chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll("#amr li"), (li) => li.textContent.trim())`)),
		sub: b.text("sub"),
	}
	dt := get(b, "read #auth-time", chromedp.AttributeValue(chromedp.ID("auth-time"), "datetime"))
	if !dt.Exists {
		b.fatalf("#auth-time has no datetime attribute")
	}
	var err error
	if p.authTime, err = time.Parse(time.RFC3339, dt.Value); err != nil {
		b.fatalf("#auth-time datetime %q: %v", dt.Value, err)
	}
	return p
}

// checkRoutine checks the account page after a routine passkey sign-in that
// started at or after notBefore.
func checkRoutine(t *testing.T, got accountPage, notBefore time.Time) {
	t.Helper()
	if got.acr != acr.RoutineACR {
		t.Errorf("#acr: got %q, want %q", got.acr, acr.RoutineACR)
	}
	if want := []string{"hwk", "mfa", "user"}; !slices.Equal(got.amr, want) {
		t.Errorf("#amr: got %q, want %q", got.amr, want)
	}
	if got.sub == "" {
		t.Errorf("#sub: got empty, want the customer id")
	}
	// auth_time has whole seconds.
	if earliest, latest := notBefore.Truncate(time.Second), time.Now().Add(time.Second); got.authTime.Before(earliest) || got.authTime.After(latest) {
		t.Errorf("#auth-time: got %s, want between %s and %s", got.authTime, earliest, latest)
	}
}

// TestBrowserEnrollAndSignIn opens an account at the bank in Chromium,
// creates a device-bound passkey on the provider's enrollment page, passes
// the enrollment's identity check on the sandbox (the progress page says
// the account is ready, and links back to the bank's "set up" page), signs
// in usernameless, signs out, and signs in again by username: each time
// the bank's account page must show the routine acr, amr hwk+mfa+user, a
// fresh auth_time and the customer id.
func TestBrowserEnrollAndSignIn(t *testing.T) {
	b := startBrowserTest(t)
	username := "alex-" + secret()[:8]

	if got := b.openAccount(username); got != msgEnrolled {
		t.Errorf("enrollment result: got %q, want %q", got, msgEnrolled)
	}
	if got := b.attr("verify", "data-journey"); got != string(idvbridge.JourneyEnrollment) {
		t.Errorf("#verify[data-journey] after enrollment: got %q, want %q", got, idvbridge.JourneyEnrollment)
	}
	b.returnToBank()
	b.signInPage()
	b.screenshot("signin.png")

	started := time.Now()
	b.do("sign in with a passkey", chromedp.Click(chromedp.ID("passkey-signin")))
	first := b.readAccount()
	checkRoutine(t, first, started)
	b.screenshot("account.png")

	// Signing out ends Hydra's session too, so the next sign-in is a new
	// ceremony, not a skipped login.
	b.do("sign out",
		chromedp.Click(chromedp.ID("signout")),
		chromedp.WaitVisible(chromedp.ID("open-account")),
	)
	// Hydra hands the logout's state back in the query.
	if u := b.location(); u.Scheme+"://"+u.Host+u.Path != b.stack.BankURL+"/" {
		b.fatalf("after sign-out: got %s, want %s/", u, b.stack.BankURL)
	}
	b.signInPage()
	started = time.Now()
	b.do("sign in by username",
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.Click(chromedp.ID("username-signin")),
	)
	second := b.readAccount()
	checkRoutine(t, second, started)
	if second.sub != first.sub {
		t.Errorf("#sub after the username sign-in: got %q, want %q", second.sub, first.sub)
	}
	if second.authTime.Before(first.authTime) {
		t.Errorf("#auth-time after the username sign-in: got %s, want %s or later", second.authTime, first.authTime)
	}
}

// TestBrowserUserCancelsOrNoUV covers the sign-in page's failures: a
// biometric that fails (the authenticator cannot verify the user) must
// leave the user on the page with a message and the buttons ready to try
// again; a browser without WebAuthn must say so and offer nothing to click;
// and the same login must still succeed once the biometric works.
func TestBrowserUserCancelsOrNoUV(t *testing.T) {
	b := startBrowserTest(t)
	if got := b.openAccount("sam-" + secret()[:8]); got != msgEnrolled {
		t.Errorf("enrollment result: got %q, want %q", got, msgEnrolled)
	}
	b.returnToBank()
	b.signInPage()
	signIn := b.location()

	b.setUserVerified(false)
	b.do("sign in without user verification",
		chromedp.Click(chromedp.ID("passkey-signin")),
		chromedp.WaitVisible(chromedp.CSS("#status.error")),
		// The failed attempt frees the controls for another one.
		chromedp.WaitEnabled(chromedp.ID("passkey-signin")),
	)
	if got := b.text("status"); got != msgSignInCancelled {
		t.Errorf("#status after a failed biometric: got %q, want %q", got, msgSignInCancelled)
	}
	if got := b.location(); got.String() != signIn.String() {
		t.Errorf("after a failed biometric: got %s, want to stay on %s", got, signIn)
	}

	// A browser without WebAuthn: the page's script sees no
	// PublicKeyCredential when it starts.
	noWebAuthn := call(b, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: "delete window.PublicKeyCredential;"}).Identifier
	b.do("reload without WebAuthn", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#status.error")))
	if got := b.text("status"); got != msgNoPasskeys {
		t.Errorf("#status without WebAuthn: got %q, want %q", got, msgNoPasskeys)
	}
	for _, id := range []string{"passkey-signin", "username-signin"} {
		if !b.disabled(id) {
			t.Errorf("#%s without WebAuthn: got enabled, want disabled", id)
		}
	}
	call(b, page.RemoveScriptToEvaluateOnNewDocument,
		page.RemoveScriptToEvaluateOnNewDocumentParams{Identifier: noWebAuthn})

	// Neither failure used up the login: with a working biometric it ends
	// at the bank's account page.
	b.setUserVerified(true)
	b.do("reload with WebAuthn", chromedp.Reload(), chromedp.WaitEnabled(chromedp.ID("passkey-signin")))
	started := time.Now()
	b.do("sign in with user verification", chromedp.Click(chromedp.ID("passkey-signin")))
	checkRoutine(t, b.readAccount(), started)
}
