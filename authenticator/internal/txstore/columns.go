package txstore

// The column lists of the tables, the same text in every store: each store
// selects and inserts them in this order and scans them with its own
// types.
const (
	// UserColumns are the columns of users.
	UserColumns = `external_id, handle, username, display_name, status, created_at, updated_at, audit_subject`

	// CredentialColumns are the columns of credentials.
	CredentialColumns = `id, user_external_id, public_key, attestation_type, attestation_format, aaguid,
	sign_count, backup_eligible, backup_state, transports, status, status_reason, created_at, last_used_at, name`

	// ReferenceColumns are the columns of biometric_references.
	ReferenceColumns = `id, user_external_id, provider, sealed_ref, status, created_at, revoked_at`

	// CheckColumns are the columns of idv_checks.
	CheckColumns = `provider, run_id, user_external_id, journey, ceremony_id, reference_id, status, reason,
	created_at, completed_at`

	// ApprovalColumns are the columns of approvals.
	ApprovalColumns = `id, user_external_id, client_id, credential_id, acr, authorization_details, details_hash,
	authenticator_data, client_data_json, signature, created_at`

	// AuditColumns are the columns of audit_log.
	AuditColumns = `seq, at, actor, action, target, detail, prev_hash, hash`

	// EventColumns are the columns of events.
	EventColumns = `id, type, user_external_id, credential_id, actor, detail, at`

	// DeliveryColumns are a delivery's columns and then its event's
	// (EventColumns), read from event_deliveries d JOIN events e.
	DeliveryColumns = `d.id, d.event_id, d.endpoint, d.attempts, d.next_attempt_at, d.status, d.last_error, d.created_at, d.updated_at,
	e.id, e.type, e.user_external_id, e.credential_id, e.actor, e.detail, e.at`
)
