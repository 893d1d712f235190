// Package sandbox is the development identity-verification provider and
// the embedded default's (DESIGN.md §2): an idvbridge.Provider whose checks
// end with the outcome a tester picks, as the real vendor's sandbox returns
// predetermined results (reference/idv-and-market.md §2). It never claims to
// compare faces: it opens no camera, captures nothing and compares nothing,
// and every page it serves says so under a SANDBOX banner.
//
// # Production refuses it
//
// CheckAllowed(mode) is nil only for "development"; production, and any
// other or empty mode, is ErrProductionRefused (DESIGN.md §7.9).
// internal/app calls it while validating its config, so the refusal is
// reported at start with every other problem; New calls it again, so a
// Provider cannot be built without Config.Mode set to development.
//
// # State
//
// Runs and references live in memory, bounded by Config.MaxRuns and
// Config.MaxReferences; a restart forgets them (a forgotten run is
// idvbridge.ErrNotFound, a forgotten reference makes step-ups decline).
// Run ids are random version 4 UUIDs and each run has its own 256-bit form
// token, both read from Config.Random; with a seeded Random and a fixed
// Config.Now, tests get the same ids, tokens and times every time.
//
// # Journeys and outcomes
//
//	Start(enrollment)          → pending run, CaptureURL = BaseURL/capture/{run}, no SDKToken
//	Start(step_up | recovery)  → the same; the reference must be the sandbox's (else ErrInvalid)
//	choice on the page         → Complete(run, choice):
//	  pass, enrollment           passed, a new Reference for the run's user
//	  pass, step-up/recovery     passed naming the reference, only if it is enrolled
//	                             for the run's user; deleted, evicted or another
//	                             user's → failed/declined (never passed)
//	  declined, review,          failed with that reason (expired: as if time ran out)
//	  abandoned, error, expired
//	no choice within Config.TTL → failed/expired, CompletedAt = ExpiresAt
//
// A run finishes once; later choices are ErrFinished. Fetch reports the
// run's current outcome. Webhook returns the notification for a finished
// run: a JSON body signed like the vendor's (X-SHA2-Signature: hex
// HMAC-SHA256 of the raw body under Config.WebhookSecret); ParseWebhook
// verifies that signature in constant time before decoding anything and
// returns the same outcome as Fetch. If Config.Notify is set, the sandbox
// hands it each notification when a choice finishes a run, so the host can
// feed its webhook intake exactly as the vendor's webhooks would.
//
// Native apps: the sandbox has no capture SDK, so Check.SDKToken is empty
// rather than a token a real SDK would reject; an app opens CaptureURL in a
// browser tab.
//
// # Routes
//
// Handler serves, under the path P of Config.BaseURL (Provider.Path):
//
//	GET  P/capture/{run}       the capture page: what a real check asks, the notice that
//	                           the sandbox compares nothing, and the choices (#outcome-pass,
//	                           #outcome-declined, #outcome-review, #outcome-abandoned,
//	                           #outcome-error, #outcome-expire); a finished run shows its
//	                           result (200), an expired one 410, an unknown one 404
//	POST P/capture/{run}       the form: csrf (the run's token, compared in constant time;
//	                           403 and nothing changes when wrong or missing) and outcome;
//	                           completes the run, then 303 to the run's ReturnURL exactly as
//	                           Start validated it (nothing appended), or a "finished" page
//	                           when there is none; 409 when the run had already finished
//	GET  P/static/sandbox.css  the stylesheet (embedded)
//	     P/…                   anything else: 404 page
//
// Every page has #sandbox-banner and a strict Content-Security-Policy (no
// script at all; styles from the stylesheet only; form-action 'self' plus
// the run's return origin, so the redirect after the form may leave).
// Cross-origin POSTs are refused (net/http.CrossOriginProtection), and
// Referrer-Policy no-referrer keeps the run id out of other sites' logs.
//
// # Mounting
//
// The host serves the handler from the process that holds the Provider,
// at the public URL given as BaseURL:
//
//	p, err := sandbox.New(sandbox.Config{
//		Mode:          cfg.Mode, // refused unless "development"
//		BaseURL:       publicURL + "/sandbox/idv",
//		WebhookSecret: secret,
//		Logger:        log,
//	})
//	mux.Handle(p.Path()+"/", p.Handler())
//
// The in-memory state is the Provider's, so Handler must run in the same
// process as the Provider that Start is called on: the embedded default's
// in-process plugin. An out-of-process plugin would have to serve Handler
// on a listener of its own.
package sandbox
