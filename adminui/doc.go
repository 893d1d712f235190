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
//	GET  /              overview: users by status (charts: next)
//	GET  /users?q=      search by external id prefix, status badges
//	GET  /users/{id}    user detail through Admin.ReadUser with the operator's sub (audited)
//	GET  /audit         audit log page with in-page filters, VerifyAudit result on top
//	GET  /audit/export  admin: every audit record as JSON lines (attachment), ListAudit page by page
//	POST /users/{id}/act fraud, admin: an action on the user or one of their passkeys
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
//	export the audit log                  ·       ·      ✓
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
// Nothing in this package is imported by the rest of the module: the host
// (internal/app) mounts Handler on a listener of its own.
package adminui
