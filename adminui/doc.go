// Package adminui is the operator dashboard (DESIGN.md §3, issue 4): a
// server-rendered web application on its own listener, for the support,
// fraud and admin teams. It reads and acts only through the plugin's Admin
// contract, so it never sees raw biometric data: there is none to see.
//
// Operators sign in through the organisation's OpenID provider
// (authorization code + PKCE S256, state and nonce; go-oidc verifies the ID
// token). Their role comes from a configurable claim (Config.RoleClaim,
// a string or an array) mapped through Config.RoleMap; a sign-in with no
// mapped role gets a 403 page and no session. The session is a cookie
// sealed with AES-GCM under Config.SessionKey; its expiry is inside the
// sealed value, so a cookie kept past its Max-Age is still refused.
//
// Routes (every response carries a strict CSP and the security headers):
//
//	GET  /login         → redirect to the provider (login cookie: state, nonce, PKCE verifier)
//	GET  /callback      → verify state, exchange, verify ID token + nonce → session cookie → /
//	POST /logout        → CSRF token from the session required; clears the session
//	GET  /              overview: Admin.CountUsersByStatus; SVG bar charts of Admin.ActivityByDay (last 14 days)
//	GET  /users?q=      search by external id prefix, status badges
//	GET  /users/{id}    user detail through Admin.ReadUser with the operator's sub (audited)
//	GET  /audit         audit log page with in-page filters; the first page shows VerifyAudit's result on top
//	GET  /audit/export  admin: every audit record as JSON lines (attachment), ListAudit page by page,
//	                    audited first (audit.export)
//	POST /users/{id}/act fraud, admin: an action on the user or one of their passkeys
//	GET  /events/dead   admin: the webhook dead letters (Admin.ListDeadLetters), a redeliver form each
//	POST /events/dead/{id}/redeliver  admin: back to pending (Admin.RedeliverEvent, audited)
//	GET  /config        admin: the host's effective configuration (Config.Settings), secrets redacted
//	GET  /static/…      embedded stylesheet
//
// Roles (actions.go, table actions):
//
//	                                   support  fraud  admin
//	read every view                       ✓       ✓      ✓
//	suspend / unsuspend user              ·       ✓      ✓
//	require re-verification               ·       ✓      ✓
//	revoke passkey                        ·       ✓      ✓
//	suspend / unsuspend passkey           ·       ✓      ✓
//	revoke sessions (Config.Sessions)     ·       ✓      ✓
//	export the audit log                  ·       ·      ✓
//	dead letters: view, redeliver         ·       ·      ✓
//	configuration view                    ·       ·      ✓
//	erase user                            ·       ·      ✓
//
// A signed-in operator's request refused for the role or a missing CSRF
// token is audited (access.refused, with the attempted action and why)
// besides being logged; a request without a session is only logged: it
// has no operator to name.
//
// Revoke sessions asks the identity server (Config.Sessions; the host
// gives Hydra's admin API) to end the user's login sessions and consent
// sessions with their tokens, then records the result through
// Admin.RecordOperatorAction (sessions.revoke; the sessions.revoked event
// when it worked). The user page lists the sessions (client, since,
// level, scopes, login session id). Erase user (Admin.EraseUser) deletes
// the user's passkeys, checks, approvals and events, and the biometric
// references here and at the provider; the audit log keeps only the
// user's pseudonym (docs/adr/0010-erasure-and-pseudonymous-audit.md).
// The sessions are revoked after it, best effort. A passkey action
// checks, through ReadUser, that the passkey is the user's in the URL.
//
// The user page renders a form only for an action the operator's role
// allows (and the record's status offers); a POST of any other is refused
// with 403 before Admin is called. An action is two POSTs to
// /users/{id}/act with fields csrf (the session's token), action,
// credential (base64url, passkey actions) and reason (required, at most
// 512 bytes). The first, without confirm=yes, renders "Confirm: <action>
// for <user or passkey>?" with a form re-posting the same fields plus
// confirm=yes; no separate confirmation token is needed, since the CSRF
// token already proves the form came from this session, and the
// confirmation step guards against a slip, not an attacker. The second
// calls the Admin method with Operator = the session's sub (Admin writes
// the audit record), then redirects (303) to the user page, which shows
// the result once from a sealed flash cookie (purpose adminui/flash/v1,
// one minute). Admin's errors render the error page with
// authenticator.PublicMessage and the code's status (invalid_argument 400,
// not_found 404, conflict 409, …) and a link back to the user.
//
// The user page's "Recent sign-ins" table (signins.go) sits above the
// event timeline and is derived from the same events (UserDetail.Events,
// newest first), at most 20 rows, newest first: one row per authentication
// session with its time, journey (routine sign-in, step-up, recovery,
// enrollment check), the level reached (the acr's short name, routine or
// step-up, with the full URN in a title attribute; an unknown acr as it
// is), client, result (succeeded, or refused and the event's reason) and
// passkey (base64url, shortened; the full id in a title attribute). Every
// event feeds at most one row, paired where the detail allows:
//
//	authentication.succeeded + step_up.passed   same client, ≤ 1 minute apart, same passkey
//	                                            when both name one: ONE step-up row (nearest pass)
//	authentication.succeeded, unpaired          routine sign-in at the acr it names
//	step_up.passed, unpaired                    succeeded step-up (its login not in the list)
//	step_up.failed                              refused step-up, reason, no level reached
//	recovery.completed + authentication.succeeded with recovery_run_id = run_id
//	                                            ONE succeeded recovery row (the login's acr);
//	                                            that login alone: a succeeded recovery row
//	recovery.failed (+ recovery.started, same run_id, for its client)
//	                                            refused recovery, reason
//	recovery.started alone                      no row (not finished)
//	idv_check.passed / idv_check.failed with journey=enrollment
//	                                            enrollment check, no client, no level
//	anything else                               no row (only the timeline shows it)
//
// Nothing in this package is imported by the rest of the module: the host
// (internal/app) mounts Handler on a listener of its own.
package adminui
