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
//	GET  /account   balance, recent transfers, payees and the "Your sign-in" panel
//	POST /logout    CSRF → end the bank session → Hydra's end_session_endpoint (or home)
//	GET  /transfers/new  "New transfer" form (payee, amount in EUR, reference)
//	POST /transfers      CSRF → validate → API with the session's token → done, or step-up
//	GET  /transfers/{id} confirmation: the transfer, and the acr, auth_time and approval_id it was made on
//	GET  /payees/new     "Add a payee" form (name, IBAN with its ISO 13616 checksum)
//	POST /payees         CSRF → validate → API → (always) step-up
//	GET  /payees/{id}    confirmation of a new payee
//	POST /api/v1/transfers, /api/v1/payees   the bank's API (below), bearer tokens only
//	GET  /static/   the embedded stylesheet
//
// Transfers and payees (banking.go, api.go): the pages call the bank's API,
// a resource server in the sense of RFC 9470, in process with the
// signed-in customer's access token (it never reaches the browser). The
// API introspects the token at Hydra's admin API (RFC 7662,
// Config.IntrospectionURL), reads acr, auth_time and sub with
// acr.FactsFromClaims (top level or under ext), and lets an acr.Enforcer
// apply the per-action policy (Config.Policy, default DefaultPolicy):
//
//	transfer ≤ 100.00 EUR   routine
//	transfer > 100.00 EUR   step-up, auth_time at most 5 minutes old (max_age 300)
//	add-payee               step-up, max_age 300
//
// Amounts are exact decimals: acr.Amount validates and compares them, and
// the bank keeps whole cents; more than two decimals, signs, zero and more
// than 1,000,000.00 EUR are refused. On top of acr and max_age the API
// binds step-up actions to their transaction: the token's
// authorization_details_hash must be the hash of this request body, and a
// bound token works once. Otherwise the API answers 401 with the RFC 9470
// challenge (Bearer error="insufficient_user_authentication", acr_values,
// max_age). The page parses it (acr.ParseChallenge) and starts a step-up:
//
//	bank ──authorize?acr_values=…&max_age=…&prompt=login&authorization_details=[…]──► Hydra
//	     (code + PKCE, state, nonce; the order waits server-side under the state,
//	      bound to the bank session)
//	     ◄── /callback?code&state ── ID token checked: nonce, same sub, acr satisfies
//	         acr_values, auth_time within max_age and not before the step-up began,
//	         authorization_details_hash = base64url(SHA-256(RFC 8785 form of what was
//	         sent)) and approved authorization_details = what was sent
//	bank ──POST /api/v1/…, Bearer <the step-up's access token>──► API (checks it all again)
//
// authorization_details is one object: a transfer is RFC 9396's
// payment_initiation (actions ["initiate"], instructedAmount {currency,
// amount with two decimals}, creditorName, creditorAccount {iban},
// remittanceInformationUnstructured); a payee is payee_creation (actions
// ["create"], creditorName, creditorAccount {iban}). The bank sends their
// canonical JSON, which is also the API's request body. A refused step-up
// (error=unmet_authentication_requirements, access_denied, …) or any
// failed check ends on "The transfer was not made" / "The payee was not
// added", with nothing carried out; a second challenge never starts
// another step-up.
//
// Claims read: ID token sub, acr, amr, auth_time, sid, nonce and, after a
// step-up, authorization_details, authorization_details_hash and
// approval_id; introspection active, client_id (must be ClientID), sub,
// acr, auth_time, authorization_details_hash and approval_id.
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
// State: accounts, balances, payees, transfers, pending sign-ins and
// step-ups, and sessions live in memory behind mutexes; a restart forgets
// them. Cookies are named bank_* because browsers
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
// #auth-age, #sub, #sid, #claims-json, #message-heading, #message-text,
// #message-detail, #balance, #new-transfer, #add-payee, #transfers,
// #payees, #transfer-form, #payee, #amount, #reference, #transfer-submit,
// #transfer-errors, #payee-form, #payee-name, #iban, #payee-submit,
// #payee-errors, #done-heading, #done-amount, #done-payee, #done-iban,
// #done-id, #done-acr, #done-acr-level, #done-auth-time,
// #done-approval-id, #done-details-hash.
package bankapp
