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
//	GET  /static/…      embedded stylesheet
//
// Roles: support reads; fraud will also act (suspend, revoke, re-verify);
// admin will also export the audit log and view the configuration. This
// package serves the read-only views; actions come next.
//
// Nothing in this package is imported by the rest of the module: the host
// (internal/app) mounts Handler on a listener of its own.
package adminui
