// Package hydra is the login-and-consent provider that puts Biometric
// Passkey in front of Ory Hydra v2 (DESIGN.md §2). It is stateless and thin:
// every request becomes calls to Hydra's admin API and to the authenticator
// plugin (plugin.Authenticator), which owns every rule and every byte of
// state. Any number of replicas can serve one Hydra.
//
// # Routes
//
//	browser pages (HTML; errors render an error page)
//	  GET  /login?login_challenge=…       Hydra's login URL: decide, then redirect or show the sign-in page
//	  GET  /enroll?token=…                the enrollment (or recovery) link's page: ResumeEnrollment first;
//	                                      a pending identity check → journey cookie, 303 /verify
//	  GET  /verify                        the identity-check progress page of the browser's journey
//	                                      (journey cookie); the IDV provider's capture returns here
//	  POST /verify                        its form: action=check re-renders (no JavaScript),
//	                                      action=cancel gives up (double-submit CSRF cookie bp_verify_csrf)
//	  GET  /recover?login_challenge=…     "Lost your device?": the recovery page for that login
//	  GET  /consent?consent_challenge=…   Hydra's consent URL: skip, or show scopes with Allow/Deny
//	  POST /consent                       the consent form (double-submit CSRF cookie)
//	  GET  /logout?logout_challenge=…     Hydra's logout URL: accept, redirect
//	  GET  /static/passkey.js, style.css  WebAuthn script and styles (no external assets)
//
//	JSON API (POST only, but GET /api/v1/approvals/{id}; openapi.yaml, served at GET /api/openapi.yaml)
//	  POST /api/v1/login/begin            {login_challenge, username?}  → {ceremony_id, public_key, expires_at}
//	  POST /api/v1/login/finish           {ceremony_id, credential, return_token?}
//	                                      → {redirect_to[, error, message][, identity_check]}
//	  POST /api/v1/enroll/begin           {token}                       → {ceremony_id, public_key, expires_at}
//	  POST /api/v1/enroll/finish          {ceremony_id, credential, return_token?}
//	                                      → {status, return_url?, replaced?, redirect_to?, error?, message?, identity_check?}
//	  POST /api/v1/enrollments            Bearer token with EnrollmentScope;
//	                                      {external_user_id, username?, display_name?, return_url?,
//	                                       purpose? ("enrollment" | "recovery")}
//	                                      → 201 {enrollment_url, expires_at, user}
//	  POST /api/v1/identity-check/continue {token?, cancel?} (token, else the journey cookie)
//	                                      → {journey, status, reason?, message, identity_check?,
//	                                         redirect_to?, error?, return_url?, ceremony?}
//	  POST /api/v1/recovery/begin         {login_challenge, username, return_token?}
//	                                      → {redirect_to (the progress page), identity_check}
//	  GET  /api/v1/approvals/{id}         Bearer token with ApprovalScope; the client's own approval
//	                                      verified again → {id, valid, problem?, sub, client_id, acr,
//	                                      authorization_details, authorization_details_hash,
//	                                      credential_id, created_at, assertion}
//
//	identity-verification webhooks (server-to-server; no cookies, no CSRF; idvwebhook.go)
//	  POST /idv/webhooks                  the provider's raw body (≤ 1 MiB, else 413) and only the
//	                                      allow-listed headers (Content-Type, X-Sha2-Signature) go to
//	                                      auth.ApplyIDVWebhook, which verifies the signature first;
//	                                      200 {"status":"accepted"} (applied or already final),
//	                                      200 {"status":"ignored"} (not_found: not our run),
//	                                      400 invalid_argument, 503 + Retry-After, else 500;
//	                                      405 + Allow: POST for other methods
//
//	operations
//	  GET  /healthz                       200 while the process runs
//	  GET  /readyz                        200 when the plugin and Hydra's /health/ready answer, else 503
//
// # Login flow
//
//	RP ──authorize?acr_values=…──► Hydra ──303 /login?login_challenge=C──► provider
//	                                                                         │
//	     GET /admin/oauth2/auth/requests/login?login_challenge=C ◄──────────┤ (410 → follow redirect_to)
//	                                                                         │
//	     auth.DecideLogin(LoginRequest{C, session_id, client, skip, subject, acr_values, request_url, login_hint})
//	                                                                         │
//	   ┌──────────────┬───────────────────────┬──────────────────────────┬───┴──────────────┐
//	 accept        reauthenticate            reject                   authenticate
//	   │              │                         │                          │
//	 PUT …/accept    303 request_url with     PUT …/reject              200 sign-in page
//	 {sub, acr, amr, prompt=login (replaces    {error, error_description}   │ passkey.js:
//	  remember,      any prompt): Hydra         │                          │ POST /api/v1/login/begin {C}
//	  remember_for}  starts a fresh login      303 redirect_to             │   → Hydra login request fetched again,
//	   │             (skip=false, new sid,                                 │     auth.BeginAuthentication binds C
//	 303 redirect_to  fresh auth_time)                                     │ navigator.credentials.get()
//	                                                                       │ POST /api/v1/login/finish
//	                                                                       │   → auth.FinishAuthentication
//	                                                                       │   ok:    PUT …/accept for result.LoginChallenge
//	                                                                       │          {sub, acr, amr, remember, remember_for}
//	                                                                       │   unmet: PUT …/reject unmet_authentication_requirements
//	                                                                       │ location.assign(redirect_to)
//	                                                                       ▼
//	                                      Hydra ──303 /consent?consent_challenge=…──► provider
//	                                      skip, skip_consent or first party → accept; else the consent page
//	                                      accept: {grant_scope, …, session.access_token: {acr, auth_time}}
//
// # Identity checks: step-up, enrollment, recovery (ADR 0005)
//
// A journey that waits on an identity check is the plugin's PendingCheck;
// its Token is a short-lived bearer secret. The provider keeps no state:
//
//	login/finish → FinishAuthentication: Pending ─┐   (the passkey is verified; the step-up
//	enroll/finish → FinishRegistration: Pending ──┤    level also needs a biometric match;
//	GET /enroll → ResumeEnrollment: non-zero ─────┤    an enrollment's reference; a recovery
//	recovery/begin → BeginRecovery ───────────────┘    link or "lost your device?")
//	      │ Set-Cookie bp_identity_check=<token>; HttpOnly; SameSite=Lax; Path=<base path>
//	      │ [; Secure on https]; Max-Age = until PendingCheck.ExpiresAt (1 min … 2 h)
//	      ▼ → redirect_to / 303 <public URL>/verify (also the ReturnURL given to the plugin)
//	GET /verify ── "Verify your identity" → CaptureURL (same tab) → the provider → GET /verify
//	      │ passkey.js polls POST /api/v1/identity-check/continue {} every 2 s (back-off to 30 s
//	      │ on errors); without JavaScript, "Check again" (POST /verify action=check)
//	      ▼ auth.ContinueIdentityCheck(token[, cancel]) → Progress
//	 pending: show status ·  final (passed/failed): the cookie is cleared, then
//	   Login set     → accepted or refused at Hydra exactly as at login finish (finishLogin) → redirect_to
//	   Ceremony set  → recovery passed: navigator.credentials.create() on the page →
//	                   POST /api/v1/enroll/finish → Registration.Login finished at Hydra → redirect_to
//	   otherwise     → the message, and a link to the relying party's ReturnURL
//
// The journey cookie is SameSite=Lax so that it comes back with the IDV
// provider's top-level redirect; it never appears in a URL. Native apps keep
// the token in memory instead (return_token: true, then {"token": …}).
// Cancel is a form post guarded by a double-submit CSRF cookie like consent;
// the JSON endpoint is guarded, like every JSON endpoint, by its media type.
//
// # Transaction approval (RFC 9396)
//
// The sign-in page renders the authorization_details of Hydra's request_url
// on the server (acr.ParseAuthorizationDetails, the plugin's parser;
// payment_initiation as "Pay €X to NAME (IBAN)" and a reference, any other
// type as a key/value list), before the passkey prompt; details that cannot
// be parsed refuse the page. A login that approved details (the plugin's
// AuthenticationResult) writes them, in canonical form, with their hash and
// approval id into Hydra's login context; consent checks the hash again and
// copies them into session.id_token and session.access_token as the claims
// authorization_details, authorization_details_hash and approval_id.
//
// Invariants this package keeps (DESIGN.md §5, §7):
//
//   - The login accepted at finish is the one the plugin bound to the
//     ceremony at begin (result.LoginChallenge), never a challenge the client
//     names, and acr/amr are the ones the ceremony earned.
//   - acr and amr are sent on every accept, skipped logins included: Hydra
//     does not remember them between logins.
//   - Every login accept also carries context.biometric_passkey = {acr,
//     auth_time} (for a skipped login, the recorded sign-in's auth_time).
//     Consent copies exactly that, and only when its acr is the one Hydra
//     holds for the flow, into session.access_token, so access tokens and
//     introspection carry acr and auth_time for RFC 9470 resource servers
//     (tokenclaims.go). Hydra sets the ID token's acr and auth_time; a
//     login that approved authorization_details adds them, their hash and
//     the approval id to both tokens the same way, and only that way.
//   - A level that cannot be reached is refused with
//     unmet_authentication_requirements, never downgraded.
//   - Bad input (wrong method, media type or size, malformed JSON, unknown
//     members, trailing data, missing members) is rejected by one decoder
//     before the plugin is called, and changes nothing. Requiring
//     application/json also keeps other sites out of the browser API: a
//     cross-site page cannot send that media type without a CORS preflight,
//     and this server grants none.
//   - Users see generic messages (authenticator.PublicMessage); the detail is
//     logged through the injected *slog.Logger.
//   - Every response carries a strict Content-Security-Policy (scripts and
//     styles only from this origin, no framing), nosniff, no-referrer and
//     Cache-Control: no-store (static files excepted).
//
// # Status codes
//
// Errors are JSON {"error": code, "message": user-safe text} with optional
// "field" (the request member at fault) and "redirect_to" (Hydra already
// handled the login; continue there). Codes map to statuses as follows:
//
//	invalid_argument                      400
//	invalid_token                         401 + WWW-Authenticate (RFC 6750 §3; none of the error
//	                                          attributes when no token was sent, per §3.1)
//	insufficient_scope                    403 + WWW-Authenticate: Bearer error="insufficient_scope", scope="…"
//	verification_failed, credential_revoked, credential_flagged,
//	user_suspended, policy_denied,
//	unmet_authentication_requirements     403: the ceremony ran and was refused. Not 401, which
//	                                          requires an HTTP authentication challenge
//	                                          (RFC 9110 §15.5.2) that WebAuthn does not have
//	not_found                             404
//	rate_limited                          429: too many attempts for this user; the message says to wait
//	method_not_allowed                    405 + Allow: POST
//	conflict                              409
//	challenge_unknown                     410 on the API: the ceremony or login expired, was used or
//	                                          never existed; the same body can never succeed, so start
//	                                          again. 400 on pages (a bad link), 303 when Hydra already
//	                                          handled the request and says where to go
//	payload_too_large                     413 (bodies are limited to 64 KiB)
//	unsupported_media_type                415
//	internal, and codes this version does not know   500
//	unavailable                           503 + Retry-After
//
// Hydra's own failures are classified the same way: 404 and 401 on a
// challenge (unknown, expired) are challenge_unknown, 410 carries its
// redirect, transport failures, 429 and 5xx are unavailable, anything else
// is internal.
//
// A requested level that cannot be met ends the login at Hydra
// (reject with unmet_authentication_requirements), because the OAuth error
// must reach the relying party through the redirect:
//
//   - at begin (BeginAuthentication returns ErrUnmetRequirements), the login
//     fetched from Hydra is rejected and the answer is 403
//     {"error": "unmet_authentication_requirements", "message", "redirect_to"};
//   - at finish, the passkey was verified but FinishAuthentication's result
//     carries an Error (today unmet_authentication_requirements, when this
//     login's evidence falls short of the request): the login bound to the
//     ceremony (the result's LoginChallenge) is rejected with that error and
//     its description, and the answer is 200 {"redirect_to", "error",
//     "message"}: the call did its job. An ErrUnmetRequirements error from
//     FinishAuthentication names no login and is answered as a plain 403.
//
// The rule for clients: an error body with redirect_to means Hydra is done
// with the login (handled or refused); continue there.
//
// # Page elements for browser tests
//
//	sign-in page     #login[data-login-challenge], #passkey-signin, #username-form,
//	                 #username, #username-signin, #status, #recovery-link ("Lost your device?");
//	                 with details: #authorization-details, .detail#detail-N[data-type],
//	                 .detail-summary, .detail-reference, dl.fields
//	recovery page    #recover[data-login-challenge], #recovery-form, #recovery-username,
//	                 #recovery-submit, #status, #signin-link
//	progress page    #verify[data-journey, data-pending, data-redirect-to?, data-refused?,
//	                 data-ceremony?], #verify-heading, #verify-purpose, #verify-start (the
//	                 capture link), #status (aria-live), #verify-form, #verify-check (hidden by
//	                 the script), #verify-cancel, #recovery-create, #verify-result,
//	                 #continue-link, #return-link
//	enrollment page  #enroll[data-enrollment-token], #enroll-button, #status,
//	                 #enroll-result, #return-link
//	consent page     #client-name, #scopes, #consent-allow, #consent-deny
//	error page       #error-heading, #error-message
package hydra
