// Package acr owns assurance: the ladder of acr values a deployment issues,
// the amr values (RFC 8176) that describe how a login was made, and the
// evaluation of what a relying party asked for (acr_values, max_age, prompt)
// against what a login proved.
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
// acr imports nothing of this project; the authenticator and every host
// build on it.
package acr
