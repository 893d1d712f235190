// Package authenticator owns the product's core: the domain types (User,
// Credential, Event), the journeys as ceremonies over go-webauthn, and the
// interfaces of the stores they need.
//
// Journeys, one file each:
//
//	enroll.go        CreateEnrollment → BeginRegistration → FinishRegistration
//	enrollcheck.go   the enrollment's identity check after the passkey; ResumeEnrollment
//	authenticate.go  DecideLogin → BeginAuthentication → FinishAuthentication
//	                 (transaction binding: the challenge commits to authorization_details)
//	stepup.go        a step-up login's live biometric check (pending result → finishStepUp)
//	recovery.go      BeginRecovery, recovery links → check → replacement passkey
//	continue.go      ContinueIdentityCheck: progress, cancel, timeout and the one
//	                 finish of every journey waiting on an identity check; rate limits
//	idv.go           StartIdentityCheck → ApplyIDVWebhook | RefreshIdentityCheck,
//	                 IdentityCheckStatus: outcomes only for their run, user and ceremony
//	approval.go      VerifyApproval: a stored transaction approval verified again
//	admin.go         ListUsers, CountUsersByStatus, GetUser, ReadUser, RevokeCredential, Suspend/UnsuspendUser,
//	                 RequireReverification, Rename/Suspend/UnsuspendCredential (audited)
//	audit.go         the hash-chained audit log: VerifyAudit, ExportAudit (ADR 0008)
//	seal.go          AES-256-GCM sealing of provider references (Config.ReferenceKey),
//	                 bound to the reference's ID and user (DESIGN.md §7.6)
//	delivery.go      the webhook outbox: events queued for RP endpoints in their own
//	                 transaction; dead letters (ADR 0009; sender: subpackage webhook)
//
// State lives in two places. The durable Store (SQLite by default,
// subpackage sqlite; PostgreSQL, subpackage postgres) keeps users,
// credentials, biometric references, IDV checks, approvals, events, their
// webhook deliveries and the audit log. The EphemeralStore (subpackages redis and memory) keeps
// everything with a time to live:
//
//	ceremony:reg:<id>       registration ceremony (go-webauthn SessionData, user)   ChallengeTTL
//	ceremony:auth:<id>      authentication ceremony bound to one login request      ChallengeTTL
//	enrollment:<sha256>     an enrollment or recovery link (only the token's hash)   EnrollmentTTL
//	session:<id>            what an identity-server session achieved (acr, amr)     SessionTTL
//	pending:<sha256>        a journey waiting on its identity check                  IDVTimeout + 2 min
//	ratelimit:idv:<user>    identity checks started this hour (fixed window)         1 h
//	ratelimit:recovery:<n>  recoveries started for a username this hour              1 h
//	poll:<provider>:<run>   at most one status fetch per run per 3 s                 3 s
//
// Every ceremony record is consumed with an atomic Take before its response
// is verified, so a challenge is single-use (DESIGN.md §7.1); go-webauthn's
// validation is stateless and would otherwise accept a replay.
//
// Errors are *Error values with a Code; Message is safe for end users and the
// wrapped cause is for logs only.
package authenticator
