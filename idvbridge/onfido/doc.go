// Package onfido is the idvbridge.Provider for the Entrust (formerly
// Onfido) identity-verification API v3.6, running Onfido Studio
// workflows: one for enrollment, one for step-up and one for recovery
// (step-up and recovery may share one).
//
// Specification: onfido/onfido-openapi-spec (openapi.yaml, paths/,
// schemas/), and the webhook signature page
// https://documentation.identity.entrust.com/api/manual-webhook-signature-verification/.
//
// # Requests
//
//	Start (enrollment)     POST /applicants               placeholder names (see below)
//	                       POST /workflow_runs            enrollment workflow
//	Start (step-up,        GET  /biometric_tokens/{user_id}/{token_uuid}   must exist, approved
//	       recovery)       POST /workflow_runs            on the reference's applicant
//	Fetch                  GET  /workflow_runs/{id}
//	  (approved enrollment)GET  /biometric_tokens/{user_id}               find the stored token
//	DeleteReference        DELETE /biometric_tokens/{user_id}/{token_uuid}  404 = already gone
//
// Every request carries "Authorization: Token token=<API token>" and, with
// a body, Content-Type application/json. The base URL is
// https://api.{eu|us|ca}.onfido.com/v3.6 by Config.Region (eu by default)
// or Config.BaseURL (https, or http to loopback for a local fake).
//
// A workflow run is created with workflow_id, applicant_id,
// customer_user_id = StartRequest.UserID, tags, and link
// {completed_redirect_url and expired_redirect_url = ReturnURL,
// expires_at = now + Config.LinkTTL, language from Locale when the API
// offers it}. The Check's CaptureURL is link.url and its SDKToken the
// run's sdk_token (for the native SDKs; Studio requires that token).
// Tags are "biometric-passkey", "journey:<journey>", "ceremony:<id>" and,
// for step-up and recovery, "reference:<token uuid>"; a tag holds at most
// 128 characters, so ceremony ids longer than MaxCeremonyIDLen are
// ErrInvalid. custom_data is not used: a Studio workflow validates it
// against the custom inputs it declares, and the webhook resource does
// not echo it, while tags come back in both the run and the webhook.
//
// # References
//
// The biometric reference is the Onfido biometric token that the
// enrollment workflow stores server-side under the run's customer user id
// (GET|DELETE /biometric_tokens/{user_id}[/{token_uuid}]; user_id is the
// run's customer_user_id). A later step-up or recovery run with the same
// customer_user_id is matched by its workflow against that user's tokens.
// The Reference.ID names the token, the customer user id it is stored
// under and the applicant the enrollment ran on (a run needs an applicant;
// step-up and recovery reuse it): see reference. A passed enrollment's
// token is found by listing the user's tokens and taking the newest
// approved one inserted since the run was created (the API does not link
// a token to its run); it may appear shortly after the run is approved,
// so until it does the run reports pending, and after 10 minutes
// failed/error (the workflow stores no token: fix the workflow).
//
// Start refuses a reference that is not this provider's, is malformed, or
// belongs to another user than StartRequest.UserID (ErrInvalid, before any
// request), and one whose token is gone or not approved (ErrNotFound).
// DeleteReference invalidates the token only; the applicant, which holds
// the enrollment's identity evidence, stays under the account's retention
// policy, and deleting it (DELETE /applicants/{id}) is an operator's
// decision outside this interface.
//
// Applicants are created with first_name "Passkey" and last_name "Holder":
// the API requires both, this project holds no names, and a biometric match
// does not use them. Workflows must not compare document data against the
// applicant's.
//
// # Status mapping
//
// The journey of a run is decided by its workflow id (Config.Workflows),
// never by anything the user can touch; a run of another workflow is
// ErrNotFound. Then, explicitly and totally:
//
//	workflow run status      Status   Reason
//	approved                 passed   -          enrollment: with the stored token as Reference
//	                                             step-up, recovery: naming the reference it matched
//	declined                 failed   declined
//	review                   failed   review     a human review is not a pass
//	abandoned                failed   abandoned
//	error                    failed   error
//	processing               pending  -          even past the link's expiry: the user finished, Onfido decides
//	awaiting_input,          pending  -          until the deadline, then
//	awaiting_client_input    failed   expired    CompletedAt = the deadline
//	anything else            failed   error      logged at warn; never passed
//
// The API has no "expired" status. The deadline of a run awaiting input is
// its link.expires_at (Start always sets one), or created_at + LinkTTL
// for a run without it; it is compared with Config.Now at each Fetch or
// webhook. Onfido's own handling of an expired link (whether it later
// marks the run abandoned) is not documented; if it does, that maps to
// abandoned.
//
// A run is also failed/error when its tags disagree with its workflow,
// name two different values for one tag, or it has no customer user id,
// and an approved step-up or recovery run without a reference tag is
// failed/error: none of these can be trusted to mean a match.
// CompletedAt is the run's updated_at (created_at when absent) for a
// finished run, zero while pending.
//
// # Webhooks
//
// ParseWebhook checks X-SHA2-Signature (lowercase hex HMAC-SHA256 of the
// raw body keyed with the webhook token, compared with hmac.Equal) before
// decoding anything; bodies over MaxWebhookBytes are refused unhashed. A
// workflow_run.completed event whose resource carries workflow id,
// applicant id, customer user id, tags, a final status and its times maps
// from the payload exactly as a fetch would; otherwise, and for every
// other workflow event (workflow_task.*, …), the run is fetched and its
// current outcome returned. Events about no workflow run are ErrNotFound;
// a verified body that is not an event is ErrInvalid.
//
// # Errors and retries
//
// The documented error body {"error":{"type","message","fields"}} becomes
// an *idvbridge.APIError, wrapped in ErrNotFound (404, 410), ErrUnavailable
// (429, 5xx, transport failures, timeouts, an undecodable answer) or
// ErrRejected (any other status, e.g. 401, 422 validation_error). Each
// attempt is bounded by Config.Timeout. 429 and 5xx are retried up to
// Config.MaxRetries times with exponential backoff and full jitter
// (250 ms doubling, capped at 8 s), or after Retry-After when the answer
// has one (seconds or an HTTP date; longer than 30 s, or past the context's
// deadline, ends the call with ErrUnavailable at once). Transport failures
// are retried only for GET and DELETE, since a POST may have been
// processed. No other 4xx is retried.
//
// The API and webhook tokens are never logged (Config implements
// slog.LogValuer and redacts them); logs carry methods, routes without
// ids, statuses, run ids and journeys, never request bodies or customer
// user ids.
//
// # What the specification confirms and what is assumed
//
// Confirmed from onfido-openapi-spec (v3.6) and onfido-node: base URLs and
// regions; the Token security scheme in the Authorization header (its
// value "Token token=<API token>" from Onfido's guides, the OpenAPI file
// names only the header); the applicant, workflow run, link and biometric
// token schemas and their required fields and limits; workflow run
// statuses; the webhook event schema and event names; the error body; the
// signature header, algorithm and published test vector; that biometric
// tokens appear under a run's customer_user_id some time after the run
// (onfido-node polls for them). Assumed, not documented: that the step-up
// and recovery workflows match against the customer user id's tokens
// (the Studio workflow's configuration decides); that tags are echoed in
// webhook resources as the schema lists them; error type names other than
// validation_error; whether unknown body fields are refused; rate limits
// and Retry-After; what happens to a run whose link expired.
package onfido
