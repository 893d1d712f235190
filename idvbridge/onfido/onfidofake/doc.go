// Package onfidofake is a local fake of the part of the Entrust/Onfido IDV
// API v3.6 that the onfido adapter uses, as an http.Handler for
// httptest.Server. It keeps applicants, workflow runs and biometric tokens
// in memory and validates requests as the API documents them
// (onfido-openapi-spec openapi.yaml, paths/, schemas/), so that an adapter
// that sends a malformed request fails here as it would there.
//
// Served under /v3.6:
//
//	POST   /applicants                            first_name, last_name required
//	POST   /workflow_runs                         workflow_id, applicant_id required
//	GET    /workflow_runs/{id}
//	GET    /biometric_tokens/{user_id}
//	DELETE /biometric_tokens/{user_id}
//	GET    /biometric_tokens/{user_id}/{token_uuid}
//	PUT    /biometric_tokens/{user_id}/{token_uuid} status approved|declined
//	DELETE /biometric_tokens/{user_id}/{token_uuid}
//
// Every request needs "Authorization: Token token=<APIToken>" (else 401);
// a request with a body needs Content-Type application/json (else 415).
// Failures answer the documented shape
// {"error":{"type","message","fields"}}: a missing, mistyped or unknown
// field is 422 validation_error naming the field in fields (an unknown
// workflow_id or applicant_id included); an unknown id in the path is 404
// resource_not_found.
//
// The test drives what the user and Onfido would do: Complete ends a run
// with a status (an approved enrollment run stores a biometric token for
// its customer user id; an approved authentication run with no approved
// token for its user is declined instead, since there is nothing to match
// against), SetStatus forces any status (undocumented ones too), and
// Webhook returns the signed notification Onfido would deliver for a run
// now: workflow_run.completed for a finished run, else the
// workflow_task.started of its capture task. Link expiry is not modelled
// as a status change (the API documents none); advance the clock the
// fake and the adapter share instead. InjectFaults queues answers such as
// 429 with Retry-After or 503 for the next requests.
//
// Where the API's documentation is silent the fake chooses, and says so:
// error type names other than validation_error (authorization_error,
// resource_not_found, bad_request, unsupported_media_type,
// method_not_allowed), the 415 for a wrong content type, the 400 for
// malformed JSON, 200 with an empty list for a user without biometric
// tokens, and the biometric token's media_type.
package onfidofake
