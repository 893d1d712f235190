// Package authenticator owns the product's core: the domain types (User,
// Credential, Event), the journeys as ceremonies over go-webauthn, and the
// interfaces of the stores they need.
//
// Journeys, one file each:
//
//	enroll.go        CreateEnrollment → BeginRegistration → FinishRegistration
//	authenticate.go  DecideLogin → BeginAuthentication → FinishAuthentication
//	admin.go         ListUsers, GetUser, RevokeCredential
//	idv.go           StartIdentityCheck → ApplyIDVWebhook | RefreshIdentityCheck,
//	                 IdentityCheckStatus (enrollment, step-up and recovery checks
//	                 at Config.IDV; not yet wired into the login flow)
//	seal.go          AES-256-GCM sealing of provider references (Config.ReferenceKey),
//	                 bound to the reference's ID and user (DESIGN.md §7.6)
//
// State lives in two places. The durable Store (SQLite by default,
// subpackage sqlite) keeps users, credentials, biometric references, IDV checks
// and events. The EphemeralStore
// (subpackages redis and memory) keeps everything with a time to live:
//
//	ceremony:reg:<id>   registration ceremony (go-webauthn SessionData, user)   ChallengeTTL
//	ceremony:auth:<id>  authentication ceremony bound to one login request      ChallengeTTL
//	enrollment:<sha256> an enrollment link (only the token's hash is a key)     EnrollmentTTL
//	session:<id>        what an identity-server session achieved (acr, amr)     SessionTTL
//
// Every ceremony record is consumed with an atomic Take before its response
// is verified, so a challenge is single-use (DESIGN.md §7.1); go-webauthn's
// validation is stateless and would otherwise accept a replay.
//
// Errors are *Error values with a Code; Message is safe for end users and the
// wrapped cause is for logs only.
package authenticator
