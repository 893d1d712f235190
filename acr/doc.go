// Package acr owns assurance: the ladder of acr values a deployment issues,
// the amr values (RFC 8176) that describe how a login was made, and the
// evaluation of what a relying party asked for (acr_values, max_age, prompt)
// against what a login proved, and the per-action step-up checks of resource
// servers.
//
// The rules (DESIGN.md §5):
//
//   - The acr that goes into a token comes only from this login's evidence
//     (Assess), never from what was requested.
//   - A request for a level that cannot be reached is refused with
//     unmet_authentication_requirements, never silently downgraded (Decide,
//     Check). OpenID Connect Core §3.1.2.1 makes acr_values voluntary, but
//     RFC 9470 §4 says the server SHOULD fail rather than issue less, and
//     relying parties of payments expect exactly that.
//   - An identity server's "skip" (an existing browser session) reports the
//     level that session really achieved, kept per session id; if that level
//     is below the request, the user must sign in again so that auth_time is
//     fresh (Decide returns ActionReauthenticate).
//
// Resource servers (RFC 9470) check the authentication behind an access
// token per route or action. A Policy, built by NewPolicy from a
// PolicyConfig, says what each action needs, with amount thresholds compared
// exactly ("transfer" needs routine up to 1000.00 EUR and a step-up within 5
// minutes above); an action it does not know is an error, never "no
// requirement". The resource server validates its token in its own way and
// hands TokenFacts (FactsFromClaims reads acr and auth_time at the top level
// or under Hydra's ext) to Ladder.Evaluate, or lets an Enforcer (RequireAuth)
// do it all: a shortfall is answered 401 with
//
//	WWW-Authenticate: Bearer error="insufficient_user_authentication",
//	  error_description="A higher authentication level is required",
//	  acr_values="urn:biometric-passkey:acr:step-up", max_age="300"
//
// a missing or invalid token as RFC 6750 §3.1 says, and a requirement that
// cannot be determined with 403 or 500, never by letting the request
// through. Clients read the challenge with ParseChallenge and re-authorize
// with its AuthorizeParams.
//
// Transactions (ADR 0005, PSD2 dynamic linking): ParseAuthorizationDetails
// reads RFC 9396 authorization_details strictly, Canonical and Hash give
// their RFC 8785 form and its SHA-256, and BindChallenge makes the WebAuthn
// challenge 32 random bytes followed by that hash, which ChallengeCommitsTo
// checks again later. Amounts belong in JSON strings; numbers that
// canonicalisation would alter are refused.
//
// acr imports nothing of this project; the authenticator and every host
// build on it.
package acr
