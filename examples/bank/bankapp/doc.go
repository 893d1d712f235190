// Package bankapp is Example Bank, the demo relying party that `make run`
// starts next to Ory Hydra and the Biometric Passkey login provider. It shows
// what a relying party does: vouch for a new customer so the provider can
// enroll a passkey, ask for an assurance level with acr_values, and check the
// acr and auth_time it gets back itself, because Hydra does not.
//
// Routes (Handler):
//
//	GET  /          home: what the demo shows; "Open an account", "Sign in"
//	GET  /signup    sign-up form (username, full name, CSRF token)
//	POST /signup    validate → local account cust-<hex> → enrollment API → 303 to enrollment_url
//	GET  /enrolled  return_url of the enrollment: "Your passkey is set up — sign in now"
//	GET  /login     authorization request: code + PKCE S256, state, nonce, acr_values=Config.ACR
//	GET  /callback  state → code exchange → ID-token verification → nonce → CheckSignIn → session
//	GET  /account   greeting, a made-up balance and the "Your sign-in" panel
//	POST /logout    CSRF → end the bank session → Hydra's end_session_endpoint (or home)
//	GET  /static/   the embedded stylesheet
//
// Sign-up, server to server:
//
//	bank ──client_credentials (EnrollClientID, scope EnrollScope)──► token_endpoint
//	bank ──POST {ProviderURL}/api/v1/enrollments, Bearer token────► login provider
//	     ◄── 201 {"enrollment_url", "expires_at", "user": {…}}
//	     ◄── 4xx/5xx {"error": code, "message": user-safe text}  (the message is shown)
//
// The account is created before the call and forgotten again if the call
// fails, so the user can retry with the same username. The provider accepts
// return_url only on the origin of one of the calling client's registered
// redirect URIs, so register the enrollment client with PublicURL+"/enrolled".
//
// Sign-in: /login keeps state, nonce, the PKCE verifier and the requested acr
// server-side under a random id, and gives the browser only that id in a
// short-lived HttpOnly, SameSite=Lax cookie scoped to /callback; the callback
// takes the entry exactly once. After go-oidc verifies signature, iss, aud and
// exp, the bank checks the nonce and then CheckSignIn: acr must equal the
// requested value or rank above it on acr.DefaultLadder (step-up satisfies
// routine; "0" and unknown values satisfy nothing), and auth_time must be
// present. A refused sign-in gets a page that says why and no session.
//
// State: accounts, pending sign-ins and sessions live in memory behind
// mutexes; a restart forgets them. Cookies are named bank_* because browsers
// share cookies across ports of one host (Hydra and the provider run on
// localhost too). Forms carry a CSRF token that is an HMAC of the bank_csrf
// cookie under a per-process key.
//
// Every response carries Content-Security-Policy: default-src 'self'; the
// pages need no JavaScript. Users see generic messages; the detail goes to
// Config.Logger.
//
// Stable element ids for browser tests: #signup-form, #username, #fullname,
// #signup-submit, #signin, #signout, #acr, #acr-level, #amr, #auth-time,
// #auth-age, #sub, #sid, #claims-json, #message-heading, #message-text.
package bankapp
